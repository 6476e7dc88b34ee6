/**
 * Multiclass classification: softmax cross-entropy on the logits; metrics accuracy and macro-F1
 * (primary: accuracy). Labels are class indices, one per sample.
 */
import { tf, type Tensor } from '../engine/tf.js';
import type { TaskSpec } from '../data/types.js';
import { accuracy, argmaxRows, macroF1 } from '../eval/metrics.js';
import { labelledRows, maskedMean } from './masked.js';
import type { Task } from './types.js';

export function multiclassTask(spec: TaskSpec): Task {
  const k = spec.outputSize;
  return {
    spec, name: spec.name, kind: 'multiclass', headUnits: k, primary: 'accuracy', higherIsBetter: true,
    loss(logits, labels, mask) {
      return tf.tidy(() => {
        const onehot = tf.oneHot(tf.cast(tf.reshape(labels, [-1]), 'int32'), k);
        const nll = tf.neg(tf.sum(tf.mul(onehot, tf.logSoftmax(logits)), 1));
        return maskedMean(nll, tf.reshape(mask, [-1]));
      });
    },
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
