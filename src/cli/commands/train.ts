/** `mtl train <config> [--out DIR] [--backend B] [--resume]`: multi-task model + STL baselines + report. */
import fs from 'node:fs';
import path from 'node:path';
import { UsageError } from '../../config/errors.js';
import type { Command } from 'commander';
import { readConfigFile } from '../../config/load.js';
import { initBackend } from '../../engine/backend.js';
import { formatReport, runExperiment } from '../../run/experiment.js';

export function registerTrain(program: Command): void {
  program
    .command('train')
    .description('train a multi-task model (and its single-task baselines) from a config file')
    .argument('<config>', 'experiment config (.json, .yaml or .yml)')
    .option('-o, --out <dir>', 'run folder (default: runs/<config name>)')
    .option('-b, --backend <name>', 'wasm | cpu | tensorflow (default: $MTL_BACKEND or wasm)')
    .option('--resume', 'continue the run in --out from its last checkpoint')
    .option('--overwrite', 'delete an earlier run in --out first')
    .option('--data-dir <dir>', 'folder of the built-in datasets (default: $MTL_DATA_DIR or ../shared/data)')
    .option('--epochs <n>', 'override train.epochs', (v) => Number(v))
    .option('--no-stl', 'skip the single-task baselines')
    .option('--progress <mode>', 'auto | bar | lines | silent', 'auto')
    .action(async (file: string, opts: { out?: string; backend?: string; resume?: boolean; overwrite?: boolean; dataDir?: string; epochs?: number; stl: boolean; progress: 'auto' }) => {
      const { config, baseDir } = readConfigFile(file);
      if (opts.epochs !== undefined) config.train.epochs = opts.epochs;
      if (!opts.stl) config.baselines.stl = false;
      const backend = await initBackend(opts.backend ?? config.backend, (m) => console.error(m));
      const outDir = opts.out ?? path.join('runs', config.name);
      if (opts.overwrite && opts.resume) throw new UsageError('--overwrite and --resume exclude each other');
      if (opts.overwrite) fs.rmSync(outDir, { recursive: true, force: true });
      const { report, finished } = await runExperiment(config, {
        outDir, baseDir, backend, resume: opts.resume, dataDir: opts.dataDir, progress: opts.progress, log: (m) => console.error(m),
      });
      console.log(formatReport(report));
      if (finished) console.log(`\nrun folder: ${outDir} (report.json, model/, history.jsonl)`);
    });
}
