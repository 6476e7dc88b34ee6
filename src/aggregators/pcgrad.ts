/**
 * PCGrad — Yu et al. (2020), "Gradient Surgery for Multi-Task Learning", Algorithm 1.
 * For each task i, gᵢ' starts as gᵢ and is projected, over the other tasks j in a random order,
 * against the ORIGINAL gⱼ whenever they conflict:
 *   if gᵢ'·gⱼ < 0:  gᵢ' ← gᵢ' − (gᵢ'·gⱼ / ‖gⱼ‖²) gⱼ
 * and d = Σᵢ gᵢ'. Every gᵢ' stays a combination of the gradients, gᵢ' = Gᵀcᵢ, so the whole method
 * runs on the Gramian: gᵢ'·gⱼ = (Mcᵢ)ⱼ. The order comes from the seeded PRNG (option `seed`): one
 * PRNG per call, one shuffle of the other tasks per i, i = 1…T in turn.
 *
 * Properties: linear under scaling (for a given seed: the conflict tests gᵢ'·gⱼ < 0 do not change
 * under positive scales, and each projection is linear in cᵢ), weighted, strongly stationary (every
 * βₖ ≥ 1). Not permutation invariant, by definition: the projection order is random (seeded), and the
 * result depends on it for T ≥ 3. Not non-conflicting for T ≥ 3 (for T = 2 it is).
 */
import { rngFor, shuffled } from './random.js';
import { matVec } from './linalg.js';
import type { AggregatorOptions, Matrix } from './types.js';
import { fromWeights } from './weighted.js';

/** The coefficient rows cᵢ of the projected gradients gᵢ' = Gᵀcᵢ. */
export function pcgradCoefficients(M: Matrix, options: AggregatorOptions = {}): number[][] {
  const T = M.length;
  const rand = rngFor('pcgrad', options.seed);
  const tasks = Array.from({ length: T }, (_, i) => i);
  return tasks.map((i) => {
    const c = tasks.map((k): number => (k === i ? 1 : 0));
    for (const j of shuffled(tasks.filter((k) => k !== i), rand)) {
      const gij = matVec(M, c)[j]!;
      if (gij < 0 && M[j]![j]! > 0) c[j] = c[j]! - gij / M[j]![j]!;
    }
    return c;
  });
}

export function pcgradWeights(M: Matrix, options: AggregatorOptions = {}): number[] {
  const rows = pcgradCoefficients(M, options);
  return M.map((_, k) => rows.reduce((s, c) => s + c[k]!, 0));
}

export const pcgrad = fromWeights(pcgradWeights);
