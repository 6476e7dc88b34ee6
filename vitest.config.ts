import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Two cores: more workers only fight over them.
    maxWorkers: 2,
    // The tests read the bigger datasets from the shared fixture folder (CI has it beside the checkout);
    // the product itself never does (src/data/store/locate.ts). Tests of the cache / package copy /
    // download path unset MTL_DATA_DIR themselves.
    env: { MTL_DATA_DIR: process.env['MTL_DATA_DIR'] ?? fileURLToPath(new URL('../shared/data', import.meta.url)) },
  },
});
