/**
 * Trimmed mean — Yin et al. (2018), "Byzantine-Robust Distributed Learning: Towards Optimal
 * Statistical Rates", Def. 2 (as torchjd's TrimmedMean): per coordinate k, sort the T values gᵢₖ,
 * drop the `trim` = b largest and b smallest (default 1), and average the T − 2b left:
 *   dₖ = (1/(T − 2b)) Σ_{i = b+1}^{T−b} g₍ᵢ₎ₖ     (g₍₁₎ₖ ≤ … ≤ g₍T₎ₖ),
 * which needs T > 2b. Coordinate-wise, so it is not a Gramian combination (the trainer reads the rows).
 *
 * Properties: permutation invariant (the sorted values do not depend on the order, and are summed in
 * sorted order). Not weighted (each coordinate keeps different tasks), not non-conflicting, not
 * linear under scaling.
 */
import { z } from 'zod';
import type { AggregatorOptions, GradientRows } from './types.js';

/** The trimmed mean's option: `trim` b ≥ 0 values dropped at each end of every coordinate (default 1). */
export const trimmedMeanOptions = z.strictObject({ trim: z.number().int().nonnegative().optional() });

export function trimmedMean(G: GradientRows, options: AggregatorOptions = {}): Float32Array {
  const T = G.length;
  const b = options.trim ?? 1;
  if (!(Number.isInteger(b) && b >= 0)) throw new Error(`aggregator "trimmed-mean": option trim must be an integer ≥ 0, got ${b}`);
  if (T <= 2 * b) throw new Error(`aggregator "trimmed-mean": trim = ${b} drops 2·${b} = ${2 * b} of the ${T} values of each coordinate; needs more than ${2 * b} tasks`);
  const P = T ? G[0]!.length : 0;
  const out = new Float32Array(P);
  const column = new Float64Array(T);
  for (let k = 0; k < P; k++) {
    for (let i = 0; i < T; i++) column[i] = G[i]![k]!;
    column.sort();
    let s = 0;
    for (let i = b; i < T - b; i++) s += column[i]!;
    out[k] = s / (T - 2 * b);
  }
  return out;
}
