/**
 * CAGrad — Liu et al. (2021), "Conflict-Averse Gradient Descent for Multi-task Learning", eq. (4)–(5):
 *   g₀ = (1/T) Σᵢ gᵢ,  φ = c²‖g₀‖²,
 *   w = argmin over the simplex of  F(w) = g_wᵀg₀ + √φ ‖g_w‖,  g_w = Σᵢ wᵢgᵢ,
 *   d = (g₀ + √φ/‖g_w‖ · g_w) / (1 + c²)        (option `c`, default 0.4; c = 0 gives the mean).
 * Unscaled, d(1 + c²) maximises minᵢ gᵢᵀd over the ball ‖d − g₀‖ ≤ √φ.
 *
 * Solver (exact, on the Gramian). With k = √φ, w is optimal iff it satisfies the KKT conditions of
 * F, and those are the KKT conditions of the quadratic ½‖g_w‖² + ρ g₀ᵀg_w for ρ = ‖g_w‖/k. That
 * quadratic is the min-norm problem over the shifted points gᵢ + ρg₀ (Gramian M + ρ(b𝟙ᵀ + 𝟙bᵀ) +
 * ρ²‖g₀‖²𝟙𝟙ᵀ, b = Gg₀ — in factored form FK, K = I + (ρ/T)𝟙𝟙ᵀ), solved exactly by simplex.ts on the
 * regularised Gramian (ε = 1e-10 relative, so one solution whatever the task order). So we find a root of
 * h(ρ) = kρ − ‖g_{w(ρ)}‖ by bisection on [0, maxᵢ‖gᵢ‖/k] (h is continuous, h(0) ≤ 0 ≤ h(hi)),
 * keeping the candidate with the smallest F. When the optimum has g_w = 0 (0 in the hull and
 * F ≥ 0), g_w/‖g_w‖ is undefined and we return the ball's centre: d = g₀/(1 + c²).
 *
 * Properties: permutation invariant, weighted, strongly stationary (β = 1/(T(1+c²)) + a non-negative
 * term > 0). Not non-conflicting (the ball may hold no direction that helps every task), not linear
 * under scaling.
 */
import { z } from 'zod';
import { maxDiag, quadForm } from './linalg.js';
import { cosineGramian } from './gramian-factor.js';
import { gramianFactor, minNormSimplexFactor } from './simplex.js';
import type { AggregatorOptions, Matrix } from './types.js';
import { fromWeights } from './weighted.js';

/** CAGrad's option: the conflict radius `c` ≥ 0 (default 0.4). */
export const cagradOptions = z.strictObject({ c: z.number().nonnegative().optional() });

function radius(options: AggregatorOptions): number {
  const c = options.c ?? 0.4;
  if (!(Number.isFinite(c) && c >= 0)) throw new Error(`aggregator "cagrad": option c must be a finite number ≥ 0, got ${c}`);
  return c;
}

/** The CAGrad objective F(w) = g_wᵀg₀ + c‖g₀‖‖g_w‖ on the Gramian. */
export function cagradObjective(M: Matrix, w: readonly number[], c: number): number {
  const T = M.length;
  const b = M.map((row) => row.reduce((s, x) => s + x, 0) / T);
  const g0 = Math.sqrt(Math.max(0, b.reduce((s, x) => s + x, 0) / T));
  return w.reduce((s, x, i) => s + x * b[i]!, 0) + c * g0 * Math.sqrt(Math.max(0, quadForm(M, w)));
}

/** w = argmin over the simplex of F(w). */
export function cagradSubproblem(M: Matrix, c: number): number[] {
  const T = M.length;
  const b = M.map((row) => row.reduce((s, x) => s + x, 0) / T);
  const g0sq = Math.max(0, b.reduce((s, x) => s + x, 0) / T);
  const k = c * Math.sqrt(g0sq);
  if (!(k > 0)) {
    // F is linear (bᵀw): a vertex of smallest bᵢ.
    const i = b.indexOf(Math.min(...b));
    return M.map((_, j) => (j === i ? 1 : 0));
  }
  // The shifted points gᵢ + ρg₀ are the rows of KG, K = I + (ρ/T)𝟙𝟙ᵀ: their regularised Gramian is
  // factored by FK, F the factor of M (simplex.ts) — one eigendecomposition for the whole bisection.
  const factor = gramianFactor(cosineGramian(M), T);
  const wAt = (rho: number): number[] =>
    minNormSimplexFactor(
      factor.map((row) => {
        const shift = (rho / T) * row.reduce((s, x) => s + x, 0);
        return row.map((x) => x + shift);
      }),
      T,
    );
  const psi = (w: number[]): number => Math.sqrt(Math.max(0, quadForm(M, w)));
  let lo = 0;
  let hi = Math.sqrt(maxDiag(M)) / k;
  for (let it = 0; it < 200 && hi - lo > 1e-15 * hi; it++) {
    const mid = 0.5 * (lo + hi);
    if (k * mid - psi(wAt(mid)) <= 0) lo = mid;
    else hi = mid;
  }
  const candidates = [wAt(0), wAt(lo), wAt(hi)];
  const F = candidates.map((w) => cagradObjective(M, w, c));
  return candidates[F.indexOf(Math.min(...F))]!;
}

export function cagradWeights(M: Matrix, options: AggregatorOptions = {}): number[] {
  const c = radius(options);
  const T = M.length;
  const mean = 1 / (T * (1 + c * c));
  if (c === 0) return M.map(() => 1 / T);
  const w = cagradSubproblem(M, c);
  const g0 = Math.sqrt(Math.max(0, M.reduce((s, row) => s + row.reduce((a, x) => a + x, 0), 0))) / T;
  const gw = Math.sqrt(Math.max(0, quadForm(M, w)));
  if (!(gw > 1e-12 * Math.sqrt(maxDiag(M)))) return M.map(() => mean);
  return w.map((wi) => mean + (c * g0 * wi) / (gw * (1 + c * c)));
}

export const cagrad = fromWeights(cagradWeights);
