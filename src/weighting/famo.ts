/**
 * FAMO — fast adaptive multitask optimisation (Liu et al., "FAMO: Fast Adaptive Multitask
 * Optimization", NeurIPS 2023), O(1) per step: no per-task gradients.
 *
 * Logits ξ (init 0), z = softmax(ξ), D_t = L_t − m_t + ε (m_t a lower bound of L_t, option `minLosses`,
 * default 0; ε = 1e-8), c = (Σ_i z_i/D_i)^{-1} held constant:
 *   L = Σ_t c·z_t·log D_t   ⇒   ∇L = Σ_t (c·z_t/D_t)·∇L_t   (effective weights, Σ = 1, reported)
 * After the optimizer step, with the losses before/after on the same batch:
 *   δ_t = log D_t(before) − log D_t(after),   g = Jᵀδ,   J = ∂z/∂ξ = diag(z) − z·zᵀ
 *   ξ ← Adam step on g + γ·ξ   (L2 weight decay as torch.optim.Adam, like the reference code)
 * Options: `lr` (0.025), `gamma` (0.001); Adam β1 = 0.9, β2 = 0.999, eps = 1e-8.
 */
import { z } from 'zod';
import { tf } from '../engine/tf.js';
import type { Weighting, WeightingOptions } from './types.js';
import { lossValues, numberOption, numbersField, perTaskOption, stateObject } from './util.js';

const EPS = 1e-8;

export function softmax(x: number[]): number[] {
  const m = Math.max(...x);
  const e = x.map((v) => Math.exp(v - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
}

export type FamoWeighting = Weighting & { /** z = softmax(ξ), the current task distribution. */ distribution(): number[] };

/** FAMO's options: `lr` > 0 (0.025), `gamma` ≥ 0 (0.001), `minLosses` (a lower bound of every loss, or one per task; 0). */
export const famoOptions = z.strictObject({
  lr: z.number().positive().optional(),
  gamma: z.number().nonnegative().optional(),
  minLosses: z.union([z.number(), z.array(z.number())]).optional(),
});

export function famoWeighting(options: WeightingOptions): FamoWeighting {
  const T = options.taskNames.length;
  const lr = numberOption(options, 'lr', 0.025, 'famo');
  const gamma = numberOption(options, 'gamma', 0.001, 'famo');
  const minL = perTaskOption(options, 'minLosses', T, 0, 'famo');
  const [b1, b2, adamEps] = [0.9, 0.999, 1e-8];
  let xi = new Array<number>(T).fill(0);
  let m = new Array<number>(T).fill(0);
  let v = new Array<number>(T).fill(0);
  let t = 0;
  let lambda = new Array<number>(T).fill(1 / T);
  const D = (L: number[]) => L.map((l, i) => l - minL[i]! + EPS);

  const terms = (losses: tf.Tensor[]) => {
    const z = softmax(xi);
    const d = D(lossValues(losses));
    const c = 1 / z.reduce((a, zi, i) => a + zi / d[i]!, 0);
    lambda = z.map((zi, i) => (c * zi) / d[i]!);
    return losses.map((l, i) => tf.mul(c * z[i]!, tf.log(tf.add(tf.sub(l, minL[i]!), EPS))));
  };

  return {
    name: 'famo',
    terms,
    combine: (losses) => tf.tidy(() => tf.addN(terms(losses))),
    weights: () => [...lambda],
    afterStep(before, after) {
      const [d0, d1] = [D(before), D(after())];
      const delta = d0.map((x, i) => Math.log(x) - Math.log(d1[i]!));
      const z = softmax(xi);
      const zd = z.reduce((a, zi, i) => a + zi * delta[i]!, 0);
      // Jᵀδ with J symmetric: g_i = z_i·(δ_i − Σ_j z_j δ_j); plus weight decay.
      const g = z.map((zi, i) => zi * (delta[i]! - zd) + gamma * xi[i]!);
      t++;
      m = m.map((mi, i) => b1 * mi + (1 - b1) * g[i]!);
      v = v.map((vi, i) => b2 * vi + (1 - b2) * g[i]! ** 2);
      xi = xi.map((x, i) => x - (lr * (m[i]! / (1 - b1 ** t))) / (Math.sqrt(v[i]! / (1 - b2 ** t)) + adamEps));
    },
    state: () => ({ logits: [...xi], adam: { m: [...m], v: [...v], t }, weights: [...lambda] }),
    restore(state) {
      const s = stateObject(state, 'famo');
      const adam = stateObject(s.adam, 'famo');
      if (typeof adam.t !== 'number') throw new Error('famo weighting: checkpoint state "adam.t" must be a number');
      xi = numbersField(s, 'logits', T, 'famo');
      m = numbersField(adam, 'm', T, 'famo');
      v = numbersField(adam, 'v', T, 'famo');
      t = adam.t;
      lambda = numbersField(s, 'weights', T, 'famo');
    },
    distribution: () => softmax(xi),
  };
}
