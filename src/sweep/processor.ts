/**
 * The sandboxed processor of `mtl worker`: BullMQ runs this file in a child process of the worker
 * (./worker.ts), so an epoch — one long synchronous computation — never stalls the worker's lock
 * renewals and the queue. One job = one unit of a comparison (../run/compare.ts trainUnit: a baseline
 * or a method at a seed), trained in a local scratch folder:
 *   1. the job's checkpoint, if a previous attempt left one in Redis, is unpacked there and training
 *      resumes from it (byte-identical to an uninterrupted run: ../train/node/);
 *   2. after every epoch the folder's checkpoint is packed into one Buffer and stored in Redis — only
 *      while this attempt still holds the job's lock (a worker that lost its job cannot overwrite the
 *      checkpoint of the attempt that took it over);
 *   3. the unit's test metrics are the job's return value; the worker deletes the checkpoint when the
 *      job is completed.
 * Settings come from the worker through the environment (MTL_SWEEP_*): its Redis URL as the worker sees
 * it, queue name, backend, data folder, progress mode, name.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { SandboxedJob } from 'bullmq';
import { Redis } from 'ioredis';
import { loadConfigDataset } from '../config/dataset.js';
import { parseConfig } from '../config/load.js';
import type { DatasetSplit } from '../data/types.js';
import { initBackend } from '../engine/backend.js';
import { trainUnit } from '../run/compare.js';
import type { ProgressMode } from '../train/node/progress-callback.js';
import { parseQueueUrl } from './connection.js';
import { checkpointKey, lockKey, packCheckpoint, unitName, unpackCheckpoint, type SweepJobData, type SweepJobResult } from './jobs.js';

// The worker that forked this process died (SIGKILL, a lost machine): stop too, rather than train on
// and write a checkpoint nobody will read — the job is retried elsewhere.
if (process.send) process.on('disconnect', () => process.exit(1));

/** Stores the checkpoint only if `token` still holds the job's lock. */
const SET_IF_LOCKED = `if redis.call('get', KEYS[1]) == ARGV[1] then redis.call('set', KEYS[2], ARGV[2]) return 1 else return 0 end`;

let redis: Redis | undefined;
let backendReady: Promise<string> | undefined;
let cached: { key: string; split: DatasetSplit } | undefined;

function env(name: string): string | undefined {
  const v = process.env[name];
  return v === undefined || v === '' ? undefined : v;
}

function client(): Redis {
  const url = env('MTL_SWEEP_URL');
  if (!url) throw new Error('MTL_SWEEP_URL is not set: this file runs as the sandboxed processor of `mtl worker`');
  redis ??= new Redis({ ...parseQueueUrl(url).redis, maxRetriesPerRequest: 3 });
  return redis;
}

async function dataFor(data: SweepJobData, config: SweepJobData['config'], dataDir: string | undefined): Promise<DatasetSplit> {
  const key = JSON.stringify([config.data, config.seed, config.limits, data.baseDir, dataDir ?? null]);
  if (cached?.key !== key) {
    cached = undefined;
    cached = { key, split: await loadConfigDataset(config, data.baseDir, dataDir, { log: () => {} }) };
  }
  return cached.split;
}

/** Scratch folders of this machine's processes that died mid-job (killed with their worker). */
function removeDeadScratch(root: string): void {
  if (!fs.existsSync(root)) return;
  for (const name of fs.readdirSync(root)) {
    const [, host, pid] = name.split('@');
    if (host !== os.hostname() || !pid || !/^\d+$/.test(pid)) continue;
    try {
      process.kill(Number(pid), 0);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ESRCH') fs.rmSync(path.join(root, name), { recursive: true, force: true });
    }
  }
}

export default async function processSweepJob(job: SandboxedJob<SweepJobData, SweepJobResult>, token?: string): Promise<SweepJobResult> {
  const data = job.data;
  if (data?.version !== 1) throw new Error(`job ${job.id}: unknown payload version ${String(data?.version)} (enqueued by another mtljs version?)`);
  const worker = env('MTL_SWEEP_WORKER') ?? `${os.hostname()}:${process.pid}`;
  const queueName = job.queueName;
  const id = job.id!;
  const say = (line: string) => process.stdout.write(`[worker ${worker}] job ${id}: ${line}\n`);
  const config = parseConfig(data.config, `job ${id}`);
  const dataDir = env('MTL_SWEEP_DATA_DIR') ?? data.dataDir;
  backendReady ??= initBackend(env('MTL_SWEEP_BACKEND') ?? data.backend);
  await backendReady;
  const split = await dataFor(data, config, dataDir);

  const root = env('MTL_SWEEP_WORK_DIR') ?? path.join(os.tmpdir(), 'mtljs-worker');
  removeDeadScratch(root);
  const scratch = path.join(root, `${id}@${os.hostname()}@${process.pid}`);
  fs.rmSync(scratch, { recursive: true, force: true });
  fs.mkdirSync(scratch, { recursive: true });
  const r = client();
  const ckptKey = checkpointKey(queueName, id);
  try {
    const stored = await r.getBuffer(ckptKey);
    const resumedAfterEpoch = stored ? unpackCheckpoint(stored, scratch) : 0;
    const attempt = job.attemptsStarted || job.attemptsMade + 1;
    if (resumedAfterEpoch > 0) say(`attempt ${attempt}: resuming from its checkpoint after epoch ${resumedAfterEpoch}`);
    const onCheckpoint = async (runDir: string, epoch: number) => {
      const stored = token ? await r.eval(SET_IF_LOCKED, 2, lockKey(queueName, id), ckptKey, token, packCheckpoint(runDir)) : await r.set(ckptKey, packCheckpoint(runDir));
      if (stored === 0) throw new Error(`job ${id}: this worker lost the job's lock (it was given to another worker); stopping`);
      say(`epoch ${epoch}/${config.train.epochs} checkpointed`);
    };
    const result = await trainUnit({
      config, split, taskNames: data.taskNames, unit: data.unit, seed: data.seed, runDir: scratch,
      label: `${unitName(data.unit)} s${data.seed}`,
      options: { outDir: scratch, baseDir: data.baseDir, backend: env('MTL_SWEEP_BACKEND') ?? data.backend ?? 'wasm', dataDir, resume: true, progress: (env('MTL_SWEEP_PROGRESS') ?? 'silent') as ProgressMode },
      trainerOverrides: { onCheckpoint },
    });
    return { ...result, worker, resumedAfterEpoch, attempt };
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}
