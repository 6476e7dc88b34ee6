/**
 * Transcripts by CTC (Graves et al. 2006): a label sequence read off per-frame outputs without a
 * frame-level alignment — speech to characters (issue 22), any sequence shorter than its input.
 *
 * Spec: width = U (the longest transcript, in characters), outputSize = C (the alphabet), labelNames =
 * the C characters (a space ' ' among them separates words for WER; default: the ids as text). Labels:
 * n × U character ids in [0, C), NaN after the end of a transcript (and on rows without one), so the
 * trainer's mask is 1 exactly on the transcript's characters.
 *
 * Head: per frame C + 1 logits, the blank LAST (index C, as TensorFlow's ctc_loss; character id c is
 * class c, so labels need no shifting): logits [B, F, C + 1], F the frames the architecture's encoder
 * gives (a flat [B, F · (C + 1)] output is reshaped). F is not in the spec (it depends on the encoder's
 * downsampling, not on the data): the architecture binds it (`bindFrames`; audio-hps does, src/models/
 * audio-hps.ts) and `state()` stores it, so a saved model's task has it back on load. An architecture
 * without per-frame heads (hps, …) cannot carry the task: reading headUnits before binding says so.
 *
 * Input lengths: padded frames are those whose logits are all exactly 0 at the end of a row (the
 * audio-hps CTC head zeroes them from the encoder's padding mask), see src/tasks/ctc-loss.ts.
 * Loss: Σ_b −log p(l_b | x_b) / Σ_b U_b over the labelled rows — the negative log-likelihood per label
 * character. (PyTorch's reduction 'mean' instead averages the per-row ratios −log p_b / U_b; with this
 * one the evaluation's batch weighting by Σ mask gives the exact per-character NLL of a whole dataset.)
 * A row whose transcript cannot fit its frames (p = 0) counts with loss 0 and no gradient (PyTorch's
 * zero_infinity).
 * Predict: per-frame probabilities softmax(z_t), with padded frames all 0 (the decoders read the same
 * padding convention). Metrics (labelled rows; greedy decoding, src/tasks/ctc-decode.ts): `cer`
 * (primary, lower is better), `wer`, `sentence_accuracy` (transcript exactly right), `count`.
 */
import { tf, type Tensor } from '../engine/tf.js';
import type { TaskSpec } from '../data/types.js';
import { errorRate } from '../eval/error-rate.js';
import { ctcBeamSearch, ctcGreedyDecode } from './ctc-decode.js';
import { ctcLoss } from './ctc-loss.js';
import type { Metrics, Task } from './types.js';

export interface CtcTask extends Task {
  readonly kind: 'ctc';
  /** Characters C; the head has C + 1 classes per frame, the blank at index C. */
  readonly alphabet: readonly string[];
  readonly blank: number;
  /** Output frames per row, once bound (null before). */
  readonly frames: number | null;
  /** The architecture sets the number of output frames (once; the same value again is accepted). */
  bindFrames(frames: number): void;
  /** Transcripts (character ids) of n rows of predictions: greedy, or prefix beam search with beamWidth > 1. */
  decode(pred: Float32Array, n: number, options?: { beamWidth?: number }): number[][];
  /** The text of character ids. */
  text(ids: readonly number[]): string;
}

export function isCtcTask(task: Task): task is CtcTask {
  return task.kind === 'ctc' && typeof (task as Partial<CtcTask>).bindFrames === 'function';
}

/** The characters of each labelled row of n × U labels (NaN = none); null for a row with no transcript. */
export function referenceTranscripts(labels: Float32Array, n: number, U: number): (number[] | null)[] {
  const out: (number[] | null)[] = [];
  for (let i = 0; i < n; i++) {
    const seq: number[] = [];
    for (let u = 0; u < U; u++) {
      const y = labels[i * U + u]!;
      if (!Number.isNaN(y)) seq.push(y);
    }
    out.push(seq.length ? seq : null);
  }
  return out;
}

/** Words of a character-id sequence, split at the `space` id (each word as its ids joined, for comparison). */
function wordsOf(ids: readonly number[], space: number): string[] {
  const out: string[] = [];
  let cur: number[] = [];
  for (const c of [...ids, space]) {
    if (c === space) {
      if (cur.length) out.push(cur.join(','));
      cur = [];
    } else cur.push(c);
  }
  return out;
}

export function ctcTask(spec: TaskSpec, state?: { frames?: unknown }): CtcTask {
  const U = spec.width, C = spec.outputSize;
  if (!Number.isInteger(U) || U < 1 || !Number.isInteger(C) || C < 1) {
    throw new Error(`ctc task "${spec.name}": width (the longest transcript) and outputSize (the alphabet size) must be ≥ 1, got ${U} and ${C}`);
  }
  if (spec.labelNames && spec.labelNames.length !== C) {
    throw new Error(`ctc task "${spec.name}": labelNames has ${spec.labelNames.length} characters but outputSize is ${C}`);
  }
  const alphabet = spec.labelNames ?? Array.from({ length: C }, (_, k) => String(k));
  const K = C + 1, blank = C;
  const space = alphabet.indexOf(' ');
  let frames: number | null = null;
  const bind = (f: unknown) => {
    if (typeof f !== 'number' || !Number.isInteger(f) || f < 1) throw new Error(`ctc task "${spec.name}": frames must be a positive integer, got ${JSON.stringify(f)}`);
    if (frames !== null && frames !== f) {
      throw new Error(`ctc task "${spec.name}" already has ${frames} output frames per row; an architecture now gives it ${f}`);
    }
    frames = f;
  };
  if (state?.frames !== undefined) bind(state.frames);
  const F = (): number => {
    if (frames === null) {
      throw new Error(`ctc task "${spec.name}" needs per-frame outputs: use an architecture with per-frame heads (audio-hps), which sets its number of frames`);
    }
    return frames;
  };
  const decode = (pred: Float32Array, n: number, options: { beamWidth?: number } = {}): number[][] => {
    const T = F();
    const out: number[][] = [];
    for (let i = 0; i < n; i++) {
      const offset = i * T * K;
      out.push(options.beamWidth && options.beamWidth > 1
        ? ctcBeamSearch(pred, T, K, { beamWidth: options.beamWidth, blank, offset })[0]!.labels
        : ctcGreedyDecode(pred, T, K, blank, offset));
    }
    return out;
  };
  return {
    spec, name: spec.name, kind: 'ctc', primary: 'cer', higherIsBetter: false, alphabet, blank,
    get headUnits() {
      return F() * K;
    },
    get frames() {
      return frames;
    },
    bindFrames: bind,
    loss(logits: Tensor, labels: Tensor, mask: Tensor) {
      return tf.tidy(() => {
        const nll = ctcLoss(tf.reshape(logits, [-1, F(), K]), labels, mask, { blank });
        return tf.div(tf.sum(nll), tf.maximum(tf.sum(mask), 1));
      });
    },
    predict: (logits: Tensor) => tf.tidy(() => {
      const z = tf.reshape(logits, [-1, F(), K]);
      // Padded frames (all-zero logits) predict all zeros, so decoders see where a row ends.
      const live = tf.sign(tf.max(tf.abs(z), -1, true));
      return tf.mul(tf.softmax(z, -1), live);
    }),
    metrics(pred: Float32Array, labels: Float32Array, n: number): Metrics {
      const refs = referenceTranscripts(labels, n, U);
      const hyps = decode(pred, n);
      const r: number[][] = [], h: number[][] = [];
      let exact = 0;
      refs.forEach((ref, i) => {
        if (!ref) return;
        r.push(ref);
        h.push(hyps[i]!);
        if (ref.length === hyps[i]!.length && ref.every((c, j) => c === hyps[i]![j])) exact++;
      });
      const toWords = (ids: number[]) => (space >= 0 ? wordsOf(ids, space) : [ids.join(',')]);
      return {
        cer: errorRate(r, h).rate,
        wer: errorRate(r.map(toWords), h.map(toWords)).rate,
        sentence_accuracy: r.length ? exact / r.length : NaN,
        count: r.length,
      };
    },
    decode,
    text: (ids) => ids.map((c) => alphabet[c] ?? '').join(''),
    state: () => (frames === null ? {} : { frames }),
  };
}
