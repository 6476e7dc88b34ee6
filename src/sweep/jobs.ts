/**
 * A sweep's jobs: what one job carries (the resolved config, where its data is, the unit and the seed),
 * what it returns (the unit's test metrics: ../run/compare.ts UnitResult), its deterministic id, and its
 * checkpoint as one Buffer in Redis, so that a retry on any machine resumes from the last epoch.
 *
 * Job id = `<unit>-s<seed>-<hash>`, the hash (sha256, 16 hex digits) over the resolved config (epochs
 * included), the data's location (baseDir, dataDir), the unit and the seed: the same sweep enqueued twice
 * is the same jobs (BullMQ adds a job id only once), a changed config or epoch count is new jobs.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { ExperimentConfig } from '../config/schema.js';
import type { CompareUnit, UnitResult } from '../run/compare.js';
import { KEY_PREFIX } from './connection.js';

export interface SweepJobData {
  /** Payload format (a worker refuses one it does not know). */
  version: 1;
  /** The sweep's config as resolved (defaults filled in, --epochs applied), with the sweep's base seed (the data split's). */
  config: ExperimentConfig;
  /** Absolute folder the config came from: relative data paths resolve against it, on the worker too. */
  baseDir: string;
  /** The sweep's --data-dir, if any (a worker's own --data-dir wins). */
  dataDir?: string;
  /** The sweep's --backend, if any (a worker's own --backend wins). */
  backend?: string;
  /** All tasks of the comparison (a method trains them all; a baseline its one; a group its own). */
  taskNames: string[];
  unit: CompareUnit;
  seed: number;
}

export interface SweepJobResult extends UnitResult {
  /** The worker that finished it (`host:pid`). */
  worker: string;
  /** Epochs restored from the job's checkpoint when the finishing attempt began (0: it started fresh). */
  resumedAfterEpoch: number;
  /** Which attempt finished it (1 = the first). */
  attempt: number;
}

/** Stable JSON: object keys sorted, so equal values hash equally whatever their key order. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export function unitName(unit: CompareUnit): string {
  if (unit.kind === 'group') return `group.${unit.tasks.join('+')}`;
  return unit.kind === 'stl' ? `stl.${unit.task}` : unit.method;
}

/** The job's id: readable, no ':' (BullMQ refuses it), deterministic. */
export function sweepJobId(data: Pick<SweepJobData, 'config' | 'baseDir' | 'dataDir' | 'unit' | 'seed' | 'taskNames'>): string {
  const hash = createHash('sha256')
    .update(canonical({ config: data.config, epochs: data.config.train.epochs, baseDir: data.baseDir, dataDir: data.dataDir ?? null, taskNames: data.taskNames, unit: data.unit, seed: data.seed }))
    .digest('hex')
    .slice(0, 16);
  return `${unitName(data.unit).replace(/[^A-Za-z0-9_.+@-]/g, '_')}-s${data.seed}-${hash}`;
}

/** Redis key of a job's latest checkpoint. */
export function checkpointKey(queueName: string, jobId: string): string {
  return `${KEY_PREFIX}:${queueName}:ckpt:${jobId}`;
}

/** Redis key of BullMQ's lock on a job (its value is the token of the worker holding it). */
export function lockKey(queueName: string, jobId: string): string {
  return `${KEY_PREFIX}:${queueName}:${jobId}:lock`;
}

/** The files a resume needs: `checkpoint/` (as ../train/node/checkpoint.ts writes it) and history.jsonl. */
function checkpointFiles(runDir: string): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    for (const e of fs.readdirSync(path.join(runDir, rel), { withFileTypes: true })) {
      const r = path.join(rel, e.name);
      if (e.isDirectory()) walk(r);
      else if (e.isFile()) out.push(r);
    }
  };
  if (fs.existsSync(path.join(runDir, 'checkpoint'))) walk('checkpoint');
  if (fs.existsSync(path.join(runDir, 'history.jsonl'))) out.push('history.jsonl');
  return out;
}

/**
 * The run folder's checkpoint as one Buffer: a 4-byte length, a JSON index [[path, bytes], …], then the
 * files' bytes one after another.
 */
export function packCheckpoint(runDir: string): Buffer {
  const files = checkpointFiles(runDir);
  const bodies = files.map((f) => fs.readFileSync(path.join(runDir, f)));
  const index = Buffer.from(JSON.stringify(files.map((f, i) => [f.split(path.sep).join('/'), bodies[i]!.length])));
  const head = Buffer.alloc(4);
  head.writeUInt32BE(index.length);
  return Buffer.concat([head, index, ...bodies]);
}

/** Writes a packed checkpoint into `runDir` (a fresh folder); returns the epochs it holds. */
export function unpackCheckpoint(buffer: Buffer, runDir: string): number {
  const n = buffer.readUInt32BE(0);
  const index = JSON.parse(buffer.subarray(4, 4 + n).toString('utf8')) as [string, number][];
  let at = 4 + n;
  const root = path.resolve(runDir);
  for (const [rel, size] of index) {
    const file = path.resolve(root, rel);
    if (!file.startsWith(root + path.sep)) throw new Error(`checkpoint entry outside the run folder: ${rel}`);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, buffer.subarray(at, at + size));
    at += size;
  }
  if (at !== buffer.length) throw new Error(`checkpoint archive: ${buffer.length - at} bytes left over`);
  const state = path.join(root, 'checkpoint', 'state.json');
  if (!fs.existsSync(state)) return 0;
  return (JSON.parse(fs.readFileSync(state, 'utf8')) as { history: unknown[] }).history.length;
}
