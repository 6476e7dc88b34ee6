/** `mtl fusion`: multimodal fusion on Mulan emotions (rhythm vs timbre views; concat vs attention; STL vs MTL). */
import path from 'node:path';
import type { Command } from 'commander';
import { UsageError } from '../../config/errors.js';
import { initBackend } from '../../engine/backend.js';
import { DEFAULT_FUSION_OPTIONS, formatFusionReport, runFusionExperiment } from '../../run/fusion.js';
import { backendOption, dataDirOption, epochsOption } from '../options.js';

export function registerFusion(program: Command): void {
  program
    .command('fusion')
    .description('multimodal fusion on Mulan emotions: rhythm / timbre views alone, concat and cross-modal attention fusion, each single-task vs multi-task (per-label AUC/F1, Δm%)')
    .option('-o, --out <dir>', 'output folder', path.join('runs', 'fusion'))
    .option('--seeds <list>', 'comma-separated seeds', DEFAULT_FUSION_OPTIONS.seeds.join(','))
    .addOption(epochsOption('most epochs per model', DEFAULT_FUSION_OPTIONS.epochs))
    .option('--hidden <list>', 'hidden layers of each view encoder', DEFAULT_FUSION_OPTIONS.hidden.join(','))
    .addOption(backendOption())
    .addOption(dataDirOption())
    .action(async (opts: { out: string; seeds: string; epochs: number; hidden: string; backend?: string; dataDir?: string }) => {
      const seeds = opts.seeds.split(',').map((s) => Number(s.trim()));
      const hidden = opts.hidden.split(',').map((s) => Number(s.trim()));
      if (seeds.some((s) => !Number.isInteger(s) || s < 0)) throw new UsageError(`--seeds: non-negative integers, got '${opts.seeds}'`);
      if (hidden.some((h) => !Number.isInteger(h) || h < 1)) throw new UsageError(`--hidden: positive integers, got '${opts.hidden}'`);
      if (!Number.isInteger(opts.epochs) || opts.epochs < 1) throw new UsageError('--epochs: a positive integer');
      const backend = await initBackend(opts.backend, (m) => console.error(m));
      const t0 = performance.now();
      const report = await runFusionExperiment({ ...DEFAULT_FUSION_OPTIONS, outDir: opts.out, dataDir: opts.dataDir, seeds, epochs: opts.epochs, hidden, log: (m) => console.error(m) });
      console.log(formatFusionReport(report));
      console.log(`\nbackend ${backend}; total ${((performance.now() - t0) / 1000).toFixed(0)} s; written ${path.join(opts.out, 'report.md')} and report.json`);
    });
}
