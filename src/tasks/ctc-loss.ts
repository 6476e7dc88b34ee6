/**
 * Connectionist Temporal Classification loss (Graves, Fernández, Gomez, Schmidhuber, "Connectionist
 * Temporal Classification: Labelling Unsegmented Sequence Data with Recurrent Neural Networks", ICML 2006).
 *
 * A row has logits z [T, K] over K classes, one of them the blank (index `blank`), and a label sequence
 * l = (l_1 … l_U) of non-blank classes. The extended label l' = (b, l_1, b, l_2, …, l_U, b) has S = 2U + 1
 * states; y_t(k) = softmax(z_t)_k. In log space (every quantity below is a log; ⊕ = log-sum-exp):
 *   forward (§4.1):     α_0(0) = log y_0(b),  α_0(1) = log y_0(l_1),  α_0(s > 1) = −∞
 *                       α_t(s) = [α_{t−1}(s) ⊕ α_{t−1}(s−1) ⊕ (α_{t−1}(s−2) if l'_s ≠ b and l'_s ≠ l'_{s−2})] + log y_t(l'_s)
 *                       log p(l|x) = α_{T−1}(S−1) ⊕ α_{T−1}(S−2)
 *   backward (here without the emission at t, so that α_t(s) + β_t(s) = log of the paths through s at t):
 *                       β_{T−1}(S−1) = β_{T−1}(S−2) = 0, else −∞
 *                       β_t(s) = ⊕_{s' ∈ {s, s+1, s+2 (same rule)}} β_{t+1}(s') + log y_{t+1}(l'_{s'})
 *   gradient (§4.2, w.r.t. the logits, not the softmax outputs):
 *                       ∂(−log p)/∂z_tk = y_t(k) − Σ_{s: l'_s = k} exp(α_t(s) + β_t(s) − log p)
 * i.e. softmax minus the posterior occupancy of class k at frame t. Repeated labels (l_i = l_{i+1}) need a
 * blank between them, so a row needs T ≥ U + (number of repeats) frames; with fewer, p = 0 and the loss
 * is +∞ — `zeroInfinity` (default true, PyTorch's zero_infinity) makes such a row's loss and gradient 0.
 *
 * Everything runs in JavaScript on the logits' values (float64 sums), so it works on every backend; the
 * op is one tf.customGrad node; inside a gradient computation its forward pass computes the loss and
 * the gradient together (the backward pass scales it by the incoming dy), outside one only the loss.
 * Only the frames t < T_b of row b count (its input length); the gradient of later frames is 0.
 * Input lengths come either explicitly (`lengths`) or from the logits themselves: frames whose logits
 * are all exactly 0 at the end of a row are padding (the audio encoder's CTC head zeroes the logits of
 * padded frames: src/models/audio/ctc-head.ts), so T_b = 1 + the last frame with a non-zero logit.
 *
 * Cost: O(T · S) per row, restricted to the states that can still reach the end (the window
 * max(0, S − 2(T − t)) ≤ s ≤ 2t + 1). The op runs the recursions in probability space with the rescaling
 * of Graves et al. §4.1 (α̂_t = α_t / Σ_s α_t(s), log p = Σ_t log c_t; β̂ likewise, and the occupancy
 * normalised per frame: α_t(s)β_t(s) / Σ_s' α_t(s')β_t(s') — Σ_s α_t(s)β_t(s) = p at every t), which needs
 * no exp/log per state; a row where that underflows (a frame's sum is 0 though the label fits: only with
 * logits hundreds apart) is redone in log space, the reference implementation below (ctcForward,
 * ctcGradient), so both give the same numbers (test/tasks/ctc-loss.test.ts).
 */
import { tf, type Tensor } from '../engine/tf.js';
import { gradientDepth } from '../engine/tfjs-internals.js';

/** log(e^a + e^b), −∞-safe. */
function lse2(a: number, b: number): number {
  if (a === -Infinity) return b;
  if (b === -Infinity) return a;
  return a > b ? a + Math.log1p(Math.exp(b - a)) : b + Math.log1p(Math.exp(a - b));
}

/** log(e^a + e^b + e^c), −∞-safe. */
function lse3(a: number, b: number, c: number): number {
  const m = a > b ? (a > c ? a : c) : b > c ? b : c;
  if (m === -Infinity) return -Infinity;
  return m + Math.log(Math.exp(a - m) + Math.exp(b - m) + Math.exp(c - m));
}

/** The minimum number of frames a label needs: one per label, plus a blank between equal neighbours. */
export function ctcMinFrames(label: ArrayLike<number>): number {
  let n = label.length;
  for (let i = 1; i < label.length; i++) if (label[i] === label[i - 1]) n++;
  return n;
}

/** One row's logits as log-probabilities: log y_t(k) for t < T, in float64 ([T · K]). */
export function logSoftmaxRows(z: ArrayLike<number>, offset: number, T: number, K: number): Float64Array {
  const out = new Float64Array(T * K);
  for (let t = 0; t < T; t++) {
    const o = offset + t * K;
    let m = -Infinity;
    for (let k = 0; k < K; k++) if (z[o + k]! > m) m = z[o + k]!;
    let s = 0;
    for (let k = 0; k < K; k++) s += Math.exp(z[o + k]! - m);
    const l = m + Math.log(s);
    for (let k = 0; k < K; k++) out[t * K + k] = z[o + k]! - l;
  }
  return out;
}

/** The forward variables of one row: α [T · S] and log p(l|x) (−∞ when the label cannot be emitted in T frames). */
export interface CtcForward {
  alpha: Float64Array;
  logLikelihood: number;
  S: number;
}

function extended(label: ArrayLike<number>, blank: number): Int32Array {
  const ext = new Int32Array(2 * label.length + 1).fill(blank);
  for (let i = 0; i < label.length; i++) ext[2 * i + 1] = label[i]!;
  return ext;
}

/** α of one row from its log-probabilities lp [T · K] (log space). */
export function ctcForward(lp: Float64Array, T: number, K: number, label: ArrayLike<number>, blank: number): CtcForward {
  const S = 2 * label.length + 1;
  const ext = extended(label, blank);
  const alpha = new Float64Array(T * S).fill(-Infinity);
  if (T === 0) return { alpha, logLikelihood: S === 1 ? 0 : -Infinity, S };
  alpha[0] = lp[blank]!;
  if (S > 1) alpha[1] = lp[ext[1]!]!;
  for (let t = 1; t < T; t++) {
    const prev = (t - 1) * S, cur = t * S;
    const lo = Math.max(0, S - 2 * (T - t)), hi = Math.min(S - 1, 2 * t + 1);
    for (let s = lo; s <= hi; s++) {
      const a = alpha[prev + s]!;
      const b = s >= 1 ? alpha[prev + s - 1]! : -Infinity;
      const c = s >= 2 && ext[s] !== blank && ext[s] !== ext[s - 2] ? alpha[prev + s - 2]! : -Infinity;
      const sum = lse3(a, b, c);
      alpha[cur + s] = sum === -Infinity ? -Infinity : sum + lp[t * K + ext[s]!]!;
    }
  }
  const last = (T - 1) * S;
  const logLikelihood = S > 1 ? lse2(alpha[last + S - 1]!, alpha[last + S - 2]!) : alpha[last]!;
  return { alpha, logLikelihood, S };
}

/**
 * The gradient of −log p(l|x) w.r.t. the row's logits, scaled by `scale`, into `grad` at `offset`
 * (frames t < T; the caller leaves later frames 0): y_t(k) − posterior occupancy of k at t.
 */
export function ctcGradient(
  lp: Float64Array, T: number, K: number, label: ArrayLike<number>, blank: number, fwd: CtcForward,
  scale: number, grad: Float32Array, offset: number,
): void {
  const { alpha, logLikelihood: logP, S } = fwd;
  if (!Number.isFinite(logP) || T === 0) return;
  const ext = extended(label, blank);
  // β of frame t (rolling) and β_{t+1}(s) + log y_{t+1}(l'_s) of the frame after it.
  let beta = new Float64Array(S).fill(-Infinity);
  let next = new Float64Array(S).fill(-Infinity);
  beta[S - 1] = 0;
  if (S > 1) beta[S - 2] = 0;
  const post = new Float64Array(K);
  for (let t = T - 1; t >= 0; t--) {
    if (t < T - 1) {
      const nb = new Float64Array(S).fill(-Infinity);
      const lo = Math.max(0, S - 2 * (T - t)), hi = Math.min(S - 1, 2 * t + 1);
      for (let s = lo; s <= hi; s++) {
        const a = next[s]!;
        const b = s + 1 < S ? next[s + 1]! : -Infinity;
        const c = s + 2 < S && ext[s + 2] !== blank && ext[s + 2] !== ext[s] ? next[s + 2]! : -Infinity;
        nb[s] = lse3(a, b, c);
      }
      beta = nb;
    }
    // Occupancy of each class at t.
    post.fill(0);
    const row = t * S;
    for (let s = 0; s < S; s++) {
      const g = alpha[row + s]! + beta[s]!;
      if (g !== -Infinity) post[ext[s]!] += Math.exp(g - logP);
    }
    const o = offset + t * K;
    for (let k = 0; k < K; k++) grad[o + k] = scale * (Math.exp(lp[t * K + k]!) - post[k]!);
    // β_t(s) + log y_t(l'_s), for frame t − 1.
    next = new Float64Array(S);
    for (let s = 0; s < S; s++) next[s] = beta[s]! + lp[t * K + ext[s]!]!;
  }
}

/** The extended label l' = (b, l_1, b, …, l_U, b). */
export function extendedLabel(label: ArrayLike<number>, blank: number): Int32Array {
  return extended(label, blank);
}

/**
 * One row in probability space (rescaled per frame): −log p and, with `grad`, its gradient × `scale`
 * written at `offset`. Returns null when the rescaled recursion underflows although the label fits the
 * frames (the caller then takes the log-space path). `lp` holds the row's log-probabilities [T · K].
 */
export function ctcRowScaled(
  lp: Float64Array, T: number, K: number, label: ArrayLike<number>, blank: number,
  grad?: { out: Float32Array; offset: number; scale: number },
): number | null {
  const ext = extended(label, blank);
  const S = ext.length;
  const feasible = T >= ctcMinFrames(label);
  if (!feasible) return Infinity;
  if (T === 0) return 0; // S = 1 and T = 0: the empty label, probability 1.
  const y = new Float64Array(T * K);
  for (let i = 0; i < T * K; i++) y[i] = Math.exp(lp[i]!);
  // α̂ [T · S], zero outside each frame's window.
  const alpha = new Float64Array(T * S);
  let logP = 0;
  alpha[0] = y[blank]!;
  if (S > 1) alpha[1] = y[ext[1]!]!;
  let c = alpha[0]! + (S > 1 ? alpha[1]! : 0);
  if (!(c > 0)) return null;
  alpha[0] /= c;
  if (S > 1) alpha[1] /= c;
  logP += Math.log(c);
  for (let t = 1; t < T; t++) {
    const prev = (t - 1) * S, cur = t * S, yt = t * K;
    const lo = Math.max(0, S - 2 * (T - t)), hi = Math.min(S - 1, 2 * t + 1);
    c = 0;
    for (let s = lo; s <= hi; s++) {
      let a = alpha[prev + s]!;
      if (s >= 1) a += alpha[prev + s - 1]!;
      if (s >= 2 && ext[s] !== blank && ext[s] !== ext[s - 2]) a += alpha[prev + s - 2]!;
      a *= y[yt + ext[s]!]!;
      alpha[cur + s] = a;
      c += a;
    }
    if (!(c > 0)) return null;
    const inv = 1 / c;
    for (let s = lo; s <= hi; s++) alpha[cur + s] *= inv;
    logP += Math.log(c);
  }
  const last = (T - 1) * S;
  const end = alpha[last + S - 1]! + (S > 1 ? alpha[last + S - 2]! : 0);
  if (!(end > 0)) return null;
  logP += Math.log(end);
  if (!grad) return -logP;
  // β̂ (without the emission at t), rolling, and the occupancy per frame.
  let beta = new Float64Array(S), nb = new Float64Array(S);
  const next = new Float64Array(S); // β̂_{t+1}(s) · y_{t+1}(l'_s)
  const post = new Float64Array(K);
  beta[S - 1] = 1;
  if (S > 1) beta[S - 2] = 1;
  const { out, offset, scale } = grad;
  for (let t = T - 1; t >= 0; t--) {
    const lo = Math.max(0, S - 2 * (T - t)), hi = Math.min(S - 1, 2 * t + 1);
    if (t < T - 1) {
      nb.fill(0);
      let d = 0;
      for (let s = lo; s <= hi; s++) {
        let b = next[s]!;
        if (s + 1 < S) b += next[s + 1]!;
        if (s + 2 < S && ext[s + 2] !== blank && ext[s + 2] !== ext[s]) b += next[s + 2]!;
        nb[s] = b;
        d += b;
      }
      if (!(d > 0)) return null;
      const inv = 1 / d;
      for (let s = lo; s <= hi; s++) nb[s] *= inv;
      [beta, nb] = [nb, beta];
    }
    post.fill(0);
    const row = t * S;
    let z = 0;
    for (let s = lo; s <= hi; s++) {
      const w = alpha[row + s]! * beta[s]!;
      post[ext[s]!] += w;
      z += w;
    }
    if (!(z > 0)) return null;
    const o = offset + t * K, yt = t * K, invZ = 1 / z;
    for (let k = 0; k < K; k++) out[o + k] = scale * (y[yt + k]! - post[k]! * invZ);
    next.fill(0);
    for (let s = lo; s <= hi; s++) next[s] = beta[s]! * y[yt + ext[s]!]!;
  }
  return -logP;
}

/**
 * −log p of one row (and its gradient, with `grad`): the rescaled recursion, or the log-space one where
 * that underflows. +∞ when the label does not fit the frames.
 */
export function ctcRow(
  lp: Float64Array, T: number, K: number, label: ArrayLike<number>, blank: number,
  grad?: { out: Float32Array; offset: number; scale: number },
): number {
  const fast = ctcRowScaled(lp, T, K, label, blank, grad);
  if (fast !== null) return fast;
  const fwd = ctcForward(lp, T, K, label, blank);
  if (grad) ctcGradient(lp, T, K, label, blank, fwd, grad.scale, grad.out, grad.offset);
  return -fwd.logLikelihood;
}

/** T_b of each row: 1 + the last frame whose logits are not all exactly 0 (0 for an all-zero row). */
export function framesFromLogits(z: ArrayLike<number>, B: number, T: number, K: number): Int32Array {
  const lengths = new Int32Array(B);
  for (let b = 0; b < B; b++) {
    let len = 0;
    for (let t = T - 1; t >= 0 && len === 0; t--) {
      const o = (b * T + t) * K;
      for (let k = 0; k < K; k++) {
        if (z[o + k] !== 0) {
          len = t + 1;
          break;
        }
      }
    }
    lengths[b] = len;
  }
  return lengths;
}

/**
 * The label sequences of a batch: row b's entries where mask ≠ 0, in order. Each must be an integer
 * class in [0, K) other than the blank; anything else is an error naming the row.
 */
export function labelSequences(labels: ArrayLike<number>, mask: ArrayLike<number>, B: number, U: number, K: number, blank: number): number[][] {
  const out: number[][] = [];
  for (let b = 0; b < B; b++) {
    const seq: number[] = [];
    for (let u = 0; u < U; u++) {
      if (mask[b * U + u] === 0) continue;
      const y = labels[b * U + u]!;
      if (!Number.isInteger(y) || y < 0 || y >= K || y === blank) {
        throw new Error(`ctc: row ${b}, label position ${u}: ${y} is not a class id in [0, ${K}) other than the blank (${blank})`);
      }
      seq.push(y);
    }
    out.push(seq);
  }
  return out;
}

export interface CtcLossOptions {
  /** The blank's class index (default 0, as PyTorch's ctc_loss). */
  blank?: number;
  /** Input lengths per row; default: from the logits (trailing all-zero frames are padding). */
  lengths?: ArrayLike<number>;
  /** A row whose label cannot be emitted in its frames (p = 0) gets loss 0 and no gradient (default true). */
  zeroInfinity?: boolean;
}

/**
 * −log p(l_b | x_b) per row, [B], differentiable w.r.t. `logits` [B, T, K]. `labels` [B, U] hold class ids
 * where `mask` [B, U] is non-zero (padding: mask 0; a row with no label at all gives 0 and no gradient).
 */
export function ctcLoss(logits: Tensor, labels: Tensor, mask: Tensor, options: CtcLossOptions = {}): Tensor {
  if (logits.rank !== 3) throw new Error(`ctcLoss: logits must be [B, T, K], got [${logits.shape.join(', ')}]`);
  const [B, T, K] = logits.shape as [number, number, number];
  const U = labels.shape[1] ?? 0;
  if (labels.rank !== 2 || labels.shape[0] !== B || mask.shape.join(',') !== labels.shape.join(',')) {
    throw new Error(`ctcLoss: labels and mask must both be [${B}, U], got [${labels.shape.join(', ')}] and [${mask.shape.join(', ')}]`);
  }
  const blank = options.blank ?? 0;
  if (!Number.isInteger(blank) || blank < 0 || blank >= K) throw new Error(`ctcLoss: blank must be a class index in [0, ${K}), got ${blank}`);
  const zeroInfinity = options.zeroInfinity ?? true;
  const seqs = labelSequences(labels.dataSync(), mask.dataSync(), B, U, K, blank);
  if (options.lengths && options.lengths.length !== B) throw new Error(`ctcLoss: ${options.lengths.length} input lengths for ${B} rows`);
  const op = tf.customGrad(((x: Tensor) => {
    const z = x.dataSync() as Float32Array;
    const lengths: ArrayLike<number> = options.lengths ? Array.from(options.lengths) : framesFromLogits(z, B, T, K);
    for (let b = 0; b < B; b++) {
      const Tb = lengths[b]!;
      if (!Number.isInteger(Tb) || Tb < 0 || Tb > T) throw new Error(`ctcLoss: row ${b}: input length ${Tb} is not in [0, ${T}]`);
    }
    const nll = new Float32Array(B);
    const run = (withGrad: boolean) => {
      const out = withGrad ? new Float32Array(B * T * K) : null;
      for (let b = 0; b < B; b++) {
        if (!seqs[b]!.length) continue; // no label: loss 0, no gradient
        const Tb = lengths[b]!;
        const lp = logSoftmaxRows(z, b * T * K, Tb, K);
        const v = ctcRow(lp, Tb, K, seqs[b]!, blank, out ? { out, offset: b * T * K, scale: 1 } : undefined);
        nll[b] = v === Infinity && zeroInfinity ? 0 : v;
      }
      return out;
    };
    // Inside a gradient computation the gradient comes with the loss (one β pass per row, no second α
    // pass); outside one (evaluation) only the loss is computed.
    let g: Float32Array | null = run(gradientDepth() > 0);
    const gradFunc = (dy: Tensor) => {
      const grad = (g ??= run(true))!;
      // Scaled by dy_b (B values, read once) here, on the arrays already in JS.
      const d = dy.dataSync();
      const out = new Float32Array(B * T * K);
      for (let b = 0; b < B; b++) {
        const s = d[b]!, o = b * T * K;
        if (s !== 0) for (let i = 0; i < T * K; i++) out[o + i] = s * grad[o + i]!;
      }
      return tf.tensor3d(out, [B, T, K]);
    };
    return { value: tf.tensor1d(nll), gradFunc };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return op(logits);
}

/** log p(l | x) of one row of log-probabilities [T · K] (the label as class ids; −∞ if impossible). */
export function ctcLogLikelihood(logProbs: ArrayLike<number>, T: number, K: number, label: ArrayLike<number>, blank = 0): number {
  return ctcForward(Float64Array.from(logProbs), T, K, label, blank).logLikelihood;
}
