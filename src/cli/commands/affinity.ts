/**
 * `mtl affinity <config>`: inter-task affinity matrix (TAG) and the suggested task groups. With
 * `--train-groups --queue redis://HOST:PORT` the trainings of the comparison (all-in-one, each group, each
 * task alone) are BullMQ jobs for `mtl worker`s, as `mtl sweep --queue`'s (../../sweep/); the affinity
 * measurement (one training with lookahead) runs here. bullmq is loaded only then.
 */
import path from 'node:path';
import type { Command } from 'commander';
import { readConfigFile } from '../../config/load.js';
import { initBackend } from '../../engine/backend.js';
import { formatAffinity, runAffinity, type UnitRunner } from '../../run/affinity.js';
import { UsageError } from '../../config/errors.js';
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
    .option('-q, --queue <url>', 'with --train-groups: redis://HOST:PORT, run those trainings (all-in-one, each group, each task alone) as jobs there for `mtl worker --queue URL`; the affinity measurement itself runs here (default: everything here)')
    .option('--queue-name <name>', 'BullMQ queue name (workers must use the same)', 'mtl-sweep')
    .option('--attempts <n>', 'tries per job before it counts as failed', positiveInt('--attempts'), 3)
    .addOption(backendOption('wasm | cpu | tensorflow'))
    .addOption(epochsOption())
    .addOption(dataDirOption())
    .addOption(progressOption('lines'))
    .action(async (file: string, opts: { out?: string; every: number; groups?: number; trainGroups?: boolean; queue?: string; queueName: string; attempts: number; backend?: string; epochs?: number; dataDir?: string; progress: 'lines' }) => {
      if (opts.queue && !opts.trainGroups) throw new UsageError('--queue needs --train-groups (the affinity measurement itself runs here; what goes to the queue are the trainings of --train-groups)');
      const { config, baseDir } = readConfigFile(file);
      if (opts.epochs !== undefined) config.train.epochs = opts.epochs;
      const outDir = opts.out ?? path.join('runs', `${config.name}-affinity`);
      const log = (m: string) => console.error(m);
      let runUnits: UnitRunner | undefined;
      if (opts.queue) {
        const { checkRedis, parseQueueUrl } = await import('../../sweep/connection.js');
        const target = parseQueueUrl(opts.queue); // a bad URL is the user's mistake (exit 2) before anything trains
        await checkRedis(target); // an unreachable Redis too, before the measuring run
        const { planUnits, runQueuedJobs, writeSweepRecord } = await import('../../sweep/sweep.js');
        const url = opts.queue;
        runUnits = async ({ config: resolved, taskNames, units }) => {
          const dataDir = opts.dataDir === undefined ? undefined : path.resolve(opts.dataDir);
          const planned = planUnits(resolved, taskNames, units, { baseDir, dataDir, backend: opts.backend ?? resolved.backend });
          const jobs = await runQueuedJobs(planned, { url, queueName: opts.queueName, attempts: opts.attempts, log, what: 'affinity' });
          writeSweepRecord(outDir, url, opts.queueName, jobs);
          return jobs;
        };
      }
      const backend = await initBackend(opts.backend ?? config.backend, log);
      const r = await runAffinity(config, {
        outDir, baseDir, backend, dataDir: opts.dataDir, progress: opts.progress, log,
        every: opts.every, maxGroups: opts.groups, trainGroups: opts.trainGroups, runUnits,
      });
      console.log(formatAffinity(r));
    });
}
