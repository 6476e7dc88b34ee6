/**
 * Beam search over a step function, in plain JavaScript (the decoder supplies the log-probabilities of
 * each step; the bookkeeping here is independent of tfjs and tested on its own).
 *
 * Per example, with width k: the beam starts as one empty hypothesis. At each step every alive
 * hypothesis h is extended by every allowed token v with score s(h) + log p(v | h, x), and the k best
 * extensions (by raw log-probability, ties to the lower parent row, then the lower token id) are kept;
 * those ending in <eos> leave the beam as finished hypotheses, the others stay alive. The search ends when
 * no hypothesis is alive or after `maxLength` steps (alive hypotheses then finish unterminated). The
 * answer is the finished hypothesis with the best length-normalised score
 *   score(y) = log P(y | x) / |y|^α,   |y| = tokens generated, <eos> included; α = lengthPenalty
 * (α = 0: raw log-probability; α = 1: the mean per-token log-probability). With k = 1 this is greedy
 * decoding exactly (one candidate per step, finished at its first <eos>). Beam search does not in general
 * find the most probable sequence (nor always one at least as probable as greedy's); with k at least
 * the number of possible prefixes it is exhaustive.
 */

export interface SearchStep {
  /**
   * Reorders the decoder state to rows `parents` (the row each new hypothesis extends, indices into the
   * previous step's rows), feeds it `tokens` (one per new row) and returns the log-probabilities of the
   * next token, rows × V. The first call has one row per example (parent = example index, token <bos>).
   */
  (parents: Int32Array, tokens: Int32Array): Float32Array;
}

export interface BeamOptions {
  examples: number;
  vocabSize: number;
  width: number;
  maxLength: number;
  eos: number;
  bos: number;
  /** Token ids never generated (<pad>, <bos>). */
  banned: readonly number[];
  lengthPenalty: number;
}

export interface Hypothesis {
  tokens: number[];
  logProb: number;
}

interface Alive { tokens: number[]; logProb: number; row: number }

export function normalisedScore(h: Hypothesis, alpha: number): number {
  return alpha === 0 ? h.logProb : h.logProb / Math.pow(Math.max(1, h.tokens.length), alpha);
}

/** The k allowed tokens of row `logp[offset … offset + V)` with the highest values (ties: the lower id). */
export function topTokens(logp: Float32Array, offset: number, V: number, k: number, banned: ReadonlySet<number>): number[] {
  const best: number[] = [];
  for (let v = 0; v < V; v++) {
    if (banned.has(v)) continue;
    const x = logp[offset + v]!;
    if (best.length === k && !(x > logp[offset + best[k - 1]!]!)) continue;
    let i = best.length === k ? k - 1 : best.length;
    if (best.length < k) best.push(v);
    while (i > 0 && x > logp[offset + best[i - 1]!]!) { best[i] = best[i - 1]!; i--; }
    best[i] = v;
  }
  return best;
}

/** The best hypothesis per example (see the header). */
export function beamSearch(step: SearchStep, o: BeamOptions): Hypothesis[] {
  const { examples: B, vocabSize: V, width: k } = o;
  if (!Number.isInteger(k) || k < 1) throw new Error(`beam search: width must be a positive integer, got ${k}`);
  const banned = new Set(o.banned);
  let alive: Alive[][] = Array.from({ length: B }, (_, b) => [{ tokens: [], logProb: 0, row: b }]);
  const finished: Hypothesis[][] = Array.from({ length: B }, () => []);
  let logp = step(Int32Array.from({ length: B }, (_, b) => b), new Int32Array(B).fill(o.bos));
  for (let t = 0; t < o.maxLength; t++) {
    const parents: number[] = [], tokens: number[] = [];
    const next: Alive[][] = alive.map(() => []);
    alive.forEach((hyps, b) => {
      const cands: { score: number; parent: Alive; token: number }[] = [];
      // Only a row's own k best tokens can be among the k best extensions overall.
      for (const h of hyps) for (const v of topTokens(logp, h.row * V, V, k, banned)) cands.push({ score: h.logProb + logp[h.row * V + v]!, parent: h, token: v });
      cands.sort((a, c) => c.score - a.score || a.parent.row - c.parent.row || a.token - c.token);
      for (const c of cands.slice(0, k)) {
        const tokensSoFar = [...c.parent.tokens, c.token];
        if (c.token === o.eos) finished[b]!.push({ tokens: tokensSoFar, logProb: c.score });
        else if (t === o.maxLength - 1) finished[b]!.push({ tokens: tokensSoFar, logProb: c.score });
        else {
          next[b]!.push({ tokens: tokensSoFar, logProb: c.score, row: parents.length });
          parents.push(c.parent.row);
          tokens.push(c.token);
        }
      }
    });
    alive = next;
    if (parents.length === 0) break;
    logp = step(Int32Array.from(parents), Int32Array.from(tokens));
  }
  return finished.map((hs) => {
    let best = hs[0]!;
    for (const h of hs) if (normalisedScore(h, o.lengthPenalty) > normalisedScore(best, o.lengthPenalty)) best = h;
    return best;
  });
}
