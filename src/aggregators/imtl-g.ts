/**
 * IMTL-G — Liu et al. (2021), "Towards Impartial Multi-task Learning", Sec. 3.2 (gradient balance):
 *   d = Σᵢ αᵢgᵢ with Σαᵢ = 1 and equal projections of d on every unit gradient uᵢ = gᵢ/‖gᵢ‖.
 * The paper writes the conditions against task 1 (D = [g₁ − g₂; …], U = [u₁ − u₂; …],
 * α₂…T = g₁Uᵀ(DUᵀ)⁻¹), a system that is singular whenever G is rank-deficient or T > P; solving it
 * there by elimination or a least-squares fallback made the result depend on which task came first.
 *
 * The same conditions without a reference task: with aᵢ = ‖gᵢ‖αᵢ (so d = Σ aᵢuᵢ) they read
 *   C a = t𝟙  (uᵢ·d = t for all i),   Σᵢ aᵢ/‖gᵢ‖ = 1,    C = [uᵢ·uⱼ] the cosine matrix,
 * so a = ã/(Σᵢ ãᵢ/‖gᵢ‖) with C ã = 𝟙 — for a non-singular C exactly the paper's solution, and
 * torchjd's α = M⁻¹‖g‖/𝟙ᵀM⁻¹‖g‖ (M⁻¹‖g‖ = D^{-1/2}C⁻¹𝟙). Convention for a singular C (stated,
 * order-free): ã = C⁺𝟙, the minimum-norm least-squares solution (gramian-factor.ts's pseudo-inverse,
 * eigenvalues ≤ 1e-12·L·λ_max of C dropped). Then d is the least-squares balanced direction U⁺𝟙
 * (ConFIG's g_u), a duplicated task's weight is split evenly, and permuting the tasks permutes C⁺
 * and ã with them. torchjd generalises with pinv(M) instead of pinv(C); the two agree when C is
 * non-singular, and C keeps tasks whose norms differ by 10⁶ from falling under the cut.
 * Degenerate input: a zero gradient has no direction and gets αᵢ = 0 (the others are balanced); if
 * |Σᵢ ãᵢ/‖gᵢ‖| ≤ 1e-12·Σᵢ|ãᵢ|/‖gᵢ‖ no affine combination is balanced and d = 0 (torchjd returns 0 there too).
 * The α may be negative, and so may t: then d has the same negative projection on every task.
 *
 * Properties: permutation invariant, weighted. Not non-conflicting (t < 0 is possible), not linear
 * under scaling (d(cG) = c·d(G) for one scalar c > 0, but not for per-task scales).
 */
import { cosineGramian, pseudoInverseSolve } from './gramian-factor.js';
import type { Matrix } from './types.js';
import { fromWeights } from './weighted.js';

export function imtlWeights(M: Matrix): number[] {
  const T = M.length;
  const g = cosineGramian(M);
  if (g.live.length === 0) return M.map(() => 1 / T); // every gradient is 0: d = 0
  const a = pseudoInverseSolve(g, g.live.map(() => 1));
  const alpha = g.live.map((i, k) => a[k]! / g.norms[i]!);
  const total = alpha.reduce((s, x) => s + x, 0);
  const size = alpha.reduce((s, x) => s + Math.abs(x), 0);
  const out = new Array<number>(T).fill(0);
  if (!(Math.abs(total) > 1e-12 * size)) return out;
  g.live.forEach((i, k) => (out[i] = alpha[k]! / total));
  return out;
}

export const imtlG = fromWeights(imtlWeights);
