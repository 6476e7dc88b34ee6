/**
 * Binary classification: one logit, sigmoid cross-entropy; metrics accuracy (threshold 0.5) and AUC
 * (primary: AUC, threshold-free). Labels are 0/1.
 */
import { tf } from '../engine/tf.js';
import type { TaskSpec } from '../data/types.js';
import { accuracy, auc } from '../eval/metrics.js';
import { fusedLoss, fusedLossUsable, sigmoidCrossEntropyKernel } from './fused-loss.js';
import { labelledRows, maskedMean } from './masked.js';
import { sigmoidCrossEntropy } from './sigmoid.js';
import type { Task } from './types.js';

export function binaryTask(spec: TaskSpec): Task {
  return {
    spec, name: spec.name, kind: 'binary', headUnits: 1, primary: 'auc', higherIsBetter: true,
    // One fused op (src/tasks/fused-loss.ts) where the backend reads values cheaply, else tf ops.
    loss: (logits, labels, mask) => (fusedLossUsable()
      ? fusedLoss(logits, labels, mask, sigmoidCrossEntropyKernel)
      : tf.tidy(() => maskedMean(sigmoidCrossEntropy(logits, labels), mask))),
    predict: (logits) => tf.sigmoid(logits),
    metrics(pred, labels, n) {
      const rows = labelledRows(labels, n, 1);
      const scores = rows.map((i) => pred[i]), truth = rows.map((i) => labels[i]);
      return {
        auc: auc(scores, truth),
        accuracy: accuracy(scores.map((s) => (s >= 0.5 ? 1 : 0)), truth),
        count: rows.length,
      };
    },
    state: () => ({}),
  };
}
