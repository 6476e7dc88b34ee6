/**
 * Which rows make up each step's batch.
 * - `mixed` (default): one seeded shuffle of all rows per epoch, cut into batches.
 * - `per-task`: every step takes `batchSize` rows labelled for each task (LibMTL's multi-input loop),
 *   cycling through the smaller tasks; in that slice only that task's labels count, so a row labelled
 *   for several tasks is never counted twice. An epoch is as long as the largest task needs.
 * Orders depend only on (seed, epoch), so a resumed run sees the same batches.
 *
 * Extra samples (extraSampleRows): a method that needs k independent minibatches per step (MoDo,
 * SDMGrad; GradientMethod.samples) gets the step's batch from the order above, as every method does,
 * plus k − 1 batches each drawn afresh — batchSize distinct rows uniformly from all rows (`per-task`:
 * batchSize from each task's labelled rows). This is what the SDMGrad authors' code does (the epoch's
 * batch plus two from a second shuffled loader, every step) and keeps LibMTL's schedule (as many steps
 * per epoch, k full batches each; LibMTL takes them from one cycling loader). A draw is a pure function
 * of (seed, global step, k), so it needs no state of its own: the global step is in the checkpoint, and
 * a resumed run draws what the uninterrupted one drew. The epoch orders are not touched.
 */
import { mulberry32, shuffleIndices } from '../data/split.js';
import type { PreparedData } from './batches.js';
import { fmix32 } from '../util/fmix32.js';

export type Batching = 'mixed' | 'per-task';

export interface StepRows {
  rows: number[];
  /** per-task batching: task index of each row's slice (only that task's label counts). */
  slice?: number[];
}

export function epochBatches(data: PreparedData, batchSize: number, seed: number, epoch: number, batching: Batching): StepRows[] {
  if (batching === 'mixed') {
    const order = shuffleIndices(data.n, seed * 100003 + epoch);
    const out: StepRows[] = [];
    for (let s = 0; s < order.length; s += batchSize) out.push({ rows: order.slice(s, s + batchSize) });
    return out;
  }
  const perTask = labelledRows(data).map((rows, k) => {
    const order = shuffleIndices(rows.length, seed * 100003 + epoch * 131 + k);
    return order.map((i) => rows[i]);
  });
  const nonEmpty = perTask.filter((r) => r.length > 0);
  if (nonEmpty.length === 0) return [];
  const steps = Math.max(...nonEmpty.map((r) => Math.ceil(r.length / batchSize)));
  const out: StepRows[] = [];
  for (let s = 0; s < steps; s++) {
    const rows: number[] = [], slice: number[] = [];
    perTask.forEach((r, k) => {
      if (!r.length) return;
      const take = Math.min(batchSize, r.length);
      for (let i = 0; i < take; i++) {
        rows.push(r[(s * batchSize + i) % r.length]);
        slice.push(k);
      }
    });
    out.push({ rows, slice });
  }
  return out;
}

/** Each task's rows with at least one label, in row order. */
function labelledRows(data: PreparedData): number[][] {
  return data.tasks.map((t) => {
    const rows: number[] = [];
    for (let i = 0; i < data.n; i++) {
      for (let j = 0; j < t.width; j++) if (t.mask[i * t.width + j]) { rows.push(i); break; }
    }
    return rows;
  });
}

/** What extra samples are drawn from: all rows (`mixed`), or each task's labelled rows (`per-task`); made once per fit. */
export interface SamplePool {
  n: number;
  perTask: number[][] | null;
}

export function samplePool(data: PreparedData, batching: Batching): SamplePool {
  return { n: data.n, perTask: batching === 'per-task' ? labelledRows(data) : null };
}

/** A 32-bit seed from (run seed, global step, sample k): a murmur3-style finaliser, constants of its own. */
export function sampleSeed(seed: number, step: number, k: number): number {
  return fmix32(Math.imul(seed ^ 0x5bd1e995, 0xcc9e2d51) ^ Math.imul(step + 1, 0x1b873593) ^ Math.imul(k + 1, 0xe6546b64));
}

/** m distinct values of 0…n−1, uniformly (a partial Fisher–Yates shuffle: O(m) time and memory). */
export function sampleDistinct(n: number, m: number, rand: () => number): number[] {
  const moved = new Map<number, number>();
  const out: number[] = [];
  for (let i = 0; i < Math.min(m, n); i++) {
    const j = i + Math.floor(rand() * (n - i));
    out.push(moved.get(j) ?? j);
    moved.set(j, moved.get(i) ?? i);
  }
  return out;
}

/**
 * The rows of extra sample k (k = 1 … samples − 1) of global step `step`: batchSize distinct rows (all
 * of them when fewer), or per task, as the step's own batches are.
 */
export function extraSampleRows(pool: SamplePool, batchSize: number, seed: number, step: number, k: number): StepRows {
  const rand = mulberry32(sampleSeed(seed, step, k));
  if (!pool.perTask) return { rows: sampleDistinct(pool.n, batchSize, rand) };
  const rows: number[] = [], slice: number[] = [];
  pool.perTask.forEach((r, t) => {
    for (const i of sampleDistinct(r.length, batchSize, rand)) {
      rows.push(r[i]!);
      slice.push(t);
    }
  });
  return { rows, slice };
}
