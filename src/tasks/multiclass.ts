/**
 * Multiclass classification: softmax cross-entropy on the logits; metrics accuracy and macro-F1
 * (primary: accuracy). Labels are class indices, one per sample.
 */
import { tf, type Tensor } from '../engine/tf.js';
import type { TaskSpec } from '../data/types.js';
import { accuracy, argmaxRows, macroF1 } from '../eval/metrics.js';
import { fusedLoss, fusedLossUsable, softmaxCrossEntropyKernel } from './fused-loss.js';
import { labelledRows, maskedMean } from './masked.js';
import type { Task } from './types.js';

/** The loss with tf ops: softmax cross-entropy of [B, K] logits against [B, 1] class indices, masked mean. */
export function multiclassLossOps(logits: Tensor, labels: Tensor, mask: Tensor, k: number): Tensor {
  return tf.tidy(() => {
    const onehot = tf.oneHot(tf.cast(tf.reshape(labels, [-1]), 'int32'), k);
    const nll = tf.neg(tf.sum(tf.mul(onehot, tf.logSoftmax(logits)), 1));
    return maskedMean(nll, tf.reshape(mask, [-1]));
  });
}

export function multiclassTask(spec: TaskSpec): Task {
  const k = spec.outputSize;
  const kernel = softmaxCrossEntropyKernel(k);
  return {
    spec, name: spec.name, kind: 'multiclass', headUnits: k, primary: 'accuracy', higherIsBetter: true,
    // One fused op (src/tasks/fused-loss.ts) where the backend reads values cheaply, else tf ops.
    loss: (logits, labels, mask) => (fusedLossUsable() ? fusedLoss(logits, labels, mask, kernel) : multiclassLossOps(logits, labels, mask, k)),
    predict: (logits: Tensor) => tf.softmax(logits),
    metrics(pred, labels, n) {
      const rows = labelledRows(labels, n, 1);
      const cls = argmaxRows(pred, n, k);
      const p = rows.map((i) => cls[i]), t = rows.map((i) => labels[i]);
      return { accuracy: accuracy(p, t), macro_f1: macroF1(p, t, k), count: rows.length };
    },
    state: () => ({}),
  };
}
