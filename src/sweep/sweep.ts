/**
 * `mtl sweep --queue redis://…`: a comparison (../run/compare.ts) as a queue of BullMQ jobs, one per
 * (unit, seed) — each single-task baseline and each method at each seed — run by `mtl worker`s on any
 * machines (./worker.ts). Job ids are deterministic (./jobs.ts): enqueuing the same sweep again adds
 * nothing and attaches to the jobs already there (running the command again after an interruption
 * collects what finished meanwhile); a job that failed for good is retried. The sweep waits until every
 * job is completed, reads the results in a fixed order (not completion order) — one per (unit, seed), so
 * nothing is counted twice — and builds the same table, Markdown + CSV + JSON, as `mtl compare`, plus
 * sweep.json (which worker finished each job, at which attempt, resumed after which epoch).
 * `mtl affinity --train-groups --queue` enqueues its trainings (units of kind 'group' and 'stl') through
 * planUnits / runQueuedJobs here, on the same queue and workers.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Job, Queue } from 'bullmq';
import { loadConfigDataset } from '../config/dataset.js';
import type { ExperimentConfig } from '../config/schema.js';
import { compareFromUnits, compareUnits, parseMethod, writeCompare, type CompareResult, type CompareUnit } from '../run/compare.js';
import { selectTasks } from '../run/experiment.js';
import { writeFileAtomic } from '../train/node/atomic.js';
import { checkRedis, DEFAULT_QUEUE_NAME, KEY_PREFIX, parseQueueUrl, type QueueTarget } from './connection.js';
import { checkpointKey, sweepJobId, unitName, type SweepJobData, type SweepJobResult } from './jobs.js';

export interface SweepOptions {
  /** redis://HOST:PORT */
  url: string;
  queueName?: string;
  /** Folder the config came from (made absolute: workers resolve relative data paths against it). */
  baseDir: string;
  dataDir?: string;
  backend?: string;
  seeds?: number[];
  /** Where compare.md / .csv / .json and sweep.json are written. */
  outDir: string;
  /** Tries per job (BullMQ attempts), default 3. */
  attempts?: number;
  /** How often the sweep polls the jobs' states, default 1000 ms. */
  pollMs?: number;
  log?: (line: string) => void;
}

export interface PlannedJob {
  id: string;
  data: SweepJobData;
}

/** The sweep's jobs, in the local loop's order; the config's methods are checked and its data read (for the task list). */
export async function planSweep(config: ExperimentConfig, methods: string[], o: Pick<SweepOptions, 'baseDir' | 'dataDir' | 'backend' | 'seeds' | 'log'>): Promise<PlannedJob[]> {
  methods.forEach(parseMethod);
  const seeds = o.seeds ?? [config.seed];
  const split = await loadConfigDataset(config, path.resolve(o.baseDir), o.dataDir, { log: o.log });
  const taskNames = selectTasks(config, split);
  return planUnits(config, taskNames, compareUnits(taskNames, methods, seeds), o);
}

/** Jobs for given units (in their order) of a config whose tasks are `taskNames`: what `mtl affinity --train-groups --queue` enqueues. */
export function planUnits(config: ExperimentConfig, taskNames: string[], units: { unit: CompareUnit; seed: number }[], o: Pick<SweepOptions, 'baseDir' | 'dataDir' | 'backend'>): PlannedJob[] {
  const baseDir = path.resolve(o.baseDir);
  return units.map(({ unit, seed }) => {
    const data: SweepJobData = { version: 1, config, baseDir, dataDir: o.dataDir, backend: o.backend, taskNames, unit, seed };
    return { id: sweepJobId(data), data };
  });
}

export function openQueue(target: QueueTarget, queueName = DEFAULT_QUEUE_NAME): Queue<SweepJobData, SweepJobResult> {
  return new Queue<SweepJobData, SweepJobResult>(queueName, { connection: { ...target.redis }, prefix: KEY_PREFIX });
}

/** Adds the jobs not in the queue yet (a job id already there is that job: nothing is added twice); retries those that failed for good. */
export async function enqueueSweep(queue: Queue<SweepJobData, SweepJobResult>, jobs: PlannedJob[], attempts = 3): Promise<{ added: number; existing: number; retried: number }> {
  let added = 0, existing = 0, retried = 0;
  for (const { id, data } of jobs) {
    const job = await Job.fromId<SweepJobData, SweepJobResult>(queue, id);
    if (job) {
      if ((await job.getState()) === 'failed') {
        await job.retry('failed');
        retried++;
      } else existing++;
      continue;
    }
    const made = await queue.add(unitName(data.unit), data, { jobId: id, attempts, removeOnComplete: false, removeOnFail: false });
    if (made.id === id) added++;
  }
  return { added, existing, retried };
}

/** Waits until every job is completed; their results in the order of `jobs`. A job failed for good ends the wait with its reason. */
export async function waitForSweep(queue: Queue<SweepJobData, SweepJobResult>, jobs: PlannedJob[], o: { pollMs?: number; log?: (line: string) => void } = {}): Promise<SweepJobResult[]> {
  const results = new Map<string, SweepJobResult>();
  const client = await queue.client;
  let reported = -1;
  for (;;) {
    let running = 0;
    for (const { id, data } of jobs) {
      if (results.has(id)) continue;
      // The state first, then the job: read the other way round, a job that completes in between is
      // 'completed' with the return value of the earlier read (null) — seen once in CI.
      const state = await queue.getJobState(id);
      const job = await Job.fromId<SweepJobData, SweepJobResult>(queue, id);
      if (!job) throw new Error(`job ${id} is no longer in queue ${queue.name} (was the queue cleaned?); run the sweep again to re-enqueue it`);
      if (state === 'completed') {
        const r = job.returnvalue;
        if (!r || r.seed !== data.seed || unitName(r.unit) !== unitName(data.unit)) throw new Error(`job ${id}: its result is not the unit's (${JSON.stringify(r)?.slice(0, 120)})`);
        results.set(id, r);
        await client.del(checkpointKey(queue.name, id));
      } else if (state === 'failed') {
        throw new Error(`job ${id} (${unitName(data.unit)}, seed ${data.seed}) failed after ${job.attemptsMade} attempt(s): ${(job.failedReason ?? '').split('\n')[0]}; fix the cause and run the sweep again (it retries failed jobs)`);
      } else if (state === 'active') running++;
    }
    if (results.size !== reported) {
      reported = results.size;
      o.log?.(`sweep: ${results.size}/${jobs.length} jobs done${running ? `, ${running} running` : ''}`);
    }
    if (results.size === jobs.length) break;
    await new Promise((r) => setTimeout(r, o.pollMs ?? 1000));
  }
  return jobs.map(({ id }) => results.get(id)!);
}

/**
 * Enqueues `planned` (what is already there is attached to), waits for every job and returns the results
 * in the order of `planned`; the checkpoint of each collected job is deleted.
 */
export async function runQueuedJobs(planned: PlannedJob[], o: Pick<SweepOptions, 'url' | 'queueName' | 'attempts' | 'pollMs' | 'log'> & { what?: string }): Promise<(SweepJobResult & { id: string })[]> {
  const target = parseQueueUrl(o.url);
  await checkRedis(target);
  const log = o.log ?? (() => {});
  const what = o.what ?? 'sweep';
  const queueName = o.queueName ?? DEFAULT_QUEUE_NAME;
  const queue = openQueue(target, queueName);
  try {
    const { added, existing, retried } = await enqueueSweep(queue, planned, o.attempts);
    log(`${what}: ${planned.length} jobs on queue ${queueName} at ${target.url} (${added} added, ${existing} already there${retried ? `, ${retried} failed ones retried` : ''}); start workers with: mtl worker --queue ${target.url}${queueName !== DEFAULT_QUEUE_NAME ? ` --queue-name ${queueName}` : ''}`);
    let results: SweepJobResult[];
    try {
      results = await waitForSweep(queue, planned, { pollMs: o.pollMs, log: (line) => log(line.replace(/^sweep:/, `${what}:`)) });
    } catch (e) {
      const m = (e as Error).message;
      if (/ECONNREFUSED|Connection is closed|max retries|ETIMEDOUT|ENOTFOUND/i.test(m)) {
        throw new Error(`lost Redis at ${target.url} while waiting (${m.split('\n')[0]}); the jobs stay queued: run the same command again to collect them`);
      }
      throw e;
    }
    return planned.map(({ id }, i) => ({ id, ...results[i]! }));
  } finally {
    await queue.close();
  }
}

/** sweep.json: which worker finished each job, at which attempt, resumed after which epoch. */
export function writeSweepRecord(outDir: string, url: string, queueName: string | undefined, jobs: (SweepJobResult & { id: string })[]): void {
  fs.mkdirSync(outDir, { recursive: true });
  writeFileAtomic(path.join(outDir, 'sweep.json'), JSON.stringify({
    queue: queueName ?? DEFAULT_QUEUE_NAME, url: parseQueueUrl(url).url,
    jobs: jobs.map((j) => ({ id: j.id, unit: j.unit, seed: j.seed, worker: j.worker, attempt: j.attempt, resumedAfterEpoch: j.resumedAfterEpoch, epochs: j.epochs, epochSeconds: j.epochSeconds })),
  }, null, 2));
}

export async function runSweep(config: ExperimentConfig, methods: string[], o: SweepOptions): Promise<{ result: CompareResult; jobs: (SweepJobResult & { id: string })[] }> {
  await checkRedis(parseQueueUrl(o.url));
  const seeds = o.seeds ?? [config.seed];
  const planned = await planSweep(config, methods, o);
  const jobs = await runQueuedJobs(planned, o);
  const result = compareFromUnits(methods, seeds, jobs);
  writeCompare(o.outDir, result);
  writeSweepRecord(o.outDir, o.url, o.queueName, jobs);
  return { result, jobs };
}
