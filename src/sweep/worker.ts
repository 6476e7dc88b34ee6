/**
 * `mtl worker`: a BullMQ Worker on a sweep's queue that runs each job in a sandboxed child process
 * (./processor.ts), so a long synchronous epoch never blocks its lock renewals and the stalled-job
 * checks. Any number of workers on any machines may serve one queue. A worker that dies mid-job (a
 * SIGKILL, a lost machine) stops renewing the job's lock; after `lockDurationMs` another worker's
 * stalled check (every `stalledIntervalMs`) puts the job back in the queue, and the next attempt resumes
 * from the checkpoint the dead one left in Redis. A job that throws is retried (the sweep sets 3 attempts).
 *
 * The processor file: from a build (dist/sweep/processor.js) the child runs it with plain node; from the
 * TypeScript sources (a checkout, tests) the child is given tsx's loader (`--import tsx`), as the
 * dashboard's worker thread is (../dashboard/live.ts).
 */
import os from 'node:os';
import { Worker, type Job } from 'bullmq';
import { checkRedis, KEY_PREFIX, parseQueueUrl, DEFAULT_QUEUE_NAME } from './connection.js';
import { checkpointKey, type SweepJobData, type SweepJobResult } from './jobs.js';

export interface SweepWorkerOptions {
  /** redis://HOST:PORT as this machine reaches it. */
  url: string;
  queueName?: string;
  /** Jobs at once (each in its own child process). Default 1. */
  concurrency?: number;
  /** Overrides the job's backend. */
  backend?: string;
  /** Overrides the job's data folder (this machine's copy of the data). */
  dataDir?: string;
  progress?: 'auto' | 'bar' | 'lines' | 'silent';
  /** How long a job's lock lasts without renewal (BullMQ's default 30 s). */
  lockDurationMs?: number;
  /** How often this worker looks for jobs whose worker died (BullMQ's default 30 s). */
  stalledIntervalMs?: number;
  /** Local scratch folder for the jobs' run folders (default: the OS temp folder). */
  workDir?: string;
  /** Worker name stored on its jobs (default host:pid). */
  name?: string;
  log?: (line: string) => void;
}

export interface SweepWorker {
  name: string;
  worker: Worker<SweepJobData, SweepJobResult>;
  /** Stops taking jobs; with `force`, does not wait for the running ones (they are retried elsewhere, from their checkpoints). */
  close(force?: boolean): Promise<void>;
}

/** The processor file next to this one, and how a child process runs it. */
function processor(): { file: URL; execArgv: string[] } {
  const fromSource = import.meta.url.endsWith('.ts');
  const file = new URL(fromSource ? './processor.ts' : './processor.js', import.meta.url);
  return { file, execArgv: fromSource ? ['--import', import.meta.resolve('tsx')] : [] };
}

function describeUnit(unit: SweepJobData['unit']): string {
  if (unit.kind === 'stl') return `baseline ${unit.task}`;
  if (unit.kind === 'group') return `group ${unit.tasks.join('+')}`;
  return `method ${unit.method}`;
}

const describe = (job: Job<SweepJobData>) => `${job.id} (${describeUnit(job.data.unit)}, seed ${job.data.seed})`;

export async function startSweepWorker(o: SweepWorkerOptions): Promise<SweepWorker> {
  const target = parseQueueUrl(o.url);
  await checkRedis(target);
  const log = o.log ?? ((line: string) => console.log(line));
  const queueName = o.queueName ?? DEFAULT_QUEUE_NAME;
  const name = o.name ?? `${os.hostname()}:${process.pid}`;
  const { file, execArgv } = processor();
  const childEnv: NodeJS.ProcessEnv = {
    ...process.env,
    MTL_SWEEP_URL: o.url,
    MTL_SWEEP_WORKER: name,
    MTL_SWEEP_BACKEND: o.backend ?? '',
    MTL_SWEEP_DATA_DIR: o.dataDir ?? '',
    MTL_SWEEP_PROGRESS: o.progress ?? 'silent',
    MTL_SWEEP_WORK_DIR: o.workDir ?? '',
  };
  const worker = new Worker<SweepJobData, SweepJobResult>(queueName, file, {
    connection: { ...target.redis, maxRetriesPerRequest: null },
    prefix: KEY_PREFIX,
    name,
    concurrency: o.concurrency ?? 1,
    lockDuration: o.lockDurationMs ?? 30_000,
    stalledInterval: o.stalledIntervalMs ?? 30_000,
    // A job whose worker died is put back this many times before it counts as failed.
    maxStalledCount: 3,
    useWorkerThreads: false,
    workerForkOptions: { execArgv, env: childEnv },
    autorun: false,
  });
  worker.on('active', (job) => log(`[worker ${name}] start ${describe(job)}, attempt ${job.attemptsStarted}`));
  worker.on('completed', (job, result) => {
    const m = result.resumedAfterEpoch ? `, resumed after epoch ${result.resumedAfterEpoch}` : '';
    log(`[worker ${name}] done ${describe(job)}: ${result.epochs} epochs, ${result.epochSeconds.toFixed(2)} s/epoch${m}`);
    // Its checkpoint is not needed any more (the sweep deletes it too, in case this worker dies first).
    worker.client.then((c) => c.del(checkpointKey(queueName, job.id!))).catch(() => {});
  });
  worker.on('failed', (job, err) => {
    if (!job) return;
    const final = job.attemptsMade >= (job.opts.attempts ?? 1);
    log(`[worker ${name}] failed ${describe(job)} (attempt ${job.attemptsMade}${final ? ', the last' : ', will be retried'}): ${err.message.split('\n')[0]}`);
  });
  worker.on('stalled', (jobId) => log(`[worker ${name}] job ${jobId} lost its worker (stalled): back in the queue, to resume from its checkpoint`));
  worker.on('error', (err) => log(`[worker ${name}] error: ${err.message.split('\n')[0]}`));
  void worker.run().catch((err: Error) => log(`[worker ${name}] stopped: ${err.message}`));
  await worker.waitUntilReady();
  log(`[worker ${name}] waiting for jobs on queue ${queueName} at ${target.url} (concurrency ${o.concurrency ?? 1})`);
  return {
    name,
    worker,
    async close(force = false) {
      await worker.close(force);
    },
  };
}
