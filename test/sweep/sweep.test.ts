/**
 * Distributed sweeps on a real redis-server (test/helpers/redis.ts; no mock): `mtl sweep --queue` enqueues
 * one BullMQ job per (baseline or method, seed) with a deterministic id, `mtl worker`s run them in
 * sandboxed child processes and checkpoint each epoch to Redis. Shown here: the same sweep enqueued twice
 * is the same jobs; 3 methods × 2 seeds on 2 workers, one SIGKILLed (with its sandbox child) right after a
 * job's first checkpoint reached Redis — every job finishes exactly once, the killed job's retry resumes
 * from its checkpoint on the other worker, and the table equals `mtl compare`'s at the same seeds; without
 * --queue `mtl sweep` is `mtl compare`; a bad or unreachable queue URL is one clear line.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { readConfigFile } from '../../src/config/load.js';
import { parseQueueUrl } from '../../src/sweep/connection.js';
import { enqueueSweep, openQueue, planSweep } from '../../src/sweep/sweep.js';
import { runMtl } from '../helpers/cli.js';
import { freePort, startRedis, type TestRedis } from '../helpers/redis.js';
import { writeTwoTargetCsv } from '../helpers/two-target-csv.js';

const BIN = path.resolve('bin/mtl.js');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mtl-sweep-'));
const METHODS = 'ew,pcgrad,uw';
const SEEDS = '0,1';
const EPOCHS = 6;
let redis: TestRedis;
const workers: ChildProcess[] = [];

beforeAll(async () => {
  redis = await startRedis();
  // Two related targets of one hidden factor; 2,000 rows at batch 16 make an epoch ~0.1–0.3 s.
  writeTwoTargetCsv(tmp, 2000);
  fs.writeFileSync(path.join(tmp, 'c.yaml'), [
    'name: sweep',
    'seed: 0',
    'data: { dataset: csv, train: d.csv, testFraction: 0.3, features: [{column: a, type: numeric}, {column: b, type: numeric}, {column: c, type: categorical}],',
    '  targets: [{task: pos, kind: binary, columns: [pos]}, {task: val, kind: regression, columns: [val]}] }',
    'model: { encoder: { type: mlp, hidden: [16] } }',
    // Adam with the native kernels: the in-place fused update must not leave XNNPACK's cached weights stale,
    // or the resumed job would differ from the uninterrupted local run (this test found that bug).
    `train: { epochs: ${EPOCHS}, batchSize: 16, optimizer: adam, lr: 0.01, earlyStopping: false }`,
  ].join('\n'));
});

afterAll(async () => {
  for (const w of workers) if (w.exitCode === null && w.signalCode === null) killGroup(w, 'SIGKILL');
  await redis?.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** Kills a worker started here with its whole process group (the worker, its sandbox child, tsx's helper). */
function killGroup(w: ChildProcess, signal: NodeJS.Signals): void {
  try {
    process.kill(-w.pid!, signal);
  } catch {
    // already gone
  }
}

interface WorkerProc {
  proc: ChildProcess;
  out: () => string;
  exited: Promise<void>;
  /** Resolves with the first stdout line matching `re` (seen from now on or already). */
  waitFor(re: RegExp, timeoutMs?: number): Promise<{ line: string; at: number }>;
}

function startWorker(queueName: string): WorkerProc {
  const proc = spawn(process.execPath, [BIN, 'worker', '--queue', redis.url, '--queue-name', queueName, '--lock-duration', '4', '--stalled-interval', '1', '--work-dir', path.join(tmp, 'scratch')], { cwd: tmp, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  workers.push(proc);
  let out = '';
  const waiters: { re: RegExp; resolve: (v: { line: string; at: number }) => void }[] = [];
  const lines: { line: string; at: number }[] = [];
  let partial = '';
  const onData = (d: Buffer) => {
    out += d;
    partial += d;
    const parts = partial.split('\n');
    partial = parts.pop()!;
    for (const line of parts) {
      const seen = { line, at: Date.now() };
      lines.push(seen);
      for (const w of [...waiters]) if (w.re.test(line)) { waiters.splice(waiters.indexOf(w), 1); w.resolve(seen); }
    }
  };
  proc.stdout!.on('data', onData);
  proc.stderr!.on('data', (d: Buffer) => (out += d));
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  return {
    proc, out: () => out, exited,
    waitFor(re, timeoutMs = 60_000) {
      const hit = lines.find((l) => re.test(l.line));
      if (hit) return Promise.resolve(hit);
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`no line matching ${re} in ${timeoutMs} ms; worker output:\n${out}`)), timeoutMs);
        waiters.push({ re, resolve: (v) => { clearTimeout(t); resolve(v); } });
      });
    },
  };
}

/** compare.csv without the timing columns (epoch time differs between runs), as rows of cells. */
function metricsTable(dir: string): string[][] {
  const [head, ...rows] = fs.readFileSync(path.join(dir, 'compare.csv'), 'utf8').trim().split('\n').map((l) => l.split(','));
  const keep = head!.map((h, i) => (h === 'epoch_seconds' || h === 'epoch_time_vs_ew' ? -1 : i)).filter((i) => i >= 0);
  return [head!, ...rows].map((r) => keep.map((i) => r[i]!));
}

function expectSameTable(a: string[][], b: string[][]): void {
  expect(b.length).toBe(a.length);
  expect(b[0]).toEqual(a[0]);
  for (let r = 1; r < a.length; r++) {
    expect(b[r]!.length).toBe(a[r]!.length);
    for (let c = 0; c < a[r]!.length; c++) {
      const x = Number(a[r]![c]), y = Number(b[r]![c]);
      if (a[r]![c] !== '' && Number.isFinite(x)) expect(Math.abs(x - y), `${a[0]![c]} of row ${a[r]!.slice(0, 2).join(' ')}`).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(x)));
      else expect(b[r]![c]).toBe(a[r]![c]);
    }
  }
}

describe('mtl sweep / mtl worker on BullMQ over Redis', () => {
  it('job ids are deterministic: the same sweep enqueued twice is the same jobs', async () => {
    const { config, baseDir } = readConfigFile(path.join(tmp, 'c.yaml'));
    const methods = METHODS.split(',');
    const a = await planSweep(config, methods, { baseDir, seeds: [0, 1] });
    const b = await planSweep(structuredClone(config), methods, { baseDir, seeds: [0, 1] });
    expect(a.length).toBe(2 * 2 + 3 * 2); // baselines of 2 tasks + 3 methods, at 2 seeds
    expect(b.map((j) => j.id)).toEqual(a.map((j) => j.id));
    expect(new Set(a.map((j) => j.id)).size).toBe(a.length);
    expect(a[0]!.id).toMatch(/^stl\.pos-s0-[0-9a-f]{16}$/);
    // Another epoch count is other jobs.
    const other = structuredClone(config);
    other.train.epochs = EPOCHS + 1;
    const c = await planSweep(other, methods, { baseDir, seeds: [0, 1] });
    expect(c.map((j) => j.id).filter((id) => a.some((x) => x.id === id))).toEqual([]);

    const queue = openQueue(parseQueueUrl(redis.url), 'ids-test');
    try {
      expect(await enqueueSweep(queue, a)).toEqual({ added: 10, existing: 0, retried: 0 });
      expect(await enqueueSweep(queue, b)).toEqual({ added: 0, existing: 10, retried: 0 });
      const counts = await queue.getJobCounts('waiting', 'active', 'completed', 'failed', 'delayed');
      expect(Object.values(counts).reduce((s, n) => s + n, 0)).toBe(10);
      expect((await queue.getJobs(['waiting'])).map((j) => j.id).sort()).toEqual(a.map((j) => j.id).sort());
    } finally {
      await queue.obliterate({ force: true });
      await queue.close();
    }
  });

  it('3 methods × 2 seeds on 2 workers, one SIGKILLed mid-job: all done once, the retry resumes from its Redis checkpoint, the table equals mtl compare', async () => {
    const queueName = 'kill-test';
    const t0 = Date.now();
    // The local reference runs beside the sweep (same seeds, same config).
    const local = runMtl(['compare', 'c.yaml', '--methods', METHODS, '--seeds', SEEDS, '--out', 'local', '--progress', 'silent'], { cwd: tmp });
    const w1 = startWorker(queueName);
    const w2 = startWorker(queueName);
    await Promise.all([w1.waitFor(/waiting for jobs/), w2.waitFor(/waiting for jobs/)]);
    const sweep = runMtl(['sweep', 'c.yaml', '--methods', METHODS, '--seeds', SEEDS, '--queue', redis.url, '--queue-name', queueName, '--out', 'remote'], { cwd: tmp });

    // Kill the first worker to store a job's first checkpoint, at once, with its sandbox child.
    const first = await Promise.race([w1, w2].map((w) => w.waitFor(/job (\S+): epoch 1\/\d+ checkpointed/).then((hit) => ({ w, hit }))));
    const victim = first.w;
    const survivor = victim === w1 ? w2 : w1;
    const killedJob = /job (\S+): epoch 1\//.exec(first.hit.line)![1]!;
    killGroup(victim.proc, 'SIGKILL');
    const killedAt = Date.now();
    await victim.exited;

    const resumed = await survivor.waitFor(new RegExp(`start ${killedJob.replace(/[.+@]/g, '\\$&')} .*attempt 2`), 60_000);
    const s = await sweep;
    expect(s.code, s.err + s.out).toBe(0);
    const l = await local;
    expect(l.code, l.err).toBe(0);
    const done = Date.now();

    // Every (unit, seed) exactly once; the killed job finished by the survivor on its 2nd attempt, from its checkpoint.
    const record = JSON.parse(fs.readFileSync(path.join(tmp, 'remote', 'sweep.json'), 'utf8')) as { jobs: { id: string; unit: { kind: string; task?: string; method?: string }; seed: number; worker: string; attempt: number; resumedAfterEpoch: number; epochs: number }[] };
    expect(record.jobs.length).toBe(10);
    const keys = record.jobs.map((j) => `${j.unit.kind}:${j.unit.task ?? j.unit.method}:${j.seed}`);
    expect(new Set(keys).size).toBe(10);
    const killed = record.jobs.find((j) => j.id === killedJob)!;
    expect(killed.attempt).toBeGreaterThanOrEqual(2);
    expect(killed.resumedAfterEpoch).toBeGreaterThanOrEqual(1);
    expect(killed.resumedAfterEpoch).toBeLessThan(EPOCHS);
    expect(killed.epochs).toBe(EPOCHS);
    expect(survivor.out()).toMatch(new RegExp(`job ${killedJob.replace(/[.+@]/g, '\\$&')}: attempt \\d: resuming from its checkpoint after epoch ${killed.resumedAfterEpoch}`));
    for (const j of record.jobs) expect(j.epochs).toBe(EPOCHS);

    // The same table as the local compare (metrics and Δm%; epoch times differ).
    const [localTable, remoteTable] = [metricsTable(path.join(tmp, 'local')), metricsTable(path.join(tmp, 'remote'))];
    expectSameTable(localTable, remoteTable);
    const exact = JSON.stringify(localTable) === JSON.stringify(remoteTable);
    expect(s.out).toMatch(/\| pcgrad \| \d\.\d{4} ± \d\.\d{4} \|/);

    // Nothing left behind: every job completed, no checkpoint in Redis.
    const queue = new Queue(queueName, { connection: parseQueueUrl(redis.url).redis, prefix: 'mtl' });
    const client = new Redis(redis.port, '127.0.0.1');
    try {
      const counts = await queue.getJobCounts('completed', 'failed', 'waiting', 'active', 'delayed');
      expect([counts.completed, counts.failed, counts.waiting, counts.active, counts.delayed]).toEqual([10, 0, 0, 0, 0]);
      expect(await client.keys(`mtl:${queueName}:ckpt:*`)).toEqual([]);
    } finally {
      await queue.close();
      client.disconnect();
    }
    // The killed process's scratch folder was removed by the next job on this machine; finished jobs remove their own.
    expect(fs.readdirSync(path.join(tmp, 'scratch'))).toEqual([]);
    killGroup(survivor.proc, 'SIGTERM');
    await survivor.exited;
    expect(survivor.out()).toMatch(/SIGTERM: finishing the running job\(s\)[\s\S]*stopped/);
    console.log(`[sweep kill test] killed ${killedJob} after its epoch-1 checkpoint; retried on the other worker ${((resumed.at - killedAt) / 1000).toFixed(1)} s later, resumed after epoch ${killed.resumedAfterEpoch}; table ${exact ? 'identical' : 'equal to 1e-6'}; whole test ${((done - t0) / 1000).toFixed(1)} s`);
  });

  it('without --queue, mtl sweep runs locally and writes what mtl compare writes', async () => {
    const args = ['c.yaml', '--methods', 'ew', '--epochs', '1', '--progress', 'silent'];
    const [a, b] = await Promise.all([runMtl(['sweep', ...args, '--out', 'sweep-local'], { cwd: tmp }), runMtl(['compare', ...args, '--out', 'compare-local'], { cwd: tmp })]);
    expect(a.code, a.err).toBe(0);
    expect(b.code, b.err).toBe(0);
    expectSameTable(metricsTable(path.join(tmp, 'compare-local')), metricsTable(path.join(tmp, 'sweep-local')));
    expect(fs.existsSync(path.join(tmp, 'sweep-local', 'sweep.json'))).toBe(false);
  });

  it('a bad queue URL or an unreachable Redis is one clear line, no stack, no reconnect loop', async () => {
    const closed = await freePort();
    const t0 = Date.now();
    const [scheme, noPort, unreachable, worker] = await Promise.all([
      runMtl(['sweep', 'c.yaml', '--methods', 'ew', '--queue', 'http://127.0.0.1:6379'], { cwd: tmp }),
      runMtl(['worker', '--queue', 'redis://127.0.0.1:notaport'], { cwd: tmp }),
      runMtl(['sweep', 'c.yaml', '--methods', 'ew', '--queue', `redis://127.0.0.1:${closed}`], { cwd: tmp }),
      runMtl(['worker', '--queue', `redis://127.0.0.1:${closed}`], { cwd: tmp }),
    ]);
    expect(Date.now() - t0).toBeLessThan(30_000);
    expect(scheme.code).toBe(2);
    expect(scheme.err.trim()).toMatch(/^mtl: error: --queue: the scheme must be redis:\/\/ or rediss:\/\/, not http:\/\/; expected redis:\/\/HOST:PORT .*got 'http:\/\/127\.0\.0\.1:6379'$/);
    expect(noPort.code).toBe(2);
    expect(noPort.err).toMatch(/--queue: not a URL; expected redis:\/\/HOST:PORT/);
    for (const r of [unreachable, worker]) {
      expect(r.code, r.err).toBe(1);
      expect(r.err.trim().split('\n')).toHaveLength(1);
      expect(r.err).toMatch(new RegExp(`^mtl: error: cannot reach Redis at redis://127\\.0\\.0\\.1:${closed}: .*ECONNREFUSED`));
    }
  });
});
