/**
 * GradNorm (Chen et al., "GradNorm: Gradient Normalization for Adaptive Loss Balancing in Deep Multitask
 * Networks", ICML 2018). Gradient-space: the trainer passes G_t = ∇_W(w_t·L_t) over the shared weights W.
 *
 *   n_t = ‖G_t‖ = G_W^{(t)},  n̄ = mean_t n_t,  L̃_t = L_t/L_t(0),  r_t = L̃_t / mean_i L̃_i
 *   L_grad = Σ_t |n_t − n̄·r_t^α|          (the target n̄·r_t^α is a constant)
 *   ∂L_grad/∂w_t = sign(n_t − n̄·r_t^α)·n_t/w_t   (n_t is linear in w_t)
 *   w_t ← max(w_t − lr·∂L_grad/∂w_t, 1e-4), then renormalised so Σ_t w_t = T.
 * L_t(0) are the losses of the first call. The returned direction is Σ_t G_t (the current weights);
 * the updated weights apply from the next step. Options: `alpha` (1.5), `lr` (0.025).
 * W here is the whole shared parameter vector the trainer differentiates, not only the last shared layer.
 */
import { z } from 'zod';
import { tf } from '../engine/tf.js';
import type { GradientMethod } from '../aggregators/method.js';
import type { Weighting, WeightingOptions } from './types.js';
import { norm, numberOption, numbersField, stateObject } from './util.js';

/** GradNorm's options: `alpha` (asymmetry, default 1.5), `lr` > 0 of the weight update (default 0.025). */
export const gradNormOptions = z.strictObject({
  alpha: z.number().optional(),
  lr: z.number().positive().optional(),
});

export interface GradNormState {
  /** The task weights w (Σ w = T). */
  w: number[];
  /** L_t(0): the losses of the first step (null before it). */
  L0: number[] | null;
}

/** GradNorm's weight update as a GradientMethod on G_t = ∇(w_t·L_t) (the terms below), explicit state. */
export function gradNormMethod(options: WeightingOptions): GradientMethod<GradNormState> {
  const T = options.taskNames.length;
  const alpha = numberOption(options, 'alpha', 1.5, 'gradnorm');
  const lr = numberOption(options, 'lr', 0.025, 'gradnorm');
  return {
    name: 'gradnorm',
    init: () => ({ w: new Array<number>(T).fill(1), L0: null }),
    update(view, state, ctx) {
      const G = view.rows();
      const losses = ctx.losses;
      if (G.length !== T || losses.length !== T) throw new Error(`gradnorm weighting: expected ${T} gradients and losses`);
      const P = G[0]!.length;
      const d = new Float32Array(P);
      for (const g of G) for (let j = 0; j < P; j++) d[j]! += g[j]!;
      const L0 = state.L0 ?? [...losses];
      const n = G.map(norm);
      const nMean = n.reduce((a, b) => a + b, 0) / T;
      const ratio = losses.map((l, t) => l / Math.max(L0[t]!, 1e-12));
      const rMean = ratio.reduce((a, b) => a + b, 0) / T || 1; // all losses 0: every r_t = 0
      const next = state.w.map((wt, t) => {
        const target = nMean * (ratio[t]! / rMean) ** alpha;
        const grad = Math.sign(n[t]! - target) * (n[t]! / wt);
        return Math.max(wt - lr * grad, 1e-4);
      });
      const sum = next.reduce((a, b) => a + b, 0);
      return { direction: { vector: d }, state: { w: next.map((x) => (x * T) / sum), L0 } };
    },
    reportedWeights: (state) => [...state.w],
    encode: (state) => ({ weights: [...state.w], initialLosses: state.L0 ? [...state.L0] : null }),
    decode(json) {
      const s = stateObject(json, 'gradnorm');
      return { w: numbersField(s, 'weights', T, 'gradnorm'), L0: s.initialLosses == null ? null : numbersField(s, 'initialLosses', T, 'gradnorm') };
    },
  };
}

/** GradNorm: the terms w_t·L_t read the method's weights; the update is gradNormMethod. */
export function gradNormWeighting(options: WeightingOptions): Weighting {
  const T = options.taskNames.length;
  const gradient = gradNormMethod(options);
  const termsOf = (losses: tf.Tensor[], state: unknown) => {
    const w = (state as GradNormState | undefined)?.w ?? new Array<number>(T).fill(1);
    return losses.map((l, i) => tf.mul(l, w[i]!));
  };
  return {
    name: 'gradnorm',
    gradient,
    terms: (losses, _ctx, state) => termsOf(losses, state),
    combine: (losses) => tf.tidy(() => tf.addN(termsOf(losses, undefined))),
    weights: () => new Array<number>(T).fill(1),
  };
}
