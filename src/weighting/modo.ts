/**
 * MoDo — multi-objective gradient with double sampling (Chen, Fernando, Ying & Chen, "Three-Way
 * Trade-Off in Multi-Objective Learning: Optimization, Generalization and Conflict-Avoidance",
 * NeurIPS 2023; Algorithm 1), as in LibMTL (weighting/MoDo.py, from the authors' code).
 *
 * MGDA's weights minimise ½‖Gᵀλ‖² over the simplex Δ; with stochastic gradients, GGᵀ estimated from one
 * minibatch is biased (E[G_zG_zᵀ] ≠ E[G]E[G]ᵀ). MoDo takes three independent minibatches z₁, z₂, z₃ per
 * step — G₁, G₂, G₃ their T × P task gradients of the shared parameters — so that G₁G₂ᵀλ is an unbiased
 * estimate of the gradient of ½‖Gᵀλ‖², and d is independent of the λ it uses:
 *
 *   λ ← Π_Δ(λ − γ(G₁G₂ᵀλ + ρλ))      (Π_Δ the Euclidean projection onto Δ, simplex-projection.ts)
 *   d = G₃ᵀλ                          (with the updated λ)
 *
 * λ starts at 1/T. Options (LibMTL's defaults): `gamma` γ > 0 (0.001), `rho` ρ ≥ 0 (0.1). The method
 * declares `samples: 3`: the trainer computes G on the step's batch (G₃ here, to which the weights λ
 * apply on the device) and on two more minibatches drawn by its seeded sampler (src/train/sampler.ts;
 * G₁, G₂ = ctx.samples), of which only the T×T cross-Gramian G₁G₂ᵀ is read. The heads get the mean of
 * their gradients over the three samples (LibMTL divides their accumulated gradients by 3). State
 * (checkpointed): λ. LibMTL refuses representation gradients for MoDo; so does the trainer.
 */
import { z } from 'zod';
import { tf } from '../engine/tf.js';
import { crossGramian, type GradientMethod } from '../aggregators/method.js';
import { projectSimplex } from './simplex-projection.js';
import type { Weighting, WeightingOptions } from './types.js';
import { numberOption, numbersField, stateObject } from './util.js';

/** MoDo's options: `gamma` > 0 (0.001), the step size of λ; `rho` ≥ 0 (0.1), its ℓ₂ regularisation. */
export const modoOptions = z.strictObject({
  gamma: z.number().positive().optional(),
  rho: z.number().nonnegative().optional(),
});

export interface ModoState {
  /** λ, on the simplex. */
  lambda: number[];
}

/** One MoDo update of λ from the cross-Gramian C = G₁G₂ᵀ: Π_Δ(λ − γ(Cλ + ρλ)). */
export function modoLambda(C: number[][], lambda: readonly number[], gamma: number, rho: number): number[] {
  return projectSimplex(lambda.map((l, i) => l - gamma * (C[i]!.reduce((s, c, j) => s + c * lambda[j]!, 0) + rho * l)));
}

/** MoDo's update as a GradientMethod with explicit state; needs three gradient samples per step. */
export function modoMethod(options: WeightingOptions): GradientMethod<ModoState> {
  const T = options.taskNames.length;
  const gamma = numberOption(options, 'gamma', 1e-3, 'modo');
  const rho = numberOption(options, 'rho', 0.1, 'modo');
  return {
    name: 'modo',
    samples: 3,
    init: () => ({ lambda: new Array<number>(T).fill(1 / T) }),
    update(G3, state, ctx) {
      const [G1, G2] = ctx.samples ?? [];
      if (G3.T !== T || !G1 || !G2 || ctx.samples!.length !== 2) {
        throw new Error(`modo weighting: expected the ${T} task gradients of the step's batch and of 2 more independent minibatches (ctx.samples), got ${ctx.samples?.length ?? 0} more`);
      }
      const lambda = modoLambda(crossGramian(G1, G2), state.lambda, gamma, rho);
      return { direction: { weights: lambda }, state: { lambda } };
    },
    reportedWeights: (state) => [...state.lambda],
    encode: (state) => ({ weights: [...state.lambda] }),
    decode: (json) => ({ lambda: numbersField(stateObject(json, 'modo'), 'weights', T, 'modo') }),
  };
}

/** MoDo: the terms are the raw losses L_t; the update is modoMethod. */
export function modoWeighting(options: WeightingOptions): Weighting {
  const T = options.taskNames.length;
  return {
    name: 'modo',
    gradient: modoMethod(options),
    terms: (losses) => losses.map((l) => tf.mul(l, 1)),
    combine: (losses) => tf.tidy(() => tf.addN(losses)),
    weights: () => new Array<number>(T).fill(1 / T),
  };
}
