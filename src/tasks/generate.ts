/**
 * Sequence generation: a target token sequence per sample (text-to-frame, transcription, …), produced by
 * an attention decoder head (src/models/text/decoder*.ts) over any encoder's features.
 *
 * Spec: width = U (the most target tokens, <eos> included), outputSize = V (the target vocabulary),
 * labelNames = the V tokens, with the conventions (src/data/generate-targets.ts, which also encodes labels)
 *   id 0 `<pad>`, id 1 `<bos>` (the decoder's first input, never a label), id 2 `<eos>` (ends every
 *   target), optionally `<unk>` anywhere (a word the target vocabulary lacks).
 * Labels: n × U token ids — the target's tokens, then <eos>, then NaN (padding → mask 0, as for
 * sequence tasks; a row of NaN is a sample without this task).
 *
 * Head output ("logits"): the generated ids [B, U] (<pad> after the sequence) — so headUnits = U and a
 * saved model's output is the answer. Loss: teacher forcing: the decoder that produced the output
 * (found through its link, src/tasks/generate-link.ts: why, there) computes next-token logits z [B, U, V]
 * from the gold previous tokens, and
 *   ℓ = Σ_{b,t} m_bt · (−log softmax(z_bt)[y_bt]) / max(1, Σ m_bt)
 * (masked token cross-entropy, the fused kernel of the sequence task), computed for the steps up to the
 * batch's last labelled one only. Predictions: the ids as they are.
 *
 * Metrics over the labelled samples, on the tokens before the first <eos> (or <pad>): `exact_match`
 * (primary), `token_f1` (bag of tokens, SQuAD: src/eval/token-f1.ts), `bleu` (corpus BLEU-4, no
 * smoothing: src/eval/bleu.ts) and `count`. A gold <unk> never matches: the model cannot produce the
 * word it stands for, so predicting <unk> there earns nothing.
 */
import { tf, type Tensor } from '../engine/tf.js';
import type { TaskSpec } from '../data/types.js';
import { softmaxCrossEntropy } from '../engine/kernels/softmax-cross-entropy.js';
import { corpusBleu } from '../eval/bleu.js';
import { meanMatchF1 } from '../eval/token-f1.js';
import { GENERATE_SPECIALS, sequenceIds, UNK_TOKEN } from '../data/generate-targets.js';
import { decoderLinkOf } from './generate-link.js';
import { maskedMean } from './masked.js';
import type { Metrics, Task } from './types.js';

export { decodeIds, encodeTargets, generateVocabulary, GENERATE_IDS, GENERATE_SPECIALS, sequenceIds, UNK_TOKEN } from '../data/generate-targets.js';

/** Metrics of generated ids (n × U) against gold ids (n × U, NaN = padding; all-NaN rows skipped). */
export function generateMetrics(pred: ArrayLike<number>, labels: ArrayLike<number>, n: number, U: number, unk = -1): Metrics {
  const preds: number[][] = [], golds: (number | string)[][] = [];
  for (let i = 0; i < n; i++) {
    let labelled = false;
    for (let t = 0; t < U && !labelled; t++) labelled = !Number.isNaN(labels[i * U + t]!);
    if (!labelled) continue;
    const row = (a: ArrayLike<number>) => Array.from({ length: U }, (_, t) => a[i * U + t]!);
    preds.push(sequenceIds(row(pred)));
    // A gold <unk> gets a token no prediction has.
    golds.push(sequenceIds(row(labels)).map((id, t) => (id === unk ? `<unk>@${t}` : id)));
  }
  const { exactMatch, tokenF1 } = meanMatchF1(preds, golds);
  return { exact_match: exactMatch, token_f1: tokenF1, bleu: preds.length ? corpusBleu(preds, golds.map((g) => [g])).bleu : NaN, count: preds.length };
}

/** 1 + the last column of mask [B, U] with a nonzero entry (at least 1). */
function labelledSteps(mask: Tensor): number {
  const [B, U] = mask.shape as [number, number];
  const m = mask.dataSync();
  for (let t = U - 1; t > 0; t--) for (let b = 0; b < B; b++) if (m[b * U + t] !== 0) return t + 1;
  return 1;
}

export function generateTask(spec: TaskSpec): Task {
  const U = spec.width, V = spec.outputSize;
  const names = spec.labelNames;
  if (!Number.isInteger(U) || U < 1 || !Number.isInteger(V)) throw new Error(`generate task "${spec.name}": width (the most target tokens, <eos> included) must be ≥ 1, got ${U}`);
  if (!names || names.length !== V || V < GENERATE_SPECIALS.length + 1 || GENERATE_SPECIALS.some((s, i) => names[i] !== s)) {
    throw new Error(`generate task "${spec.name}": labelNames must be the target vocabulary (outputSize ${V} tokens), starting ${GENERATE_SPECIALS.join(', ')} and with at least one more token`);
  }
  const unk = names.indexOf(UNK_TOKEN);
  return {
    spec, name: spec.name, kind: 'generate', headUnits: U, primary: 'exact_match', higherIsBetter: true,
    loss(logits, labels, mask) {
      const link = decoderLinkOf(logits);
      if (!link) throw new Error(`generate task "${spec.name}": its head output must come from a decoder head (src/models/text/decoder.ts generateHead), which the architecture did not give it`);
      return tf.tidy(() => {
        // Only the first T steps, up to the batch's last labelled one (the rest are masked: the same loss;
        // SNIPS frames: 15 tokens on average of U = 40).
        const T = labelledSteps(mask);
        const y = T < U ? tf.slice(labels, [0, 0], [-1, T]) : labels, m = T < U ? tf.slice(mask, [0, 0], [-1, T]) : mask;
        const z = link.teacherForced(y); // [B, T, V]
        const nll = softmaxCrossEntropy(tf.reshape(z, [-1, V]), tf.reshape(y, [-1]), tf.reshape(m, [-1]));
        return maskedMean(tf.reshape(nll, m.shape), m);
      });
    },
    predict: (logits) => tf.clone(logits),
    metrics: (pred, labels, n) => generateMetrics(pred, labels, n, U, unk),
    state: () => ({}),
  };
}
