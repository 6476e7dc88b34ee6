/**
 * Turns a Dataset into training batches. Missing labels (NaN) are split once, up front, into a label
 * array with 0 in their place and a 0/1 mask, so every batch is two plain copies per task.
 */
import { tf, type Tensor } from '../engine/tf.js';
import { tensorFromTensorInfo, wasmBackend } from '../engine/tfjs-internals.js';
import type { Dataset } from '../data/types.js';

export interface PreparedTask {
  name: string;
  width: number;
  filled: Float32Array;
  mask: Float32Array;
}

export interface PreparedData {
  n: number;
  rowSize: number;
  inputShape: number[];
  x: Float32Array;
  tasks: PreparedTask[];
}

export interface Batch {
  x: Tensor;
  labels: Tensor[];
  masks: Tensor[];
  size: number;
}

export function prepare(ds: Dataset, taskNames: string[]): PreparedData {
  const rowSize = ds.inputShape.reduce((a, b) => a * b, 1);
  const tasks = taskNames.map((name) => {
    const spec = ds.tasks.find((t) => t.name === name);
    if (!spec) throw new Error(`dataset "${ds.name}" has no task "${name}" (it has ${ds.tasks.map((t) => t.name).join(', ')})`);
    const raw = ds.labels[name];
    const filled = new Float32Array(raw.length);
    const mask = new Float32Array(raw.length);
    for (let i = 0; i < raw.length; i++) {
      const v = raw[i];
      if (Number.isNaN(v)) continue;
      filled[i] = v;
      mask[i] = 1;
    }
    return { name, width: spec.width, filled, mask };
  });
  return { n: ds.n, rowSize, inputShape: ds.inputShape, x: ds.x, tasks };
}

/** Copies rows `rows` of `src` (rows of `width`) into `out`, in order. */
function gatherRows(src: Float32Array, width: number, rows: ArrayLike<number>, out: Float32Array): Float32Array {
  if (width >= 64) {
    // Wide rows (inputs): a block copy each.
    for (let i = 0; i < rows.length; i++) out.set(src.subarray(rows[i] * width, rows[i] * width + width), i * width);
  } else {
    // Narrow rows (labels, masks): element copies, without a subarray view per row.
    for (let i = 0, o = 0; i < rows.length; i++) {
      const r = rows[i] * width;
      for (let j = 0; j < width; j++) out[o++] = src[r + j];
    }
  }
  return out;
}

/**
 * A float32 tensor of `shape` whose values `fill` writes. On wasm they are written straight into the
 * tensor's buffer on the wasm heap (no JavaScript array to allocate, copy and collect: a batch of the
 * bench MLP is 400 KB); elsewhere into a new array the tensor takes.
 */
export function filledTensor(shape: number[], fill: (out: Float32Array) => void): Tensor {
  if (tf.getBackend() === 'wasm') {
    const be = wasmBackend();
    const info = be.makeOutput(shape, 'float32');
    fill(be.typedArrayFromHeap(info) as Float32Array);
    return tensorFromTensorInfo(info);
  }
  const out = new Float32Array(shape.reduce((a, d) => a * d, 1));
  fill(out);
  return tf.tensor(out, shape, 'float32');
}

/**
 * The tensors of a batch. With `slice` (per-task batching), row i only counts for task slice[i]: the
 * other tasks' masks are zeroed for it.
 */
export function makeBatch(data: PreparedData, rows: ArrayLike<number>, slice?: ArrayLike<number>): Batch {
  const b = rows.length;
  return {
    size: b,
    x: filledTensor([b, ...data.inputShape], (out) => gatherRows(data.x, data.rowSize, rows, out)),
    labels: data.tasks.map((t) => filledTensor([b, t.width], (out) => gatherRows(t.filled, t.width, rows, out))),
    masks: data.tasks.map((t, k) => filledTensor([b, t.width], (m) => {
      gatherRows(t.mask, t.width, rows, m);
      if (slice) for (let i = 0; i < b; i++) if (slice[i] !== k) m.fill(0, i * t.width, (i + 1) * t.width);
    })),
  };
}

export function disposeBatch(batch: Batch): void {
  batch.x.dispose();
  batch.labels.forEach((t) => t.dispose());
  batch.masks.forEach((t) => t.dispose());
}

/** Consecutive slices of `order` of at most `batchSize` rows. */
export function* batchRows(order: ArrayLike<number>, batchSize: number): Generator<ArrayLike<number>> {
  for (let start = 0; start < order.length; start += batchSize) {
    yield Array.prototype.slice.call(order, start, Math.min(start + batchSize, order.length)) as number[];
  }
}
