/**
 * The min-norm point of a convex hull, shared by MGDA and CAGrad: given the Gramian M = GGᵀ of T
 * points, α* = argmin over the simplex Δ = {α ≥ 0, Σα = 1} of αᵀMα (so Gᵀα* is the point of
 * conv{g₁…g_T} closest to 0).
 *
 * Solved exactly (not by Frank–Wolfe) through an equivalent non-negative least-squares problem:
 *   z* = argmin_{z ≥ 0} ‖Gᵀz‖² + s(1 − 𝟙ᵀz)²,  s > 0,
 * whose solution is z* = t·α* (write z = tα with α ∈ Δ: for every t the best α is α*), so
 * α* = z* / (𝟙ᵀz*). In Gramian form this is nnls(Q = M + s𝟙𝟙ᵀ, q = s𝟙); s = max Mᵢᵢ keeps it scaled.
 * At the result the KKT conditions of the min-norm problem hold to rounding:
 * (Mα)ᵢ = αᵀMα where αᵢ > 0 and (Mα)ⱼ ≥ αᵀMα − tol for every j.
 */
import { maxDiag } from './linalg.js';
import { nnls } from './nnls.js';
import type { Matrix } from './types.js';

export function minNormSimplex(M: Matrix): number[] {
  const T = M.length;
  const s = maxDiag(M);
  const uniform = new Array<number>(T).fill(1 / T);
  if (!(s > 0)) return uniform; // every point is 0
  const Q = M.map((row) => row.map((m) => m + s));
  const z = nnls(Q, M.map(() => s));
  const total = z.reduce((a, b) => a + b, 0);
  return total > 0 ? z.map((x) => x / total) : uniform;
}
