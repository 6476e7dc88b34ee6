/**
 * UPGrad — Quinton & Rey (2024), "Jacobian Descent for Multi-Objective Optimization" (torchjd):
 *   d = Gᵀ (1/T) Σᵢ wᵢ,   wᵢ = argmin over v ≥ eᵢ of vᵀ(GGᵀ)v.
 * Gᵀwᵢ is gᵢ projected onto the dual cone {x : Gx ≥ 0}, so d conflicts with no task: gⱼ·d ≥ 0 for
 * every j, and d is the mean when no pair of gradients conflicts. Each QP, with v = eᵢ + z, is the
 * non-negative least-squares problem min_{z ≥ 0} ½zᵀMz + zᵀMeᵢ, solved exactly on the Gramian by
 * nnls.ts. torchjd normalises the Gramian and adds a 1e-4 ridge before its QP solver; we solve the
 * unregularised problem.
 */
import { nnls } from './nnls.js';
import type { Matrix } from './types.js';
import { fromWeights } from './weighted.js';

export function upgradWeights(M: Matrix): number[] {
  const T = M.length;
  const beta = new Array<number>(T).fill(0);
  for (let i = 0; i < T; i++) {
    const z = nnls(M, M[i]!.map((m) => -m));
    z[i] = z[i]! + 1;
    z.forEach((x, k) => (beta[k] = beta[k]! + x / T));
  }
  return beta;
}

export const upgrad = fromWeights(upgradWeights);
