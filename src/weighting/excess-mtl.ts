/**
 * ExcessMTL — robust MTL with excess risks (He et al., "Robust Multi-Task Learning with Excess Risks",
 * ICML 2024), as in the authors' LibMTL code. Gradient-space: the trainer passes G_t = ∇(λ_t·L_t) over
 * the shared parameters, λ_t the weights of the state (so task-specific layers get λ_t·∇L_t); the method
 * recovers g_t = G_t/λ_t.
 *
 * Excess risk of task t, estimated by a diagonal (AdaGrad) second-order approximation:
 *   S_t ← S_t + g_t ⊙ g_t                 (S_t initialised to 0)
 *   e_t = g_tᵀ diag(1/√(S_t + 1e-7)) g_t
 * The first step only records e_t⁽⁰⁾ (λ unchanged). After it, exponentiated (mirror) ascent:
 *   λ_t ← λ_t·exp(η·e_t/e_t⁽⁰⁾),   λ ← T·λ/Σλ      (λ initialised to 1, Σλ = T)
 * and the shared direction is d = Σ_t λ_t·g_t with the updated λ. (e_t⁽⁰⁾ = 0, a task with no gradient
 * on its first step, is read as 1e-12.) Option: `stepSize` η (0.01) — LibMTL's robust_step_size.
 * State (checkpointed): λ, S (T buffers of P floats), e⁽⁰⁾.
 */
import { z } from 'zod';
import { tf } from '../engine/tf.js';
import type { GradientMethod } from '../aggregators/method.js';
import type { Weighting, WeightingOptions } from './types.js';
import { decodeF32, encodeF32, numberOption, numbersField, stateObject } from './util.js';

/** ExcessMTL's options: `stepSize` η > 0 (default 0.01). */
export const excessMtlOptions = z.strictObject({
  stepSize: z.number().positive().optional(),
});

export interface ExcessMtlState {
  /** The task weights λ (Σ = T). */
  w: number[];
  /** S_t, the running sums of squared gradients (null before the first step). */
  sq: Float32Array[] | null;
  /** e⁽⁰⁾, the excess risks of the first step (null before it). */
  e0: number[] | null;
}

/** ExcessMTL's weight update as a GradientMethod on G_t = ∇(λ_t·L_t), explicit state. */
export function excessMtlMethod(options: WeightingOptions): GradientMethod<ExcessMtlState> {
  const T = options.taskNames.length;
  const eta = numberOption(options, 'stepSize', 0.01, 'excess-mtl');
  return {
    name: 'excess-mtl',
    init: () => ({ w: new Array<number>(T).fill(1), sq: null, e0: null }),
    update(view, state) {
      const G = view.rows();
      if (G.length !== T) throw new Error(`excess-mtl weighting: expected ${T} gradients, got ${G.length}`);
      const P = G[0]!.length;
      const g = G.map((row, t) => {
        const inv = 1 / state.w[t]!;
        return row.map((x) => x * inv);
      });
      const sq = state.sq && state.sq[0]!.length === P ? state.sq.map((s) => Float32Array.from(s)) : G.map(() => new Float32Array(P));
      const e = g.map((gt, t) => {
        const s = sq[t]!;
        let acc = 0;
        for (let j = 0; j < P; j++) {
          s[j]! += gt[j]! * gt[j]!;
          acc += (gt[j]! * gt[j]!) / Math.sqrt(s[j]! + 1e-7);
        }
        return acc;
      });
      let w = state.w;
      let e0 = state.e0;
      if (!e0) e0 = e;
      else {
        const next = w.map((wt, t) => wt * Math.exp((eta * e[t]!) / Math.max(e0![t]!, 1e-12)));
        const total = next.reduce((a, b) => a + b, 0);
        w = next.map((x) => (x * T) / total);
      }
      const d = new Float32Array(P);
      g.forEach((gt, t) => {
        const a = w[t]!;
        for (let j = 0; j < P; j++) d[j]! += a * gt[j]!;
      });
      return { direction: { vector: d }, state: { w: [...w], sq, e0: [...e0] } };
    },
    reportedWeights: (state) => [...state.w],
    encode: (state) => ({
      weights: [...state.w],
      squaredSums: state.sq ? state.sq.map(encodeF32) : null,
      initialExcess: state.e0 ? [...state.e0] : null,
    }),
    decode(json) {
      const s = stateObject(json, 'excess-mtl');
      let sq: Float32Array[] | null;
      if (s.squaredSums == null) sq = null;
      else if (Array.isArray(s.squaredSums) && s.squaredSums.length === T && s.squaredSums.every((x) => typeof x === 'string')) sq = s.squaredSums.map(decodeF32);
      else throw new Error(`excess-mtl weighting: checkpoint state "squaredSums" must be ${T} base64 strings`);
      return {
        w: numbersField(s, 'weights', T, 'excess-mtl'),
        sq,
        e0: s.initialExcess == null ? null : numbersField(s, 'initialExcess', T, 'excess-mtl'),
      };
    },
  };
}

/** ExcessMTL: the terms λ_t·L_t read the method's weights; the update is excessMtlMethod. */
export function excessMtlWeighting(options: WeightingOptions): Weighting {
  const T = options.taskNames.length;
  const termsOf = (losses: tf.Tensor[], state: unknown) => {
    const w = (state as ExcessMtlState | undefined)?.w ?? new Array<number>(T).fill(1);
    return losses.map((l, i) => tf.mul(l, w[i]!));
  };
  return {
    name: 'excess-mtl',
    gradient: excessMtlMethod(options),
    terms: (losses, _ctx, state) => termsOf(losses, state),
    combine: (losses) => tf.tidy(() => tf.addN(termsOf(losses, undefined))),
    weights: () => new Array<number>(T).fill(1),
  };
}
