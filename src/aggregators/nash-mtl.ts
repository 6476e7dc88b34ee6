/**
 * Nash-MTL — Navon et al. (2022), "Multi-Task Learning as a Bargaining Game", eq. (2)/Thm 5.1:
 *   d = Gᵀα with α > 0 solving (GGᵀ)α = 1/α (element-wise), the Nash bargaining solution.
 * This is FairGrad's α-fair condition at α = 1 (fairgrad.ts): (GGᵀ)α − 1/α is the gradient of the
 * strictly convex f(α) = ½αᵀMα − Σᵢ log αᵢ on α > 0, minimised there by a damped Newton method. The
 * paper instead solves a sequence of convex approximations with cvxpy; the fixed point is the same.
 * Degenerate input: when 0 lies in the cone of the gradients (opposite gradients, T > P) f is
 * unbounded below and α would diverge; the regularised Gramian M + εD (gramian-factor.ts,
 * ε = 1e-10 relative to each ‖gᵢ‖²) keeps it finite and unique. A zero gradient gets αᵢ = 0 (it adds
 * nothing to d). Note d does not depend on the scale of G: M → sM gives α → α/√s.
 *
 * Properties: permutation invariant, weighted (α > 0), non-conflicting where the unregularised
 * system has a solution (gᵢ·d = 1/αᵢ > 0); not linear under scaling (it is scale-invariant).
 */
import { alphaFairWeights } from './fairgrad.js';
import type { Matrix } from './types.js';
import { fromWeights } from './weighted.js';

export const nashWeights = (M: Matrix): number[] => alphaFairWeights(M, 1);

export const nashMtl = fromWeights(nashWeights);
