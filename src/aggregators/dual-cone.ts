/**
 * Projection onto the dual cone of the task gradients, shared by UPGrad and DualProj — Quinton & Rey
 * (2024), "Jacobian Descent for Multi-Objective Optimization", Prop. 1: for a vector Gᵀu,
 *   π(Gᵀu) = Gᵀv,   v = argmin over v ≥ u of vᵀ(GGᵀ)v,
 * is its projection onto {x : Gx ≥ 0}. With v = u + z this is the non-negative least-squares problem
 *   min_{z ≥ 0} ‖F(u + z)‖² = ‖Fz − (−Fu)‖²,   FᵀF = the (regularised) Gramian,
 * solved exactly by nnls.ts on the factor F (gramian-factor.ts), never on FᵀF.
 */
import { nnls } from './nnls.js';
import type { Matrix } from './types.js';

/** v = u + argmin_{z ≥ 0} ‖F(u + z)‖² for a factor F (its columns index the tasks). */
export function dualConeWeights(F: Matrix, u: readonly number[]): number[] {
  const Fu = F.map((row) => row.reduce((s, f, k) => s + f * u[k]!, 0));
  const z = nnls(F, Fu.map((x) => -x));
  return u.map((x, k) => x + z[k]!);
}
