/**
 * DualProj — Quinton & Rey (2024), "Jacobian Descent for Multi-Objective Optimization" (torchjd's
 * DualProj): the mean gradient projected onto the dual cone of the rows,
 *   d = Gᵀw,   w = argmin over v ≥ (1/T)𝟙 of vᵀ(GGᵀ)v,
 * so G d ≥ 0 (no task's loss increases to first order), and d is the mean when the mean conflicts
 * with no task. Solved by dual-cone.ts on the regularised Gramian M_ε = M + εD (gramian-factor.ts,
 * ε = 1e-10 relative to each ‖gᵢ‖²): one w whatever the task order, and the KKT conditions
 * (M_ε w)ⱼ ≥ 0 give gⱼ·d ≥ −ε‖gⱼ‖²wⱼ. A zero row keeps wᵢ = 1/T and constrains nothing.
 *
 * Properties: non-conflicting, permutation invariant, weighted (w ≥ 1/T > 0: d = 0 only at a strongly
 * stationary point). NOT linear under scaling: the projection of Σcᵢgᵢ/T onto a fixed cone is not
 * additive in c (UPGrad projects each gᵢ separately, and is).
 */
import { dualConeWeights } from './dual-cone.js';
import { cosineGramian, regularisedFactor } from './gramian-factor.js';
import type { Matrix } from './types.js';
import { fromWeights } from './weighted.js';

export function dualprojWeights(M: Matrix): number[] {
  const T = M.length;
  const g = cosineGramian(M);
  const beta = new Array<number>(T).fill(1 / T);
  if (g.live.length === 0) return beta;
  const n = g.live.map((i) => g.norms[i]!);
  const w = dualConeWeights(regularisedFactor(g, n), n.map(() => 1 / T));
  g.live.forEach((i, a) => (beta[i] = w[a]!));
  return beta;
}

export const dualproj = fromWeights(dualprojWeights);
