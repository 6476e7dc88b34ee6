/**
 * Aligned-MTL — Senushkin et al. (2023), "Independent Component Alignment for Multi-Task Learning",
 * Sec. 4 (Procrustes alignment): with GGᵀ = VΛVᵀ over its positive eigenvalues,
 *   B = √λ_min · V Λ^{-1/2} Vᵀ,   d = Gᵀ B (1/T)𝟙.
 * The aligned gradients BG are orthogonal with equal norms √λ_min: B(GGᵀ)B = λ_min·VVᵀ, so the
 * condition number of the aligned system is 1. Eigenvalues ≤ 1e-12·T·λ_max count as zero (rank
 * deficiency to float64 rounding: identical or dependent gradients). The authors' code sums the
 * aligned gradients (B𝟙); we take their mean (B𝟙/T) as specified, so T = 1 gives back g.
 *
 * Properties: permutation invariant (B is a spectral function of GGᵀ), weighted. Not non-conflicting,
 * not linear under scaling (the alignment equalises the norms), not strongly stationary (B𝟙 may have
 * zero or negative entries).
 */
import { symEig } from './linalg.js';
import type { Matrix } from './types.js';
import { fromWeights } from './weighted.js';

/** B = √λ_min V Λ^{-1/2} Vᵀ over the positive eigenvalues of M (the zero matrix when M = 0). */
export function alignedMtlMatrix(M: Matrix): Matrix {
  const T = M.length;
  const { values, vectors } = symEig(M);
  const cut = 1e-12 * T * Math.max(values[0] ?? 0, 0);
  const kept = values.flatMap((lam, k) => (lam > cut && lam > 0 ? [k] : []));
  const B: Matrix = Array.from({ length: T }, () => new Array<number>(T).fill(0));
  if (kept.length === 0) return B;
  const lamMin = Math.min(...kept.map((k) => values[k]!));
  for (const k of kept) {
    const f = Math.sqrt(lamMin / values[k]!);
    for (let i = 0; i < T; i++) for (let j = 0; j < T; j++) B[i]![j] += f * vectors[i]![k]! * vectors[j]![k]!;
  }
  return B;
}

export function alignedMtlWeights(M: Matrix): number[] {
  const T = M.length;
  return alignedMtlMatrix(M).map((row) => row.reduce((s, x) => s + x, 0) / T);
}

export const alignedMtl = fromWeights(alignedMtlWeights);
