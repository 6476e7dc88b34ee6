/** `mtl affinity <config>`: inter-task affinity matrix (TAG) and the suggested task groups. */
import path from 'node:path';
import type { Command } from 'commander';
import { readConfigFile } from '../../config/load.js';
import { initBackend } from '../../engine/backend.js';
import { formatAffinity, runAffinity } from '../../run/affinity.js';
import { backendOption, dataDirOption, epochsOption, progressOption } from '../options.js';
import { positiveInt } from '../flags.js';

export function registerAffinity(program: Command): void {
  program
    .command('affinity')
    .description('measure inter-task affinity during training (TAG lookahead), print the matrix and the best task grouping')
    .argument('<config>', 'experiment config')
    .option('-o, --out <dir>', 'output folder (default: runs/<name>-affinity)')
    .option('--every <n>', 'measure every n steps', positiveInt('--every'), 5)
    .option('--groups <k>', 'at most k groups', positiveInt('--groups'))
    .option('--train-groups', 'train one model per suggested group and compare with all-in-one and STL')
    .addOption(backendOption('wasm | cpu | tensorflow'))
    .addOption(epochsOption())
    .addOption(dataDirOption())
    .addOption(progressOption('lines'))
    .action(async (file: string, opts: { out?: string; every: number; groups?: number; trainGroups?: boolean; backend?: string; epochs?: number; dataDir?: string; progress: 'lines' }) => {
      const { config, baseDir } = readConfigFile(file);
      if (opts.epochs !== undefined) config.train.epochs = opts.epochs;
      const backend = await initBackend(opts.backend ?? config.backend, (m) => console.error(m));
      const outDir = opts.out ?? path.join('runs', `${config.name}-affinity`);
      const r = await runAffinity(config, {
        outDir, baseDir, backend, dataDir: opts.dataDir, progress: opts.progress, log: (m) => console.error(m),
        every: opts.every, maxGroups: opts.groups, trainGroups: opts.trainGroups,
      });
      console.log(formatAffinity(r));
    });
}
