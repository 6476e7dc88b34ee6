/**
 * Multilabel classification: one sigmoid output per label, each a binary problem; a missing label
 * masks only that entry. Metrics are averaged over labels (primary: mean AUC).
 */
import { tf } from '../engine/tf.js';
import type { TaskSpec } from '../data/types.js';
import { accuracy, auc } from '../eval/metrics.js';
import { fusedLoss, fusedLossUsable, sigmoidCrossEntropyKernel } from './fused-loss.js';
import { labelledColumn, maskedMean } from './masked.js';
import { sigmoidCrossEntropy } from './sigmoid.js';
import type { Task } from './types.js';

export function multilabelTask(spec: TaskSpec): Task {
  const L = spec.width;
  return {
    spec, name: spec.name, kind: 'multilabel', headUnits: L, primary: 'auc', higherIsBetter: true,
    // One fused op (src/tasks/fused-loss.ts) where the backend reads values cheaply, else tf ops.
    loss: (logits, labels, mask) => (fusedLossUsable()
      ? fusedLoss(logits, labels, mask, sigmoidCrossEntropyKernel)
      : tf.tidy(() => maskedMean(sigmoidCrossEntropy(logits, labels), mask))),
    predict: (logits) => tf.sigmoid(logits),
    metrics(pred, labels, n) {
      let aucSum = 0, aucCount = 0, accSum = 0, accCount = 0, entries = 0;
      for (let j = 0; j < L; j++) {
        const { pred: scores, truth } = labelledColumn(pred, labels, n, L, j);
        entries += truth.length;
        const a = auc(scores, truth);
        if (!Number.isNaN(a)) { aucSum += a; aucCount++; }
        if (truth.length) { accSum += accuracy(scores.map((s) => (s >= 0.5 ? 1 : 0)), truth); accCount++; }
      }
      return { auc: aucSum / aucCount, accuracy: accSum / accCount, count: entries };
    },
    state: () => ({}),
  };
}
