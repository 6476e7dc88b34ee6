/**
 * Decoding CTC outputs (per-frame class probabilities [T, K], one class the blank) into label sequences.
 *
 * - Greedy (best path, Graves et al. 2006 §3.2): the most probable class per frame, then repeats
 *   collapsed and blanks dropped — B(argmax_t y_t). Fast, but the most probable *path* is not always the
 *   most probable *labelling*: a labelling's probability is the sum over all its paths.
 * - Prefix beam search (Hannun, Maas, Jurafsky, Ng, "First-Pass Large Vocabulary Continuous Speech
 *   Recognition using Bi-Directional Recurrent DNNs", 2014, Algorithm 1, without a language model): keeps
 *   the `beamWidth` most probable prefixes, each with two log-probabilities — of the paths ending in a
 *   blank (p_b) and ending in its last label (p_nb) — so that paths collapsing to the same prefix are summed:
 *     blank:               p_b(ℓ) ⊕= (p_b(ℓ) ⊕ p_nb(ℓ)) + log y_t(b)
 *     k = last label of ℓ: p_nb(ℓ) ⊕= p_nb(ℓ) + log y_t(k)        (a repeat collapses)
 *                          p_nb(ℓk) ⊕= p_b(ℓ) + log y_t(k)        (a new k needs a blank in between)
 *     other k:             p_nb(ℓk) ⊕= (p_b(ℓ) ⊕ p_nb(ℓ)) + log y_t(k)
 *   With beamWidth = 1 it is not greedy decoding (it still sums a prefix's paths); with a beam wide enough
 *   to hold every prefix it is exact. Ties are broken by the prefix (deterministic).
 *
 * Only the first `length` frames are read (default: all but trailing frames whose values are all 0 —
 * the padding convention of src/tasks/ctc.ts's predictions).
 */

/** Frames before the trailing all-zero ones (the row's input length under the padding convention). */
export function activeFrames(probs: ArrayLike<number>, offset: number, T: number, K: number): number {
  for (let t = T - 1; t >= 0; t--) {
    for (let k = 0; k < K; k++) if (probs[offset + t * K + k] !== 0) return t + 1;
  }
  return 0;
}

/** Greedy (best-path) decoding of one row of per-frame scores [T · K] at `offset`: argmax, collapse, drop blanks. */
export function ctcGreedyDecode(scores: ArrayLike<number>, T: number, K: number, blank = 0, offset = 0, length?: number): number[] {
  const len = length ?? activeFrames(scores, offset, T, K);
  const out: number[] = [];
  let prev = -1;
  for (let t = 0; t < len; t++) {
    const o = offset + t * K;
    let best = 0;
    for (let k = 1; k < K; k++) if (scores[o + k]! > scores[o + best]!) best = k;
    if (best !== prev && best !== blank) out.push(best);
    prev = best;
  }
  return out;
}

function lse(a: number, b: number): number {
  if (a === -Infinity) return b;
  if (b === -Infinity) return a;
  return a > b ? a + Math.log1p(Math.exp(b - a)) : b + Math.log1p(Math.exp(a - b));
}

export interface BeamResult {
  /** The labelling (class ids, no blanks). */
  labels: number[];
  /** Its log-probability as the beam summed it (exact when no path of it was pruned). */
  logProb: number;
}

export interface BeamOptions {
  /** Prefixes kept per frame (default 8). */
  beamWidth?: number;
  blank?: number;
  /** Offset of the row in `probs` (default 0). */
  offset?: number;
  /** Frames to read (default: the active frames, see activeFrames). */
  length?: number;
  /** Results returned, best first (default 1; at most beamWidth). */
  top?: number;
}

/**
 * Prefix beam search over one row of per-frame probabilities [T · K] (softmax outputs, not logits).
 * Returns the `top` best labellings, best first.
 */
export function ctcBeamSearch(probs: ArrayLike<number>, T: number, K: number, options: BeamOptions = {}): BeamResult[] {
  const beamWidth = options.beamWidth ?? 8;
  const blank = options.blank ?? 0;
  const offset = options.offset ?? 0;
  if (!Number.isInteger(beamWidth) || beamWidth < 1) throw new Error(`ctc beam search: beamWidth must be a positive integer, got ${beamWidth}`);
  if (!Number.isInteger(blank) || blank < 0 || blank >= K) throw new Error(`ctc beam search: blank must be in [0, ${K}), got ${blank}`);
  const len = options.length ?? activeFrames(probs, offset, T, K);
  interface Beam { labels: number[]; pb: number; pnb: number }
  const key = (l: number[]) => l.join(',');
  let beams = new Map<string, Beam>([['', { labels: [], pb: 0, pnb: -Infinity }]]);
  const logY = new Float64Array(K);
  for (let t = 0; t < len; t++) {
    const o = offset + t * K;
    for (let k = 0; k < K; k++) logY[k] = Math.log(probs[o + k]!);
    const next = new Map<string, Beam>();
    const at = (labels: number[]): Beam => {
      const kk = key(labels);
      let b = next.get(kk);
      if (!b) next.set(kk, (b = { labels, pb: -Infinity, pnb: -Infinity }));
      return b;
    };
    for (const beam of beams.values()) {
      const total = lse(beam.pb, beam.pnb);
      const last = beam.labels.length ? beam.labels[beam.labels.length - 1]! : -1;
      for (let k = 0; k < K; k++) {
        const ly = logY[k]!;
        if (ly === -Infinity) continue;
        if (k === blank) {
          const same = at(beam.labels);
          same.pb = lse(same.pb, total + ly);
        } else if (k === last) {
          const same = at(beam.labels);
          same.pnb = lse(same.pnb, beam.pnb + ly);
          const ext = at([...beam.labels, k]);
          ext.pnb = lse(ext.pnb, beam.pb + ly);
        } else {
          const ext = at([...beam.labels, k]);
          ext.pnb = lse(ext.pnb, total + ly);
        }
      }
    }
    beams = new Map(rank([...next.values()]).slice(0, beamWidth).map((b) => [key(b.labels), b]));
  }
  return rank([...beams.values()]).slice(0, options.top ?? 1).map((b) => ({ labels: b.labels, logProb: lse(b.pb, b.pnb) }));

  function rank(list: { labels: number[]; pb: number; pnb: number }[]) {
    const score = (b: { pb: number; pnb: number }) => lse(b.pb, b.pnb);
    return list.sort((a, b) => score(b) - score(a) || (key(a.labels) < key(b.labels) ? -1 : key(a.labels) > key(b.labels) ? 1 : 0));
  }
}
