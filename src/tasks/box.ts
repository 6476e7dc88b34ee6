/**
 * Box regression: 4 coordinates (x1, y1, x2, y2) in [0, 1], predicted through a sigmoid; smooth-L1
 * loss (Girshick 2015, Fast R-CNN) with transition point β:
 *   ℓ(d) = 0.5·d²/β if |d| < β, else |d| − 0.5·β;
 * metric mean IoU (primary, higher is better) and the fraction of boxes with IoU ≥ 0.5.
 */
import { tf } from '../engine/tf.js';
import type { TaskSpec } from '../data/types.js';
import { iou } from '../eval/metrics.js';
import { boxKernel, fusedLoss, fusedLossUsable } from './fused-loss.js';
import { labelledRows, maskedMean } from './masked.js';
import type { Task } from './types.js';

export function smoothL1(diff: tf.Tensor, beta: number): tf.Tensor {
  // Written with min() rather than where(a < β, …): the comparison op has no gradient in tfjs.
  // With m = min(|d|, β): 0.5·m²/β + (|d| − m) equals both branches of the definition.
  return tf.tidy(() => {
    const a = tf.abs(diff);
    const m = tf.minimum(a, beta);
    return tf.add(tf.div(tf.mul(0.5, tf.square(m)), beta), tf.sub(a, m));
  });
}

export function boxTask(spec: TaskSpec, options: { beta?: number } = {}): Task {
  const beta = options.beta ?? 0.1;
  const kernel = boxKernel(beta);
  return {
    spec, name: spec.name, kind: 'box', headUnits: 4, primary: 'mean_iou', higherIsBetter: true,
    loss(logits, labels, mask) {
      // One fused op (src/tasks/fused-loss.ts) where the backend reads values cheaply, else tf ops.
      if (fusedLossUsable()) return fusedLoss(logits, labels, mask, kernel);
      return tf.tidy(() => {
        // A box is either labelled or not: one missing coordinate masks the whole box.
        const rowMask = tf.min(mask, 1, true);
        const perCoord = smoothL1(tf.sub(tf.sigmoid(logits), labels), beta);
        return maskedMean(perCoord, tf.mul(tf.onesLike(perCoord), rowMask));
      });
    },
    predict: (logits) => tf.sigmoid(logits),
    metrics(pred, labels, n) {
      const rows = labelledRows(labels, n, 4);
      let sum = 0, hits = 0;
      for (const i of rows) {
        const v = iou(pred.subarray(i * 4, i * 4 + 4), labels.subarray(i * 4, i * 4 + 4));
        sum += v;
        if (v >= 0.5) hits++;
      }
      return { mean_iou: rows.length ? sum / rows.length : NaN, iou50: rows.length ? hits / rows.length : NaN, count: rows.length };
    },
    state: () => ({ beta }),
  };
}
