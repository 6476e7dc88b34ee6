/**
 * The Trainer's side of a BatchSource (src/data/batch-source.ts: training data streamed a batch at a
 * time, e.g. a file larger than memory): a streamed batch as the tensors makeBatch (./batches.ts)
 * builds, and `datasetSource`, an in-memory Dataset as a BatchSource in the exact order of the `mixed`
 * sampler (./sampler.ts), so fit on it takes the same steps as fit on the Dataset. Pure code.
 */
import { shuffleIndices } from '../data/split.js';
import type { BatchSource, RowBatch } from '../data/batch-source.js';
import type { Dataset } from '../data/types.js';
import { filledTensor, type Batch } from './batches.js';

export type { BatchSource, RowBatch } from '../data/batch-source.js';

/** Either kind of training data: its name, shape and tasks are read the same way. */
export type TrainingData = Dataset | BatchSource;

export function isBatchSource(d: TrainingData): d is BatchSource {
  return typeof (d as Partial<BatchSource>).epochBatches === 'function';
}

/** The tensors of a streamed batch, as makeBatch builds them: labels with 0 for missing, masks 0/1. */
export function rowBatchTensors(b: RowBatch, inputShape: number[], tasks: { name: string; width: number }[]): Batch {
  return {
    size: b.n,
    x: filledTensor([b.n, ...inputShape], (out) => out.set(b.x.subarray(0, out.length))),
    labels: tasks.map((t) => filledTensor([b.n, t.width], (out) => {
      const y = labelsOf(b, t.name);
      for (let i = 0; i < out.length; i++) out[i] = Number.isNaN(y[i]!) ? 0 : y[i]!;
    })),
    masks: tasks.map((t) => filledTensor([b.n, t.width], (out) => {
      const y = labelsOf(b, t.name);
      for (let i = 0; i < out.length; i++) out[i] = Number.isNaN(y[i]!) ? 0 : 1;
    })),
  };
}

function labelsOf(b: RowBatch, name: string): Float32Array {
  const y = b.labels[name];
  if (!y) throw new Error(`batch has no labels for task "${name}" (it has ${Object.keys(b.labels).join(', ')})`);
  return y;
}

function rowsBatch(ds: Dataset, rows: ArrayLike<number>): RowBatch {
  const size = ds.inputShape.reduce((a, b) => a * b, 1);
  const x = new Float32Array(rows.length * size);
  for (let i = 0; i < rows.length; i++) x.set(ds.x.subarray(rows[i]! * size, (rows[i]! + 1) * size), i * size);
  const labels: Record<string, Float32Array> = {};
  for (const t of ds.tasks) {
    const from = ds.labels[t.name]!;
    const to = new Float32Array(rows.length * t.width);
    for (let i = 0; i < rows.length; i++) to.set(from.subarray(rows[i]! * t.width, (rows[i]! + 1) * t.width), i * t.width);
    labels[t.name] = to;
  }
  return { n: rows.length, x, labels };
}

/** An in-memory Dataset as a BatchSource, in the mixed sampler's order (the same steps as fit(ds)). */
export function datasetSource(ds: Dataset): BatchSource {
  return {
    name: ds.name,
    inputShape: ds.inputShape,
    tasks: ds.tasks,
    n: ds.n,
    async *epochBatches(epoch, batchSize, seed) {
      const order = shuffleIndices(ds.n, seed * 100003 + epoch);
      for (let s = 0; s < order.length; s += batchSize) yield rowsBatch(ds, order.slice(s, s + batchSize));
    },
    async *batches(batchSize) {
      for (let s = 0; s < ds.n; s += batchSize) yield rowsBatch(ds, Array.from({ length: Math.min(batchSize, ds.n - s) }, (_, i) => s + i));
    },
  };
}
