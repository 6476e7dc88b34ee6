/**
 * SDMGrad — stochastic direction-oriented multi-objective gradient descent (Xiao, Ban & Ji,
 * "Direction-oriented Multi-objective Learning: Simple and Provable Stochastic Algorithms", NeurIPS
 * 2023; Algorithm 1), as in LibMTL (weighting/SDMGrad.py, from the authors' code).
 *
 * The direction is kept near the mean gradient ḡ = Gᵀ𝟙/T (the paper's target g₀) by a regularisation
 * λ: w ∈ Δ minimises ½‖Gᵀw + λḡ‖², whose gradient G(Gᵀw + λḡ) is estimated without bias from two
 * independent minibatches ξ, ξ' (T × P task gradients G_ξ, G_ξ' of the shared parameters), and the
 * update uses a third, ζ (the step's batch). With C = G_ξG_ξ'ᵀ (T×T), per step:
 *
 *   C ← C / (s² + 1e-8),   s = mean_t √max(C_tt, 0)          (LibMTL's scale-free normalisation)
 *   c = C𝟙/T                                                 (= G_ξ ḡ_ξ', scaled)
 *   S = `iterations` (20) steps of projected SGD with heavy-ball momentum (lr 5, momentum 0.5, the
 *   buffer reset every step, as LibMTL's fresh torch.optim.SGD — first b = g, then b ← μb + g):
 *     g = Cw + λc,   b ← μb + g,   w ← Π_Δ(w − lr·b)           (Π_Δ: simplex-projection.ts)
 *   d = (G_ζᵀw + λḡ_ζ)/(1 + λ) = G_ζᵀβ,   β = (w + λ/T)/(1 + λ)
 *
 * w starts at 1/T and is carried over (warm-started) from step to step. Options (LibMTL's defaults):
 * `lambda` λ ≥ 0 (0.3), `iterations` S (20), `lr` (5), `momentum` μ ∈ [0, 1) (0.5); the last two are
 * constants in LibMTL (the authors' code uses lr 10 and a +1e-4 inside the square root instead). The
 * method declares `samples: 3`: the trainer computes G on the step's batch (G_ζ, to which β applies on
 * the device) and on two more minibatches drawn by its seeded sampler (src/train/sampler.ts; G_ξ, G_ξ'
 * = ctx.samples), of which only C is read. The heads get the mean of their gradients over the three
 * samples (LibMTL leaves their sum, accumulated by backward(): under Adam the two differ only through
 * ε). State (checkpointed): w. The reported task weights are β (Σβ = 1), the weights d applies to G_ζ.
 */
import { z } from 'zod';
import { tf } from '../engine/tf.js';
import { crossGramian, type GradientMethod } from '../aggregators/method.js';
import { projectSimplex } from './simplex-projection.js';
import type { Weighting, WeightingOptions } from './types.js';
import { numberOption, numbersField, stateObject } from './util.js';

/** SDMGrad's options: `lambda` ≥ 0 (0.3), `iterations` ≥ 1 (20), `lr` > 0 (5), `momentum` ∈ [0, 1) (0.5). */
export const sdmgradOptions = z.strictObject({
  lambda: z.number().nonnegative().optional(),
  iterations: z.number().int().positive().optional(),
  lr: z.number().positive().optional(),
  momentum: z.number().nonnegative().lt(1).optional(),
});

export interface SdmgradState {
  /** w, on the simplex (warm start of the next step's inner loop). */
  w: number[];
}

export interface SdmgradSettings {
  lambda: number;
  iterations: number;
  lr: number;
  momentum: number;
}

/** The inner loop: w after `iterations` projected heavy-ball steps on the cross-Gramian C = G_ξG_ξ'ᵀ. */
export function sdmgradWeights(C: number[][], w0: readonly number[], s: SdmgradSettings): number[] {
  const T = w0.length;
  const diag = C.map((row, t) => Math.max(row[t]!, 0));
  const scale = diag.reduce((a, v) => a + Math.sqrt(v), 0) / T;
  const div = scale * scale + 1e-8;
  const Cs = C.map((row) => row.map((v) => v / div));
  const c = Cs.map((row) => row.reduce((a, v) => a + v, 0) / T);
  let w = [...w0];
  let buf: number[] | null = null;
  for (let k = 0; k < s.iterations; k++) {
    const g = Cs.map((row, i) => row.reduce((a, v, j) => a + v * w[j]!, 0) + s.lambda * c[i]!);
    const b: number[] = buf ? buf.map((v, i) => s.momentum * v + g[i]!) : g;
    buf = b;
    w = projectSimplex(w.map((v, i) => v - s.lr * b[i]!));
  }
  return w;
}

/** β with d = G_ζᵀβ = (G_ζᵀw + λḡ_ζ)/(1 + λ). */
export function sdmgradBeta(w: readonly number[], lambda: number): number[] {
  return w.map((v) => (v + lambda / w.length) / (1 + lambda));
}

/** SDMGrad's update as a GradientMethod with explicit state; needs three gradient samples per step. */
export function sdmgradMethod(options: WeightingOptions): GradientMethod<SdmgradState> {
  const T = options.taskNames.length;
  const settings: SdmgradSettings = {
    lambda: numberOption(options, 'lambda', 0.3, 'sdmgrad'),
    iterations: numberOption(options, 'iterations', 20, 'sdmgrad'),
    lr: numberOption(options, 'lr', 5, 'sdmgrad'),
    momentum: numberOption(options, 'momentum', 0.5, 'sdmgrad'),
  };
  return {
    name: 'sdmgrad',
    samples: 3,
    init: () => ({ w: new Array<number>(T).fill(1 / T) }),
    update(Gz, state, ctx) {
      const [Gx1, Gx2] = ctx.samples ?? [];
      if (Gz.T !== T || !Gx1 || !Gx2 || ctx.samples!.length !== 2) {
        throw new Error(`sdmgrad weighting: expected the ${T} task gradients of the step's batch and of 2 more independent minibatches (ctx.samples), got ${ctx.samples?.length ?? 0} more`);
      }
      const w = sdmgradWeights(crossGramian(Gx1, Gx2), state.w, settings);
      return { direction: { weights: sdmgradBeta(w, settings.lambda) }, state: { w } };
    },
    reportedWeights: (state) => sdmgradBeta(state.w, settings.lambda),
    encode: (state) => ({ w: [...state.w] }),
    decode: (json) => ({ w: numbersField(stateObject(json, 'sdmgrad'), 'w', T, 'sdmgrad') }),
  };
}

/** SDMGrad: the terms are the raw losses L_t; the update is sdmgradMethod. */
export function sdmgradWeighting(options: WeightingOptions): Weighting {
  const T = options.taskNames.length;
  return {
    name: 'sdmgrad',
    gradient: sdmgradMethod(options),
    terms: (losses) => losses.map((l) => tf.mul(l, 1)),
    combine: (losses) => tf.tidy(() => tf.addN(losses)),
    weights: () => new Array<number>(T).fill(1 / T),
  };
}
