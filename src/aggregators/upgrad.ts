/**
 * UPGrad — Quinton & Rey (2024), "Jacobian Descent for Multi-Objective Optimization" (torchjd):
 *   d = Gᵀ (1/T) Σᵢ wᵢ,   wᵢ = argmin over v ≥ eᵢ of vᵀ(GGᵀ)v.
 * Gᵀwᵢ is gᵢ projected onto the dual cone {x : Gx ≥ 0} (dual-cone.ts), so d conflicts with no task:
 * gⱼ·d ≥ 0 for every j, and d is the mean when no pair of gradients conflicts.
 *
 * Solved on the cosine matrix (gramian-factor.ts): with v = D^{-1/2}x and x = nᵢy the QP becomes
 *   yᵢ* = argmin over y ≥ eᵢ of yᵀC_εy,    wᵢ = nᵢ D^{-1/2} yᵢ*,
 * so the QP sees only the directions of the gradients and their norms enter exactly afterwards: for
 * G' = diag(c)G (c > 0) the QPs are the same and d(G') = Gᵀ Σᵢ cᵢwᵢ/T, linear in c to rounding. The
 * ridge ε = 1e-10 (C_ε = C + εI on the eigenvalues) makes each QP strictly convex, so the weights are
 * unique and independent of the task order even when G is rank-deficient (the previous solver, an
 * NNLS on the singular M, broke linearity under scaling there); it leaves gⱼ·d ≥ −ε·nⱼ·Σᵢnᵢ(yᵢ*)ⱼ/T,
 * i.e. non-conflicting up to ~1e-10 relative. torchjd normalises the Gramian too and adds a 1e-4 ridge
 * before its QP solver. A zero row keeps wᵢ = eᵢ (its projection is 0) and constrains nothing.
 *
 * Properties: non-conflicting, linear under scaling, permutation invariant, weighted (β ≥ 1/T > 0, so
 * d = 0 only at a strongly stationary point: Σβᵢgᵢ = 0 with β > 0).
 */
import { dualConeWeights } from './dual-cone.js';
import { cosineGramian, regularisedFactor } from './gramian-factor.js';
import type { Matrix } from './types.js';
import { fromWeights } from './weighted.js';

export function upgradWeights(M: Matrix): number[] {
  const T = M.length;
  const g = cosineGramian(M);
  const A = regularisedFactor(g);
  const beta = new Array<number>(T).fill(0);
  for (let i = 0; i < T; i++) {
    const a = g.live.indexOf(i);
    if (a < 0) {
      beta[i] = beta[i]! + 1 / T;
      continue;
    }
    const y = dualConeWeights(A, g.live.map((_, b) => (b === a ? 1 : 0)));
    const ni = g.norms[i]!;
    g.live.forEach((j, b) => (beta[j] = beta[j]! + (ni * y[b]!) / (g.norms[j]! * T)));
  }
  return beta;
}

export const upgrad = fromWeights(upgradWeights);
