/** `mtl compare <config> --methods ew,uw,pcgrad,mgda@rep`: MTL methods side by side, vs STL. */
import path from 'node:path';
import type { Command } from 'commander';
import { readConfigFile } from '../../config/load.js';
import { initBackend } from '../../engine/backend.js';
import { runCompare } from '../../run/compare.js';
import { backendOption, dataDirOption, epochsOption, progressOption } from '../options.js';
import { seedList } from '../flags.js';

export function registerCompare(program: Command): void {
  program
    .command('compare')
    .description('train several MTL methods on one config and tabulate test metrics, Δm% and epoch time (Markdown + CSV)')
    .argument('<config>', 'experiment config')
    .requiredOption('-m, --methods <list>', 'comma-separated: architectures (hps, mmoe, …), weightings (ew, uw, dwa, …), aggregators (pcgrad, mgda, …; name@rep for rep-grad), or weighting+aggregator')
    .option('-o, --out <dir>', 'output folder (default: runs/<name>-compare)')
    .addOption(backendOption('wasm | cpu | tensorflow'))
    .option('--seeds <list>', 'comma-separated seeds, e.g. 0,1,2: every method and the STL baselines at each; mean ± std and a paired test of Δm% (default: the config seed)', seedList('--seeds'))
    .addOption(epochsOption())
    .addOption(dataDirOption())
    .addOption(progressOption('lines'))
    .action(async (file: string, opts: { methods: string; out?: string; backend?: string; seeds?: number[]; epochs?: number; dataDir?: string; progress: 'lines' }) => {
      const { config, baseDir } = readConfigFile(file);
      if (opts.epochs !== undefined) config.train.epochs = opts.epochs;
      const backend = await initBackend(opts.backend ?? config.backend, (m) => console.error(m));
      const outDir = opts.out ?? path.join('runs', `${config.name}-compare`);
      const seeds = opts.seeds;
      const result = await runCompare(config, opts.methods.split(',').map((s) => s.trim()).filter(Boolean), {
        outDir, baseDir, backend, dataDir: opts.dataDir, progress: opts.progress, seeds, log: (m) => console.error(m), resume: false,
      });
      console.log(result.markdown);
      console.log(`\nwritten: ${path.join(outDir, 'compare.md')}, compare.csv, compare.json`);
    });
}
