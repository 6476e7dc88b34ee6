/**
 * Sequence labelling: one tag per token (slot filling, NER, chunking).
 *
 * Spec: width = L (the padded sequence length), outputSize = K (the number of tags), labelNames = the K
 * tag names (BIO: `O`, `B-type`, `I-type`). Labels: n × L tag indices, NaN at padding positions (and for
 * rows without this task), so padding never counts — the trainer turns NaN into mask 0.
 * Logits: [B, L, K] (a flat [B, L·K] head output is reshaped, so headUnits = L·K and any architecture
 * can carry the task; text-hps gives it a per-token head).
 *
 * Loss: softmax cross-entropy per token, averaged over the labelled tokens of the batch:
 *   ℓ = Σ_{b,t} m_bt · (−log softmax(z_bt)[y_bt]) / max(1, Σ_{b,t} m_bt),
 * the per-token terms by one fused kernel (src/engine/kernels/softmax-cross-entropy.ts).
 * Metrics (labelled tokens only): `span_f1` (primary), `span_precision`, `span_recall` — spans as in
 * conlleval (src/tasks/spans.ts: type and both boundaries must match, micro-averaged over spans) —,
 * `token_accuracy`, `sentence_accuracy` (every tag of the sentence right) and `count` (sentences).
 * When no tag name is BIO (`B-…`), spans do not exist and the primary metric is `token_accuracy`.
 */
import { tf } from '../engine/tf.js';
import type { TaskSpec } from '../data/types.js';
import { softmaxCrossEntropy } from '../engine/kernels/softmax-cross-entropy.js';
import { maskedMean } from './masked.js';
import { spanF1 } from './spans.js';
import type { Metrics, Task } from './types.js';

/** The tag index per token (argmax over K) of n × L × K scores. */
export function argmaxTags(pred: Float32Array, n: number, L: number, K: number): Int32Array {
  const out = new Int32Array(n * L);
  for (let r = 0; r < n * L; r++) {
    let best = 0;
    const o = r * K;
    for (let k = 1; k < K; k++) if (pred[o + k]! > pred[o + best]!) best = k;
    out[r] = best;
  }
  return out;
}

/** Metrics of predicted tag indices (n × L) against labels (n × L, NaN = padding / missing). */
export function sequenceMetrics(predTags: ArrayLike<number>, labels: Float32Array, n: number, L: number, tagNames: readonly string[]): Metrics {
  let tokens = 0, right = 0, sentences = 0, sentencesRight = 0;
  const runs: { gold: string[]; pred: string[] }[] = [];
  for (let i = 0; i < n; i++) {
    let gold: string[] = [], pred: string[] = [];
    let labelled = 0, wrong = 0;
    for (let j = 0; j <= L; j++) {
      const y = j < L ? labels[i * L + j]! : NaN;
      if (Number.isNaN(y)) {
        // A gap (padding) ends the run: spans never cross it.
        if (gold.length) runs.push({ gold, pred });
        gold = [];
        pred = [];
        continue;
      }
      const p = predTags[i * L + j]!;
      labelled++;
      if (p !== y) wrong++;
      gold.push(tagNames[y] ?? String(y));
      pred.push(tagNames[p] ?? String(p));
    }
    if (!labelled) continue;
    sentences++;
    tokens += labelled;
    right += labelled - wrong;
    if (wrong === 0) sentencesRight++;
  }
  const s = spanF1(runs);
  return {
    span_f1: s.f1, span_precision: s.precision, span_recall: s.recall,
    token_accuracy: tokens ? right / tokens : NaN,
    sentence_accuracy: sentences ? sentencesRight / sentences : NaN,
    count: sentences,
  };
}

export function sequenceTask(spec: TaskSpec): Task {
  const L = spec.width, K = spec.outputSize;
  if (!Number.isInteger(L) || L < 1 || !Number.isInteger(K) || K < 2) {
    throw new Error(`sequence task "${spec.name}": width (sequence length) must be ≥ 1 and outputSize (tags) ≥ 2, got ${L} and ${K}`);
  }
  const names = spec.labelNames && spec.labelNames.length === K ? spec.labelNames : Array.from({ length: K }, (_, k) => String(k));
  const bio = names.some((t) => t.startsWith('B-'));
  return {
    spec, name: spec.name, kind: 'sequence', headUnits: L * K, primary: bio ? 'span_f1' : 'token_accuracy', higherIsBetter: true,
    loss(logits, labels, mask) {
      return tf.tidy(() => {
        // One fused kernel forward and backward, which skips the masked (padding) tokens entirely.
        const nll = softmaxCrossEntropy(tf.reshape(logits, [-1, K]), tf.reshape(labels, [-1]), tf.reshape(mask, [-1])); // [B·L]
        return maskedMean(tf.reshape(nll, mask.shape), mask);
      });
    },
    predict: (logits) => tf.tidy(() => tf.softmax(tf.reshape(logits, [-1, L, K]), -1)),
    metrics(pred, labels, n) {
      return sequenceMetrics(argmaxTags(pred, n, L, K), labels, n, L, names);
    },
    state: () => ({}),
  };
}
