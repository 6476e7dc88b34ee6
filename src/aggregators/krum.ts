/**
 * Krum and Multi-Krum — Blanchard et al. (2017), "Machine Learning with Adversaries: Byzantine
 * Tolerant Gradient Descent", Sec. 4 (as torchjd's Krum): with f = option `nByzantine` (default 1),
 *   score(i) = Σ over the T − f − 2 rows j ≠ i closest to gᵢ of ‖gᵢ − gⱼ‖²,
 * and d = the mean of the m = option `nSelected` (default 1) rows with the lowest scores. The paper's
 * guarantee needs T > 2f + 2, so T ≥ 2f + 3 is required (torchjd checks only T ≥ f + 3) and m ≤ T.
 * On the Gramian: ‖gᵢ − gⱼ‖² = Mᵢᵢ + Mⱼⱼ − 2Mᵢⱼ (clipped at 0 against rounding), so the trainer keeps G
 * on the device. Ties: rows whose score equals the m-th lowest share the slots left evenly (with
 * f = 0 and T = 3 the mutually closest pair always ties; torchjd's topk would take the lower index).
 * For untied scores this is Krum exactly; with ties it keeps the result independent of the task order.
 *
 * Properties: permutation invariant, weighted. Not non-conflicting, not linear
 * under scaling (the selection changes with the scales), not strongly stationary (a selected row
 * can be 0).
 */
import { z } from 'zod';
import type { AggregatorOptions, Matrix } from './types.js';
import { fromWeights } from './weighted.js';

/** Krum's options: `nByzantine` f ≥ 0 (default 1) and `nSelected` m ≥ 1 (default 1). */
export const krumOptions = z.strictObject({
  nByzantine: z.number().int().nonnegative().optional(),
  nSelected: z.number().int().positive().optional(),
});

export function krumWeights(M: Matrix, options: AggregatorOptions = {}): number[] {
  const T = M.length;
  const f = options.nByzantine ?? 1;
  const m = options.nSelected ?? 1;
  if (!(Number.isInteger(f) && f >= 0)) throw new Error(`aggregator "krum": option nByzantine must be an integer ≥ 0, got ${f}`);
  if (!(Number.isInteger(m) && m >= 1)) throw new Error(`aggregator "krum": option nSelected must be an integer ≥ 1, got ${m}`);
  if (T < 2 * f + 3) throw new Error(`aggregator "krum": needs at least 2·nByzantine + 3 = ${2 * f + 3} tasks, got ${T}`);
  if (m > T) throw new Error(`aggregator "krum": nSelected = ${m} is more than the ${T} tasks`);
  const k = T - f - 2;
  const scores = M.map((row, i) => {
    const d2 = row.flatMap((mij, j) => (j === i ? [] : [Math.max(0, row[i]! + M[j]![j]! - 2 * mij)]));
    d2.sort((a, b) => a - b);
    return d2.slice(0, k).reduce((s, x) => s + x, 0);
  });
  // The m lowest scores; rows tied with the m-th share the slots left evenly, so that which of them
  // is selected never depends on the task order (the scores are bit-identical under a permutation).
  const last = [...scores].sort((a, b) => a - b)[m - 1]!;
  const below = scores.filter((x) => x < last).length;
  const tied = scores.filter((x) => x === last).length;
  return scores.map((x) => (x < last ? 1 / m : x === last ? (m - below) / (m * tied) : 0));
}

export const krum = fromWeights(krumWeights);
