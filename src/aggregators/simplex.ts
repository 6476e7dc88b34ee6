/**
 * The min-norm point of a convex hull, shared by MGDA and CAGrad: given the Gramian M = GGᵀ of T
 * points, α* = argmin over the simplex Δ = {α ≥ 0, Σα = 1} of αᵀMα (so Gᵀα* is the point of
 * conv{g₁…g_T} closest to 0). That point is unique; α* is not when the gᵢ are affinely dependent
 * (duplicated or collinear rows, T > P), and an active-set solver on the singular M then returns
 * order-dependent α — and, through the rounding of its sub-solves on the singular normal equations,
 * order-dependent points. So we solve it on the regularised Gramian M_ε = M + εD of
 * gramian-factor.ts (ε = 1e-10 relative to each ‖gᵢ‖²): strictly convex, one α, independent of the
 * task order, within ~ε of the unregularised optimum.
 *
 * MGDA (minNormSimplex), exactly (not by Frank–Wolfe), in the cosine coordinates xᵢ = ‖gᵢ‖αᵢ: with
 * mᵢ = 1/‖gᵢ‖ the problem is min xᵀC_εx over x ≥ 0, mᵀx = 1, whose KKT conditions
 * (C_εx ≥ λm ⊥ x ≥ 0, λ = xᵀC_εx) are those of
 *   y* = argmin_{y ≥ 0} ½yᵀC_εy − mᵀy = argmin_{y ≥ 0} ‖Ay − b‖²,  A = (Λ₊ + εI)^{1/2}Vᵀ, b = A⁻ᵀm,
 * with x* = y* / (mᵀy*) — an NNLS on a factor with unit columns (nnls.ts). The tasks' norms enter only
 * through m, so gradients whose norms differ by 10⁸ keep gᵢ·d ≥ ‖d‖² to rounding (nnls.ts's entry test
 * is a cosine of 1e-12 here); the earlier penalty form below lost the small gradients' geometry there.
 * A zero row puts 0 in the hull: the weight is spread evenly over the zero rows (d = 0).
 *
 * CAGrad (minNormSimplexFactor) solves many min-norm problems on shifted points whose factor FK it
 * forms without a new eigendecomposition, through the penalty form
 *   z* = argmin_{z ≥ 0} ‖Fz‖² + s(1 − 𝟙ᵀz)²,  FᵀF = the (regularised) Gramian,  s = max Mᵢᵢ,
 * whose solution is z* = t·α* (write z = tα with α ∈ Δ: for every t the best α is α*).
 */
import { cosineGramian, regularisedFactor, RIDGE, type CosineGramian } from './gramian-factor.js';
import { nnls } from './nnls.js';
import type { Matrix } from './types.js';

/**
 * F with FᵀF = M + εD (zero columns for zero rows): the regularised factor scaled by the norms, over
 * all T tasks. CAGrad reuses it for its shifted points gᵢ + ρg₀ = (KG)ᵢ, K = I + (ρ/T)𝟙𝟙ᵀ: their
 * Gramian is KMK, factored by FK without a new eigendecomposition.
 */
export function gramianFactor(g: CosineGramian, T: number): Matrix {
  const A = regularisedFactor(g, g.live.map((i) => g.norms[i]!));
  return A.map((row) => {
    const full = new Array<number>(T).fill(0);
    g.live.forEach((i, b) => (full[i] = row[b]!));
    return full;
  });
}

/** α* for the points whose Gramian is FᵀF (F: any number of rows, T columns). */
export function minNormSimplexFactor(F: Matrix, T: number): number[] {
  const diag = Array.from({ length: T }, (_, j) => F.reduce((s, row) => s + row[j]! ** 2, 0));
  const s = Math.max(...diag);
  if (!(s > 0)) return new Array<number>(T).fill(1 / T); // every point is 0
  const z = nnls([...F, new Array<number>(T).fill(Math.sqrt(s))], [...F.map(() => 0), Math.sqrt(s)]);
  const total = z.reduce((a, b) => a + b, 0);
  return total > 0 ? z.map((x) => x / total) : new Array<number>(T).fill(1 / T);
}

export function minNormSimplex(M: Matrix): number[] {
  const T = M.length;
  const g = cosineGramian(M);
  if (g.live.length < T) {
    const zeros = T - g.live.length;
    return g.norms.map((n) => (n > 0 ? 0 : 1 / zeros));
  }
  const m = g.norms.map((n) => 1 / n);
  // b = (Λ₊ + εI)^{-1/2}Vᵀm, so that Aᵀb = V(Λ₊ + εI)^{1/2}b = m.
  const b = g.values.map((lam, k) => g.vectors.reduce((s, row, i) => s + row[k]! * m[i]!, 0) / Math.sqrt(lam + RIDGE));
  const y = nnls(regularisedFactor(g), b);
  const total = y.reduce((s, x, i) => s + x * m[i]!, 0);
  return total > 0 ? y.map((x, i) => (x * m[i]!) / total) : new Array<number>(T).fill(1 / T);
}
