/**
 * STCH — smooth Tchebycheff scalarisation (Lin et al., "Smooth Tchebycheff Scalarization for
 * Multi-Objective Optimization", ICML 2024), as in the authors' MTL code and LibMTL. Loss-space.
 *
 * The Tchebycheff scalarisation max_t λ_t(f_t − z*_t) smoothed with temperature μ (paper, eq. 8):
 *   g_μ(θ) = μ·log Σ_t exp(λ_t·(f_t(θ) − z*_t)/μ)
 * with λ_t = 1, f_t = log L_t and the reference point from a warm-up (z*_t = log z_t):
 *   epochs e < W:   objective Σ_t log(L_t + 1e-20)                       (weights on log L_t: 1)
 *   epoch  e = W:   the same, and z_t accumulates the mean of L_t over the epoch's applied steps
 *   epochs e > W:   ℓ_t = log(L_t/z_t + 1e-20),   objective T·μ·log Σ_t exp(ℓ_t/μ)
 *                   ∂/∂ℓ_t = T·s_t,  s = softmax(ℓ/μ)          (reported weights T·s, Σ = T)
 * so the warm-up runs W + 1 epochs (epochs counted from 0, as in LibMTL). The per-task terms after the
 * warm-up are T·s_t·ℓ_t with s held constant (same gradients as the objective). As μ → ∞ the weights
 * tend to 1 (the warm-up's Σ log L_t); as μ → 0 they go to T on the worst normalised task (Tchebycheff).
 * If no step of epoch W was applied, z is the first losses after it.
 * Options: `mu` μ > 0 (1.0), `warmupEpochs` W ≥ 0 (4) — LibMTL's STCH_mu, STCH_warmup_epoch.
 * State (checkpointed): the running sum and count of the warm-up losses, and z once fixed.
 */
import { z } from 'zod';
import { tf } from '../engine/tf.js';
import type { Weighting, WeightingContext, WeightingOptions } from './types.js';
import { lossValues, numberOption, numbersField, stateObject } from './util.js';

const EPS = 1e-20;

/** STCH's options: `mu` > 0 (default 1), `warmupEpochs` an integer ≥ 0 (default 4). */
export const stchOptions = z.strictObject({
  mu: z.number().positive().optional(),
  warmupEpochs: z.number().int().nonnegative().optional(),
});

export function stchWeighting(options: WeightingOptions): Weighting {
  const T = options.taskNames.length;
  const mu = numberOption(options, 'mu', 1, 'stch');
  const W = numberOption(options, 'warmupEpochs', 4, 'stch');
  if (!(mu > 0)) throw new Error('stch weighting: mu must be > 0');
  let sum = new Array<number>(T).fill(0);
  let count = 0;
  let nadir: number[] | null = null;
  let lambda = new Array<number>(T).fill(1);

  /** z, fixed at the first call after the warm-up. */
  const reference = (losses: tf.Tensor[]): number[] => {
    if (!nadir) nadir = count > 0 ? sum.map((s) => s / count) : lossValues(losses);
    return nadir;
  };
  /** ℓ_t = log(L_t/z_t + ε) as tensors. */
  const normalised = (losses: tf.Tensor[], ref: number[]) => losses.map((l, i) => tf.log(tf.add(tf.div(l, ref[i]!), EPS)));
  const smoothMaxWeights = (ell: number[]): number[] => {
    const m = Math.max(...ell);
    const e = ell.map((x) => Math.exp((x - m) / mu));
    const s = e.reduce((a, b) => a + b, 0);
    return e.map((x) => (T * x) / s);
  };

  const terms = (losses: tf.Tensor[], ctx: WeightingContext): tf.Tensor[] => {
    if (ctx.epoch <= W) {
      lambda = new Array<number>(T).fill(1);
      return losses.map((l) => tf.log(tf.add(l, EPS)));
    }
    const ell = normalised(losses, reference(losses));
    lambda = smoothMaxWeights(lossValues(ell));
    return ell.map((x, i) => tf.mul(x, lambda[i]!));
  };

  return {
    name: 'stch',
    terms,
    combine(losses, ctx) {
      return tf.tidy(() => {
        if (ctx.epoch <= W) return tf.addN(terms(losses, ctx));
        const ell = normalised(losses, reference(losses));
        lambda = smoothMaxWeights(lossValues(ell));
        return tf.mul(T * mu, tf.logSumExp(tf.div(tf.stack(ell.map((x) => tf.reshape(x, []))), mu)));
      });
    },
    weights: () => [...lambda],
    afterStep(before, _after, ctx) {
      if (ctx.epoch !== W) return;
      sum = sum.map((s, i) => s + before[i]!);
      count++;
    },
    state: () => ({ warmupSum: [...sum], warmupCount: count, nadir: nadir ? [...nadir] : null, weights: [...lambda] }),
    restore(state) {
      const s = stateObject(state, 'stch');
      if (typeof s.warmupCount !== 'number') throw new Error('stch weighting: checkpoint state "warmupCount" must be a number');
      sum = numbersField(s, 'warmupSum', T, 'stch');
      count = s.warmupCount;
      nadir = s.nadir == null ? null : numbersField(s, 'nadir', T, 'stch');
      lambda = numbersField(s, 'weights', T, 'stch');
    },
  };
}
