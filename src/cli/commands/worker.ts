/**
 * `mtl worker --queue redis://HOST:PORT [--concurrency N]`: runs the jobs of `mtl sweep --queue` and
 * `mtl affinity --train-groups --queue` (each in a sandboxed child process, checkpointed to Redis every
 * epoch: ../../sweep/worker.ts) until SIGINT or SIGTERM. The first signal stops taking jobs and waits for
 * the running ones; a second one stops at once (the interrupted jobs are retried by other workers, from
 * their checkpoints).
 */
import path from 'node:path';
import type { Command } from 'commander';
import { backendOption, dataDirOption, progressOption } from '../options.js';
import { positiveInt, positiveNumber } from '../flags.js';
import { untilSignal } from './shared.js';

export function registerWorker(program: Command): void {
  program
    .command('worker')
    .description('run the jobs of `mtl sweep --queue` / `mtl affinity --train-groups --queue` from Redis until stopped (Ctrl-C: finish the running jobs; twice: stop now)')
    .requiredOption('-q, --queue <url>', 'redis://HOST:PORT, as this machine reaches the sweep\'s Redis')
    .option('--queue-name <name>', 'BullMQ queue name (as given to mtl sweep)', 'mtl-sweep')
    .option('-c, --concurrency <n>', 'jobs at once, each in its own process', positiveInt('--concurrency'), 1)
    .option('--lock-duration <seconds>', 'how long a job stays with a worker that stopped answering before another may take it', positiveNumber('--lock-duration'), 30)
    .option('--stalled-interval <seconds>', 'how often to look for jobs whose worker died', positiveNumber('--stalled-interval'), 30)
    .option('--work-dir <dir>', 'local scratch folder for the jobs\' run folders (default: the OS temp folder)')
    .addOption(backendOption('wasm | cpu | tensorflow (default: the sweep\'s, else $MTL_BACKEND or wasm)'))
    .addOption(dataDirOption())
    .addOption(progressOption('silent'))
    .action(async (opts: { queue: string; queueName: string; concurrency: number; lockDuration: number; stalledInterval: number; workDir?: string; backend?: string; dataDir?: string; progress: 'silent' }) => {
      const { parseQueueUrl } = await import('../../sweep/connection.js');
      parseQueueUrl(opts.queue);
      const { startSweepWorker } = await import('../../sweep/worker.js');
      const w = await startSweepWorker({
        url: opts.queue, queueName: opts.queueName, concurrency: opts.concurrency, backend: opts.backend,
        dataDir: opts.dataDir === undefined ? undefined : path.resolve(opts.dataDir), progress: opts.progress,
        lockDurationMs: opts.lockDuration * 1000, stalledIntervalMs: opts.stalledInterval * 1000,
        workDir: opts.workDir === undefined ? undefined : path.resolve(opts.workDir),
      });
      const signal = await untilSignal();
      console.log(`[worker ${w.name}] ${signal}: finishing the running job(s), taking no new ones (${signal} again: stop now)`);
      const again = untilSignal().then(async () => {
        console.log(`[worker ${w.name}] stopping now; interrupted jobs will be retried from their checkpoints`);
        await w.close(true);
      });
      await Promise.race([w.close(), again]);
      console.log(`[worker ${w.name}] stopped`);
    });
}
