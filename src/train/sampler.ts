/**
 * Which rows make up each step's batch.
 * - `mixed` (default): one seeded shuffle of all rows per epoch, cut into batches.
 * - `per-task`: every step takes `batchSize` rows labelled for each task (LibMTL's multi-input loop),
 *   cycling through the smaller tasks; in that slice only that task's labels count, so a row labelled
 *   for several tasks is never counted twice. An epoch is as long as the largest task needs.
 * Orders depend only on (seed, epoch), so a resumed run sees the same batches.
 */
import { shuffleIndices } from '../data/split.js';
import type { PreparedData } from './batches.js';

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
  const perTask = data.tasks.map((t, k) => {
    const rows: number[] = [];
    for (let i = 0; i < data.n; i++) {
      for (let j = 0; j < t.width; j++) if (t.mask[i * t.width + j]) { rows.push(i); break; }
    }
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
