/**
 * IMTL-G — Liu et al. (2021), "Towards Impartial Multi-task Learning", Sec. 3.2 (gradient balance):
 *   d = Σᵢ αᵢgᵢ with Σαᵢ = 1 and equal projections of d on every unit gradient uᵢ = gᵢ/‖gᵢ‖,
 *   i.e. d·(u₁ − uᵢ) = 0 for i = 2…T. With task 1 as reference, D = [g₁ − g₂; …; g₁ − g_T] and
 *   U = [u₁ − u₂; …; u₁ − u_T] (rows), d = g₁ − aD for a = α₂…T, so the conditions read
 *   g₁Uᵀ − a DUᵀ = 0:   α₂…T = g₁Uᵀ (DUᵀ)⁻¹,  α₁ = 1 − Σᵢ₌₂ αᵢ   (the paper's closed form).
 * On the Gramian: (DUᵀ)ₓᵧ = (g₁ − gₓ)·(u₁ − uᵧ) and (g₁Uᵀ)ᵧ = g₁·(u₁ − uᵧ). The α may be negative.
 * Degenerate input: a zero gradient has no direction and gets αᵢ = 0 (the others are balanced);
 * a singular DUᵀ (identical or dependent gradients) is solved by least squares (pseudo-inverse).
 */
import { solveOrLeastSquares } from './linalg.js';
import type { Matrix } from './types.js';
import { fromWeights } from './weighted.js';

export function imtlWeights(M: Matrix): number[] {
  const T = M.length;
  const n = M.map((row, i) => Math.sqrt(Math.max(0, row[i]!)));
  const live = n.flatMap((ni, i) => (ni > 0 ? [i] : []));
  if (live.length === 0) return M.map(() => 1 / T); // every gradient is 0: d = 0
  const alpha = new Array<number>(T).fill(0);
  const r = live[0]!;
  const others = live.slice(1);
  // g_x·(u_r − u_y) for gradients x and unit directions y.
  const proj = (x: number, y: number): number => M[x]![r]! / n[r]! - M[x]![y]! / n[y]!;
  // (DUᵀ)ᵀ aᵀ = (g_r Uᵀ)ᵀ, with (DUᵀ)[x][y] = g_r·(u_r − u_y) − g_x·(u_r − u_y).
  const K = others.map((y) => others.map((x) => proj(r, y) - proj(x, y)));
  const a = solveOrLeastSquares(K, others.map((y) => proj(r, y)));
  others.forEach((x, k) => (alpha[x] = a[k]!));
  alpha[r] = 1 - a.reduce((s, x) => s + x, 0);
  return alpha;
}

export const imtlG = fromWeights(imtlWeights);
