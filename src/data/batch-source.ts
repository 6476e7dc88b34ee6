/**
 * The contract of training data that is not one in-memory Dataset (./types.ts): a source of batches,
 * e.g. a file streamed from disk a pass per epoch (./stream/). The Trainer's `fit` and the evaluation
 * take either (src/train/batch-source.ts turns batches into tensors).
 *
 * `epochBatches(epoch, batchSize, seed)` yields every training row once, in an order that depends only
 * on (seed, epoch) — so a run resumed at an epoch boundary sees the batches it would have seen — and
 * `batches(batchSize)` yields every row once in a fixed order (evaluation). Labels follow the Dataset
 * conventions (task name → n × width values, NaN = missing). `n` is the rows of one pass (known after a
 * source's first pass; 0 when not known): progress shows ceil(n / batchSize) steps per epoch.
 */
import type { TaskSpec } from './types.js';

/** One batch of rows: n × prod(inputShape) inputs, labels keyed by task name (n × width, NaN = missing). */
export interface RowBatch {
  n: number;
  x: Float32Array;
  labels: Record<string, Float32Array>;
}

export interface BatchSource {
  name: string;
  inputShape: number[];
  tasks: TaskSpec[];
  /** Rows of one pass. */
  n: number;
  /** One epoch's rows, shuffled by (seed, epoch), in batches of batchSize (the last may be smaller). */
  epochBatches(epoch: number, batchSize: number, seed: number): AsyncIterable<RowBatch>;
  /** Every row once, in a fixed order, in batches of batchSize. */
  batches(batchSize: number): AsyncIterable<RowBatch>;
}
