/** `mtl school`: linear multi-task methods and hard sharing on the ILEA school data (139 regression tasks). */
import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { UsageError } from '../../config/errors.js';
import { initBackend } from '../../engine/backend.js';
import { formatSchool, runSchool } from '../../run/school.js';
import { backendOption, dataDirOption } from '../options.js';
import { nonNegativeInt, positiveInt } from '../flags.js';


export function registerSchool(program: Command): void {
  program
    .command('school')
    .description('school data (139 schools = tasks): independent / pooled ridge, trace norm, clustered MTL and hard sharing; prints the test table')
    .option('-o, --out <dir>', 'output folder for school.json and school.md', 'runs/school')
    .addOption(dataDirOption())
    .option('--seed <n>', 'seed of the splits', nonNegativeInt('--seed'), 0)
    .option('--no-hps', 'skip the tfjs hard-sharing model (linear methods only, seconds)')
    .option('--hps-epochs <n>', 'hard sharing: at most n epochs', positiveInt('--hps-epochs'), 12)
    .addOption(backendOption('wasm | cpu | tensorflow'))
    .action(async (opts: { out: string; dataDir?: string; seed: number; hps: boolean; hpsEpochs: number; backend?: string }) => {
      if (!Number.isInteger(opts.seed) || opts.seed < 0) throw new UsageError(`--seed: expected a non-negative integer, got '${opts.seed}'`);
      if (opts.hps) await initBackend(opts.backend, (m) => console.error(m));
      const result = await runSchool({ dataDir: opts.dataDir, seed: opts.seed, hps: opts.hps, hpsEpochs: opts.hpsEpochs, outDir: opts.out, log: (m) => console.error(m) });
      const table = formatSchool(result);
      fs.writeFileSync(path.join(opts.out, 'school.md'), table + '\n');
      console.log(table);
      console.log(`\nwritten: ${path.join(opts.out, 'school.json')}, school.md`);
    });
}
