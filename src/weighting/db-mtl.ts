/**
 * DB-MTL — dual-balancing multi-task learning (Lin et al., "Dual-Balancing for Multi-Task Learning",
 * 2023, arXiv:2308.12029). Gradient-space.
 *
 * Loss-scale balancing: each task's term is log(L_t + 1e-8), so G_t = ∇θ log L_t.
 * Gradient-magnitude balancing (Algorithm 1), at step k = 1, 2, …:
 *   ĝ_t ← β_k·ĝ_t + (1 − β_k)·G_t,   β_k = β / k^σ,   ĝ_t initialised to 0 (no bias correction)
 *   d = Σ_t (max_i ‖ĝ_i‖ / (‖ĝ_t‖ + 1e-8))·ĝ_t
 * as in the paper's algorithm and the authors' LibMTL code (buffer starts at zero, so the first steps
 * are shrunk by (1 − β)). Options: `beta` (0.9), `betaSigma` (σ, 0 = constant β).
 * Reported weights: max_i ‖ĝ_i‖/‖ĝ_t‖ of the last step (1 before the first).
 */
import { z } from 'zod';
import { tf } from '../engine/tf.js';
import type { GradientMethod } from '../aggregators/method.js';
import type { Weighting, WeightingOptions } from './types.js';
import { decodeF32, encodeF32, norm, numberOption, numbersField, stateObject } from './util.js';

/** DB-MTL's options: `beta` ∈ [0, 1) (default 0.9), `betaSigma` σ ≥ 0 (default 0). */
export const dbMtlOptions = z.strictObject({
  beta: z.number().min(0).lt(1).optional(),
  betaSigma: z.number().nonnegative().optional(),
});

export interface DbMtlState {
  step: number;
  /** ĝ_t, the EMA of each task's gradient (null before the first step). */
  buf: Float32Array[] | null;
  /** max_i ‖ĝ_i‖ / ‖ĝ_t‖ of the last step. */
  alpha: number[];
}

/** DB-MTL's gradient balancing as a GradientMethod on G_t = ∇ log L_t, explicit state. */
export function dbMtlMethod(options: WeightingOptions): GradientMethod<DbMtlState> {
  const T = options.taskNames.length;
  const beta = numberOption(options, 'beta', 0.9, 'db-mtl');
  const sigma = numberOption(options, 'betaSigma', 0, 'db-mtl');
  if (beta < 0 || beta >= 1) throw new Error('db-mtl weighting: beta must be in [0, 1)');
  return {
    name: 'db-mtl',
    init: () => ({ step: 0, buf: null, alpha: new Array<number>(T).fill(1) }),
    update(view, state) {
      const G = view.rows();
      if (G.length !== T) throw new Error(`db-mtl weighting: expected ${T} gradients, got ${G.length}`);
      const P = G[0]!.length;
      const buf = state.buf && state.buf[0]!.length === P ? state.buf.map((h) => Float32Array.from(h)) : G.map(() => new Float32Array(P));
      const step = state.step + 1;
      const b = beta / step ** sigma;
      G.forEach((g, t) => {
        const h = buf[t]!;
        for (let j = 0; j < P; j++) h[j] = b * h[j]! + (1 - b) * g[j]!;
      });
      const u = buf.map(norm);
      const uMax = Math.max(...u);
      const alpha = u.map((x) => uMax / (x + 1e-8));
      const d = new Float32Array(P);
      buf.forEach((h, t) => {
        const a = alpha[t]!;
        for (let j = 0; j < P; j++) d[j]! += a * h[j]!;
      });
      return { direction: { vector: d }, state: { step, buf, alpha } };
    },
    reportedWeights: (state) => [...state.alpha],
    encode: (state) => ({ step: state.step, weights: [...state.alpha], buffers: state.buf ? state.buf.map(encodeF32) : null }),
    decode(json) {
      const s = stateObject(json, 'db-mtl');
      if (typeof s.step !== 'number') throw new Error('db-mtl weighting: checkpoint state "step" must be a number');
      let buf: Float32Array[] | null;
      if (s.buffers == null) buf = null;
      else if (Array.isArray(s.buffers) && s.buffers.length === T && s.buffers.every((x) => typeof x === 'string')) buf = s.buffers.map(decodeF32);
      else throw new Error(`db-mtl weighting: checkpoint state "buffers" must be ${T} base64 strings`);
      return { step: s.step, buf, alpha: numbersField(s, 'weights', T, 'db-mtl') };
    },
  };
}

/** DB-MTL: the terms are log(L_t + 1e-8) (loss-scale balancing); the update is dbMtlMethod. */
export function dbMtlWeighting(options: WeightingOptions): Weighting {
  const T = options.taskNames.length;
  const terms = (losses: tf.Tensor[]) => losses.map((l) => tf.log(tf.add(l, 1e-8)));
  return {
    name: 'db-mtl',
    gradient: dbMtlMethod(options),
    terms,
    combine: (losses) => tf.tidy(() => tf.addN(terms(losses))),
    weights: () => new Array<number>(T).fill(1),
  };
}
