/**
 * `mtl affinity --train-groups --queue` on a real redis-server (test/helpers/redis.ts; no mock): the affinity
 * is measured here, then the trainings of the comparison — all-in-one, each suggested group, each task alone —
 * are BullMQ jobs (unit kind 'group' / 'stl', deterministic ids) that an ordinary `mtl worker` runs. Shown
 * here: with one worker the printed table and affinity.json equal the local `--train-groups`; running the
 * command again adds no job (it collects the completed ones); --queue without --train-groups is a usage error.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Queue } from 'bullmq';
import { parseQueueUrl } from '../../src/sweep/connection.js';
import { runMtl } from '../helpers/cli.js';
import { startRedis, type TestRedis } from '../helpers/redis.js';

const BIN = path.resolve('bin/mtl.js');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mtl-affinity-queue-'));
let redis: TestRedis;
let worker: ChildProcess | undefined;

beforeAll(async () => {
  redis = await startRedis();
  // pos and val share a hidden factor; noise is unrelated to both: the grouping splits the tasks.
  const rows = Array.from({ length: 1200 }, (_, i) => {
    const a = Math.sin(i * 12.9898) * 43758.5453 % 1;
    const b = Math.sin(i * 78.233) * 12345.678 % 1;
    const n = Math.sin(i * 39.3468) * 24634.6345 % 1;
    const h = a - 0.5 * b;
    return `${a.toFixed(4)},${b.toFixed(4)},${['x', 'y', 'z'][i % 3]},${h > 0 ? 1 : 0},${(2 * h + 0.1 * Math.cos(i)).toFixed(4)},${(3 * n).toFixed(4)}`;
  });
  fs.writeFileSync(path.join(tmp, 'd.csv'), ['a,b,c,pos,val,noise', ...rows].join('\n') + '\n');
  fs.writeFileSync(path.join(tmp, 'c.yaml'), [
    'name: affinity-queue',
    'seed: 0',
    'data: { dataset: csv, train: d.csv, testFraction: 0.3, features: [{column: a, type: numeric}, {column: b, type: numeric}, {column: c, type: categorical}],',
    '  targets: [{task: pos, kind: binary, columns: [pos]}, {task: val, kind: regression, columns: [val]}, {task: noise, kind: regression, columns: [noise]}] }',
    'model: { encoder: { type: mlp, hidden: [16] } }',
    'train: { epochs: 3, batchSize: 16, optimizer: adam, lr: 0.01, earlyStopping: false }',
  ].join('\n'));
});

afterAll(async () => {
  if (worker && worker.exitCode === null && worker.signalCode === null) {
    try {
      process.kill(-worker.pid!, 'SIGKILL'); // the worker, its sandbox child and tsx's helper
    } catch {
      // already gone
    }
  }
  await redis?.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
});

interface AffinityJson {
  tasks: string[];
  grouping: { names: string[][] };
  comparison: { task: string; primary: string; all: number; grouped: number; stl: number }[];
  deltaM: { all: number; grouped: number };
}

const readJson = <T>(...p: string[]) => JSON.parse(fs.readFileSync(path.join(tmp, ...p), 'utf8')) as T;
/** The printed comparison: the table and the Δm% line. */
const table = (out: string) => out.slice(out.indexOf('| task | primary |')).trim();

describe('mtl affinity --train-groups --queue on BullMQ over Redis', () => {
  it('one mtl worker runs all-in-one, each group and each STL task as jobs; the table equals the local --train-groups; a rerun adds no job', async () => {
    const t0 = Date.now();
    const queueName = 'affinity-test';
    const local = runMtl(['affinity', 'c.yaml', '--train-groups', '--out', 'local', '--progress', 'silent'], { cwd: tmp });
    worker = spawn(process.execPath, [BIN, 'worker', '--queue', redis.url, '--queue-name', queueName, '--work-dir', path.join(tmp, 'scratch')], { cwd: tmp, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let wout = '';
    worker.stdout!.on('data', (d: Buffer) => (wout += d));
    worker.stderr!.on('data', (d: Buffer) => (wout += d));
    const exited = new Promise<void>((resolve) => worker!.once('exit', () => resolve()));
    const args = ['affinity', 'c.yaml', '--train-groups', '--queue', redis.url, '--queue-name', queueName, '--out', 'remote', '--progress', 'silent'];
    const remote = await runMtl(args, { cwd: tmp });
    const l = await local;
    expect(l.code, l.err).toBe(0);
    expect(remote.code, remote.err + '\nworker:\n' + wout).toBe(0);

    const a = readJson<AffinityJson>('local', 'affinity.json');
    const b = readJson<AffinityJson>('remote', 'affinity.json');
    expect(a.grouping.names.length).toBeGreaterThanOrEqual(2);
    expect(b.grouping).toEqual(a.grouping);
    expect(b.comparison.map((c) => [c.task, c.primary])).toEqual(a.comparison.map((c) => [c.task, c.primary]));
    for (const [i, c] of a.comparison.entries()) {
      for (const k of ['all', 'grouped', 'stl'] as const) expect(Math.abs(b.comparison[i]![k] - c[k]), `${c.task} ${k}`).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(c[k])));
    }
    expect(table(remote.out)).toBe(table(l.out));
    expect(table(remote.out)).toMatch(/^\| task \| primary \| all tasks \| grouped \| STL \|/);

    // The jobs: all-in-one, each group, each task alone, in that order, each once, on the worker.
    const nJobs = 1 + a.grouping.names.length + a.tasks.length;
    const record = readJson<{ jobs: { id: string; unit: { kind: string; tasks?: string[]; task?: string }; worker: string; epochs: number }[] }>('remote', 'sweep.json');
    expect(record.jobs.map((j) => j.unit)).toEqual([
      { kind: 'group', tasks: a.tasks },
      ...a.grouping.names.map((tasks) => ({ kind: 'group', tasks })),
      ...a.tasks.map((task) => ({ kind: 'stl', task })),
    ]);
    expect(record.jobs[0]!.id).toMatch(/^group\.pos\+val\+noise-s0-[0-9a-f]{16}$/);
    for (const j of record.jobs) expect(j.epochs).toBe(3);
    expect(remote.err).toMatch(new RegExp(`affinity: ${nJobs} jobs on queue ${queueName} .*\\(${nJobs} added, 0 already there\\)`));

    // Deterministic ids: the same command again attaches to the completed jobs, adds none, prints the same table.
    const again = await runMtl([...args.slice(0, -3), 'remote2', '--progress', 'silent'], { cwd: tmp });
    expect(again.code, again.err).toBe(0);
    expect(again.err).toMatch(new RegExp(`\\(0 added, ${nJobs} already there\\)`));
    expect(table(again.out)).toBe(table(remote.out));
    expect(readJson<{ jobs: { id: string }[] }>('remote2', 'sweep.json').jobs.map((j) => j.id)).toEqual(record.jobs.map((j) => j.id));
    const queue = new Queue(queueName, { connection: parseQueueUrl(redis.url).redis, prefix: 'mtl' });
    try {
      const counts = await queue.getJobCounts('completed', 'failed', 'waiting', 'active', 'delayed');
      expect([counts.completed, counts.failed, counts.waiting, counts.active, counts.delayed]).toEqual([nJobs, 0, 0, 0, 0]);
    } finally {
      await queue.close();
    }
    expect(wout).toMatch(/start group\.val\+noise-s0-[0-9a-f]{16} \(group val\+noise, seed 0\)/);

    process.kill(-worker.pid!, 'SIGTERM');
    await exited;
    console.log(`[affinity queue test] groups ${a.grouping.names.map((g) => `{${g.join(',')}}`).join(' ')}, ${nJobs} jobs on one worker; table ${JSON.stringify(a.comparison) === JSON.stringify(b.comparison) ? 'identical' : 'equal to 1e-6'}; whole test ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  });

  it('--queue without --train-groups is a usage error', async () => {
    const r = await runMtl(['affinity', 'c.yaml', '--queue', redis.url], { cwd: tmp });
    expect(r.code).toBe(2);
    expect(r.err.trim()).toMatch(/^mtl: error: --queue needs --train-groups/);
  });
});
