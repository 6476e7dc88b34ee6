/**
 * The multimodal fusion example as a script (the same as `node bin/mtl.js fusion`): Mulan emotions with
 * a rhythm view (8 BH… attributes) and a timbre view (64 Mean_… / Std_… attributes); each view alone,
 * concat fusion and cross-modal attention fusion, single-task vs multi-task. Run from the project root:
 *   npx tsx examples/fusion/run.ts [--quick]
 * --quick: one seed, 30 epochs.
 */
import path from 'node:path';
import { initBackend } from '../../src/engine/backend.js';
import { DEFAULT_FUSION_OPTIONS, formatFusionReport, runFusionExperiment } from '../../src/run/fusion.js';

const quick = process.argv.includes('--quick');
const backend = await initBackend(undefined, (m) => console.error(m));
const t0 = performance.now();
const report = await runFusionExperiment({
  ...DEFAULT_FUSION_OPTIONS, ...(quick ? { seeds: [0], epochs: 30 } : {}), outDir: path.join('runs', 'fusion'), log: (m) => console.error(m),
});
console.log(formatFusionReport(report));
console.log(`\nbackend ${backend}; total ${((performance.now() - t0) / 1000).toFixed(0)} s`);
process.exit(0);
