/**
 * MGDA — Sener & Koltun (2018), "Multi-Task Learning as Multi-Objective Optimization", eq. (3):
 *   d = Σᵢ αᵢgᵢ,  α = argmin over the simplex of ‖Σᵢ αᵢgᵢ‖²,
 * the min-norm point of the convex hull of the task gradients (a common descent direction, or 0 at a
 * Pareto-stationary point). The paper solves it by Frank–Wolfe on the Gramian; we solve the same
 * problem exactly with an active-set NNLS on a factor of the regularised Gramian M + εD, ε = 1e-10
 * relative to each ‖gᵢ‖² (simplex.ts, gramian-factor.ts): one α for rank-deficient G too.
 *
 * Properties: non-conflicting (gᵢ·d ≥ d·d ≥ 0, to ε‖gᵢ‖²), permutation invariant, weighted. Not linear
 * under scaling (the min-norm point moves towards the smaller gradients), not strongly stationary
 * (d = 0 as soon as 0 is in the hull, e.g. a zero gradient).
 */
import { minNormSimplex } from './simplex.js';
import type { Matrix } from './types.js';
import { fromWeights } from './weighted.js';

export const mgdaWeights = (M: Matrix): number[] => minNormSimplex(M);

export const mgda = fromWeights(mgdaWeights);
