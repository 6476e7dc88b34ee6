/**
 * MoCo — multi-objective gradient correction (Fernando et al., "Mitigating Gradient Bias in
 * Multi-objective Learning: A Provably Convergent Approach", ICLR 2023), as in LibMTL (the authors'
 * code). Gradient-space: the trainer passes G_t = ∇L_t over the shared parameters; task-specific layers
 * get ∇L_t.
 *
 * At step k = 1, 2, …, with the gradients normalised to the loss scale as in the authors' MTL code,
 *   ĝ_t = g_t/(‖g_t‖ + 1e-8)·L_t
 *   y_t ← y_t − β_k·(y_t − ĝ_t)                     β_k = β/k^σβ      (tracking, y initialised to 0)
 *   λ  ← softmax(λ − γ_k·(YYᵀ + ρI)·λ)              γ_k = γ/k^σγ      (λ initialised to 1/T)
 *   d  = Yᵀλ
 * (the paper's projection of λ onto the simplex is replaced by a softmax, as in the reference code).
 * Options (LibMTL's defaults): `beta` (0.5), `betaSigma` (0.5), `gamma` (0.1), `gammaSigma` (0.5),
 * `rho` (0). State (checkpointed): k, Y (T buffers of P floats), λ.
 */
import { z } from 'zod';
import { tf } from '../engine/tf.js';
import type { GradientMethod } from '../aggregators/method.js';
import type { Weighting, WeightingOptions } from './types.js';
import { decodeF32, encodeF32, norm, numberOption, numbersField, stateObject } from './util.js';

/** MoCo's options: `beta` ∈ (0, 1] (0.5), `betaSigma` ≥ 0 (0.5), `gamma` > 0 (0.1), `gammaSigma` ≥ 0 (0.5), `rho` ≥ 0 (0). */
export const mocoOptions = z.strictObject({
  beta: z.number().positive().max(1).optional(),
  betaSigma: z.number().nonnegative().optional(),
  gamma: z.number().positive().optional(),
  gammaSigma: z.number().nonnegative().optional(),
  rho: z.number().nonnegative().optional(),
});

export interface MocoState {
  step: number;
  /** y_t, the tracked (normalised) gradients (null before the first step). */
  y: Float32Array[] | null;
  /** λ, on the simplex. */
  lambda: number[];
}

function softmax(x: number[]): number[] {
  const m = Math.max(...x);
  const e = x.map((v) => Math.exp(v - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
}

/** MoCo's update as a GradientMethod on G_t = ∇L_t, explicit state. */
export function mocoMethod(options: WeightingOptions): GradientMethod<MocoState> {
  const T = options.taskNames.length;
  const beta = numberOption(options, 'beta', 0.5, 'moco');
  const betaSigma = numberOption(options, 'betaSigma', 0.5, 'moco');
  const gamma = numberOption(options, 'gamma', 0.1, 'moco');
  const gammaSigma = numberOption(options, 'gammaSigma', 0.5, 'moco');
  const rho = numberOption(options, 'rho', 0, 'moco');
  return {
    name: 'moco',
    init: () => ({ step: 0, y: null, lambda: new Array<number>(T).fill(1 / T) }),
    update(view, state, ctx) {
      const G = view.rows();
      if (G.length !== T || ctx.losses.length !== T) throw new Error(`moco weighting: expected ${T} gradients and losses`);
      const P = G[0]!.length;
      const step = state.step + 1;
      const bk = beta / step ** betaSigma;
      const gk = gamma / step ** gammaSigma;
      const y = state.y && state.y[0]!.length === P ? state.y.map((h) => Float32Array.from(h)) : G.map(() => new Float32Array(P));
      G.forEach((g, t) => {
        const scale = ctx.losses[t]! / (norm(g) + 1e-8);
        const h = y[t]!;
        for (let j = 0; j < P; j++) h[j] = h[j]! - bk * (h[j]! - g[j]! * scale);
      });
      // (YYᵀ + ρI)λ
      const M = y.map((a) => y.map((b) => {
        let s = 0;
        for (let j = 0; j < P; j++) s += a[j]! * b[j]!;
        return s;
      }));
      const lam = state.lambda;
      const Ml = M.map((row, i) => row.reduce((s, m, j) => s + m * lam[j]!, 0) + rho * lam[i]!);
      const lambda = softmax(lam.map((l, i) => l - gk * Ml[i]!));
      const d = new Float32Array(P);
      y.forEach((h, t) => {
        const a = lambda[t]!;
        for (let j = 0; j < P; j++) d[j]! += a * h[j]!;
      });
      return { direction: { vector: d }, state: { step, y, lambda } };
    },
    reportedWeights: (state) => [...state.lambda],
    encode: (state) => ({ step: state.step, weights: [...state.lambda], tracking: state.y ? state.y.map(encodeF32) : null }),
    decode(json) {
      const s = stateObject(json, 'moco');
      if (typeof s.step !== 'number') throw new Error('moco weighting: checkpoint state "step" must be a number');
      let y: Float32Array[] | null;
      if (s.tracking == null) y = null;
      else if (Array.isArray(s.tracking) && s.tracking.length === T && s.tracking.every((x) => typeof x === 'string')) y = s.tracking.map(decodeF32);
      else throw new Error(`moco weighting: checkpoint state "tracking" must be ${T} base64 strings`);
      return { step: s.step, y, lambda: numbersField(s, 'weights', T, 'moco') };
    },
  };
}

/** MoCo: the terms are the raw losses L_t; the update is mocoMethod. */
export function mocoWeighting(options: WeightingOptions): Weighting {
  const T = options.taskNames.length;
  return {
    name: 'moco',
    gradient: mocoMethod(options),
    terms: (losses) => losses.map((l) => tf.mul(l, 1)),
    combine: (losses) => tf.tidy(() => tf.addN(losses)),
    weights: () => new Array<number>(T).fill(1 / T),
  };
}
