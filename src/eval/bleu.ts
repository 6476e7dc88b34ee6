/**
 * Corpus BLEU (Papineni et al. 2002, "BLEU: a method for automatic evaluation of machine translation"):
 *
 *   BLEU = BP · exp( Σ_{n=1..N} w_n log p_n ),   w_n = 1/N (N = 4: BLEU-4),
 *   p_n  = Σ_sentences Σ_{g ∈ n-grams(cand)} min(count_cand(g), max_ref count_ref(g))
 *          / Σ_sentences (number of n-grams of cand)            (clipped, modified n-gram precision)
 *   BP   = 1 if c > r, else exp(1 − r/c),   c = total candidate length, r = total effective reference
 *          length (per sentence, the reference length closest to the candidate's; the shorter on a tie).
 *
 * Counts are summed over the corpus before dividing (corpus BLEU, not a mean of sentence BLEUs), as in
 * the paper, multi-bleu.perl and sacreBLEU. Smoothing, stated: `none` (default, the paper's) gives 0 as
 * soon as one order has no match in the whole corpus; `epsilon` (Chen & Cherry 2014, method 1) replaces a
 * zero numerator by ε = 0.1, for tiny corpora or sentence-level use. An empty candidate corpus (c = 0)
 * scores 0. Tokens are compared as strings (ids or words both work).
 */

export type BleuSmoothing = 'none' | 'epsilon';

export interface BleuResult {
  /** BLEU in [0, 1]. */
  bleu: number;
  /** p_1 … p_N (unsmoothed). */
  precisions: number[];
  brevityPenalty: number;
  /** c and r of the brevity penalty. */
  candidateLength: number;
  referenceLength: number;
}

type Token = string | number;

function ngramCounts(tokens: readonly Token[], n: number): Map<string, number> {
  const counts = new Map<string, number>();
  for (let i = 0; i + n <= tokens.length; i++) {
    const key = tokens.slice(i, i + n).map(String).join('\u0001');
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

/**
 * Corpus BLEU of `candidates[i]` against `references[i]` (one or more reference token lists per
 * candidate).
 */
export function corpusBleu(
  candidates: readonly (readonly Token[])[],
  references: readonly (readonly (readonly Token[])[])[],
  options: { maxOrder?: number; smoothing?: BleuSmoothing } = {},
): BleuResult {
  const N = options.maxOrder ?? 4;
  const smoothing = options.smoothing ?? 'none';
  if (!Number.isInteger(N) || N < 1) throw new Error(`corpusBleu: maxOrder must be a positive integer, got ${N}`);
  if (candidates.length !== references.length) throw new Error(`corpusBleu: ${candidates.length} candidates but ${references.length} reference sets`);
  const matches = new Float64Array(N), totals = new Float64Array(N);
  let c = 0, r = 0;
  candidates.forEach((cand, i) => {
    const refs = references[i]!;
    if (refs.length === 0) throw new Error(`corpusBleu: candidate ${i} has no reference`);
    c += cand.length;
    // The reference length closest to the candidate's (the shorter one on a tie).
    let best = refs[0]!.length;
    for (const ref of refs) {
      const d = Math.abs(ref.length - cand.length), bd = Math.abs(best - cand.length);
      if (d < bd || (d === bd && ref.length < best)) best = ref.length;
    }
    r += best;
    for (let n = 1; n <= N; n++) {
      const counts = ngramCounts(cand, n);
      const maxRef = new Map<string, number>();
      for (const ref of refs) for (const [g, k] of ngramCounts(ref, n)) maxRef.set(g, Math.max(maxRef.get(g) ?? 0, k));
      for (const [g, k] of counts) matches[n - 1] += Math.min(k, maxRef.get(g) ?? 0);
      totals[n - 1] += Math.max(0, cand.length - n + 1);
    }
  });
  const precisions = Array.from(matches, (m, k) => (totals[k]! > 0 ? m / totals[k]! : 0));
  const brevityPenalty = c === 0 ? 0 : c > r ? 1 : Math.exp(1 - r / c);
  let logSum = 0;
  let zero = c === 0;
  for (let k = 0; k < N && !zero; k++) {
    const m = matches[k]! > 0 ? matches[k]! : smoothing === 'epsilon' ? 0.1 : 0;
    if (m === 0 || totals[k] === 0) zero = true;
    else logSum += Math.log(m / totals[k]!) / N;
  }
  return { bleu: zero ? 0 : brevityPenalty * Math.exp(logSum), precisions, brevityPenalty, candidateLength: c, referenceLength: r };
}
