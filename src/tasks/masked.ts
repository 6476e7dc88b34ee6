/**
 * Masked reductions shared by every task's loss: missing labels contribute nothing, and the mean is
 * taken over the labelled entries only, so a batch with few labels for a task still has a loss on the
 * same scale. A batch with no label for the task gives a loss of exactly 0 (no gradient from it).
 */
import { tf, type Tensor } from '../engine/tf.js';

export function maskedMean(values: Tensor, mask: Tensor): Tensor {
  return tf.tidy(() => {
    const total = tf.sum(tf.mul(values, mask));
    const count = tf.maximum(tf.sum(mask), tf.scalar(1));
    return tf.div(total, count);
  });
}

/** Indices of the samples whose label row has no NaN (for metrics). */
export function labelledRows(labels: Float32Array, n: number, width: number): number[] {
  const rows: number[] = [];
  for (let i = 0; i < n; i++) {
    let ok = true;
    for (let j = 0; j < width; j++) if (Number.isNaN(labels[i * width + j])) { ok = false; break; }
    if (ok) rows.push(i);
  }
  return rows;
}

/** Output j of `pred` and `labels` (n rows of `width`) over the samples that have that label (for metrics). */
export function labelledColumn(pred: Float32Array, labels: Float32Array, n: number, width: number, j: number): { pred: number[]; truth: number[] } {
  const out: { pred: number[]; truth: number[] } = { pred: [], truth: [] };
  for (let i = 0; i < n; i++) {
    const y = labels[i * width + j]!;
    if (Number.isNaN(y)) continue;
    out.pred.push(pred[i * width + j]!);
    out.truth.push(y);
  }
  return out;
}
