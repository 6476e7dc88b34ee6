/**
 * `mtl sweep <config> --methods a,b --seeds 0,1 [--queue redis://HOST:PORT]`: `mtl compare` as a sweep.
 * Without --queue it runs locally, exactly as `mtl compare` (same files). With --queue it enqueues one
 * BullMQ job per (baseline or method, seed) on that Redis, for `mtl worker`s on any machines, waits for
 * all of them and writes the same table (../../sweep/sweep.ts). bullmq is loaded only then.
 */
import path from 'node:path';
import type { Command } from 'commander';
import { readConfigFile } from '../../config/load.js';
import { initBackend } from '../../engine/backend.js';
import { runCompare } from '../../run/compare.js';
import { backendOption, dataDirOption, epochsOption, progressOption } from '../options.js';
import { positiveInt, seedList } from '../flags.js';

export function registerSweep(program: Command): void {
  program
    .command('sweep')
    .description('mtl compare over seeds, locally or as a queue of jobs on Redis (BullMQ) served by `mtl worker`s; prints the compare table when every job is done')
    .argument('<config>', 'experiment config')
    .requiredOption('-m, --methods <list>', 'comma-separated methods, as for mtl compare (ew, uw, pcgrad, mgda@rep, mmoe+uw, …)')
    .option('--seeds <list>', 'comma-separated seeds, e.g. 0,1,2 (default: the config seed)', seedList('--seeds'))
    .option('-q, --queue <url>', 'redis://HOST:PORT: enqueue the jobs there for `mtl worker --queue URL` (default: run everything here)')
    .option('--queue-name <name>', 'BullMQ queue name (workers must use the same)', 'mtl-sweep')
    .option('--attempts <n>', 'tries per job before it counts as failed', positiveInt('--attempts'), 3)
    .option('-o, --out <dir>', 'output folder (default: runs/<name>-compare)')
    .addOption(backendOption('wasm | cpu | tensorflow (with --queue: the workers\' default, each worker\'s --backend wins)'))
    .addOption(epochsOption())
    .addOption(dataDirOption())
    .addOption(progressOption('lines'))
    .action(async (file: string, opts: { methods: string; seeds?: number[]; queue?: string; queueName: string; attempts: number; out?: string; backend?: string; epochs?: number; dataDir?: string; progress: 'lines' }) => {
      const { config, baseDir } = readConfigFile(file);
      if (opts.epochs !== undefined) config.train.epochs = opts.epochs;
      const outDir = opts.out ?? path.join('runs', `${config.name}-compare`);
      const methods = opts.methods.split(',').map((s) => s.trim()).filter(Boolean);
      const log = (m: string) => console.error(m);
      let markdown: string;
      if (opts.queue) {
        const { parseQueueUrl } = await import('../../sweep/connection.js');
        parseQueueUrl(opts.queue); // a bad URL is the user's mistake (exit 2) before any data is read
        const { runSweep } = await import('../../sweep/sweep.js');
        const dataDir = opts.dataDir === undefined ? undefined : path.resolve(opts.dataDir);
        const { result } = await runSweep(config, methods, {
          url: opts.queue, queueName: opts.queueName, baseDir, dataDir, backend: opts.backend ?? config.backend, seeds: opts.seeds, outDir, attempts: opts.attempts, log,
        });
        markdown = result.markdown;
      } else {
        const backend = await initBackend(opts.backend ?? config.backend, log);
        const result = await runCompare(config, methods, { outDir, baseDir, backend, dataDir: opts.dataDir, progress: opts.progress, seeds: opts.seeds, log, resume: false });
        markdown = result.markdown;
      }
      console.log(markdown);
      console.log(`\nwritten: ${path.join(outDir, 'compare.md')}, compare.csv, compare.json${opts.queue ? ', sweep.json' : ''}`);
    });
}
