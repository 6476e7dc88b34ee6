/**
 * Nash-MTL — Navon et al. (2022), "Multi-Task Learning as a Bargaining Game", eq. (2)/Thm 5.1:
 *   d = Gᵀα with α > 0 solving (GGᵀ)α = 1/α (element-wise), the Nash bargaining solution.
 * (GGᵀ)α − 1/α is the gradient of the strictly convex f(α) = ½αᵀMα − Σᵢ log αᵢ on α > 0, so we
 * minimise f by Newton's method, damped (step 1/(1+λ) while the Newton decrement λ ≥ ¼, full steps
 * after): f is self-concordant, so every step stays in α > 0, f decreases, and convergence is
 * quadratic at the end (decrement² ≤ 1e-20, at most 500 steps). The paper instead solves a sequence
 * of convex approximations with cvxpy; the fixed point is the same.
 * Degenerate input: when 0 lies in the cone of the gradients (a zero gradient, opposite gradients)
 * f is unbounded below and α would diverge; a ridge M + εI with ε = 1e-10·maxᵢMᵢᵢ keeps it finite
 * (its effect on a well-posed α is ~1e-10 relative). Note d does not depend on the scale of G.
 */
import { maxDiag, matVec, solve } from './linalg.js';
import type { Matrix } from './types.js';
import { fromWeights } from './weighted.js';

export function nashWeights(M: Matrix): number[] {
  const T = M.length;
  const scale = maxDiag(M);
  if (!(scale > 0)) return M.map(() => 1 / T); // every gradient is 0: d = 0
  const A = M.map((row, i) => row.map((m, j) => (i === j ? m + 1e-10 * scale : m)));
  let alpha = A.map((row, i) => 1 / Math.sqrt(row[i]!));
  for (let it = 0; it < 500; it++) {
    const Aa = matVec(A, alpha);
    const r = Aa.map((x, i) => x - 1 / alpha[i]!);
    const H = A.map((row, i) => row.map((m, j) => (i === j ? m + 1 / alpha[i]! ** 2 : m)));
    const step = solve(H, r.map((x) => -x));
    if (!step) break;
    const decrement2 = -r.reduce((s, x, i) => s + x * step[i]!, 0);
    if (!(decrement2 > 1e-20)) break;
    let t = Math.sqrt(decrement2) >= 0.25 ? 1 / (1 + Math.sqrt(decrement2)) : 1;
    while (alpha.some((a, i) => !(a + t * step[i]! > 0)) && t > 1e-12) t *= 0.5;
    alpha = alpha.map((a, i) => a + t * step[i]!);
  }
  return alpha;
}

export const nashMtl = fromWeights(nashWeights);
