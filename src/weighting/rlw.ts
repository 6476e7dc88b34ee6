/**
 * RLW — random loss weighting (Lin et al., "Reasonable Effectiveness of Random Weighting: A Litmus Test
 * for Multi-Task Learning", TMLR 2022).
 *
 * Every step draws ε ~ N(0, I_T) and sets λ = softmax(ε):  L = Σ_t λ_t·L_t  (Σ_t λ_t = 1).
 * The draw is a pure function of (options.seed, ctx.step): a mulberry32 stream seeded by a hash of
 * both, turned into normals by Box–Muller, so a resumed run draws the same weights at the same step.
 * Reported weights: the last step's λ (1/T each before the first step).
 */
import { mulberry32 } from '../data/split.js';
import { tf } from '../engine/tf.js';
import type { Weighting, WeightingOptions } from './types.js';
import { numbersField, stateObject } from './util.js';

/** A 32-bit hash of (seed, step): murmur3's finaliser over a golden-ratio mix of the two. */
function mix(seed: number, step: number): number {
  let h = (Math.imul(seed >>> 0, 0x9e3779b1) ^ Math.imul((step + 1) >>> 0, 0x85ebca6b)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** λ = softmax(ε), ε ~ N(0, I_T) drawn deterministically from (seed, step). */
export function rlwWeights(T: number, seed: number, step: number): number[] {
  const rand = mulberry32(mix(seed, step));
  const eps: number[] = [];
  while (eps.length < T) {
    const u1 = 1 - rand(); // (0, 1]: log is finite
    const u2 = rand();
    const r = Math.sqrt(-2 * Math.log(u1));
    eps.push(r * Math.cos(2 * Math.PI * u2), r * Math.sin(2 * Math.PI * u2));
  }
  const e = eps.slice(0, T);
  const m = Math.max(...e);
  const ex = e.map((x) => Math.exp(x - m));
  const z = ex.reduce((a, b) => a + b, 0);
  return ex.map((x) => x / z);
}

export function randomWeighting(options: WeightingOptions): Weighting {
  const T = options.taskNames.length;
  const seed = options.seed ?? 0;
  let lambda = new Array<number>(T).fill(1 / T);
  return {
    name: 'rlw',
    combine(losses, ctx) {
      lambda = rlwWeights(T, seed, ctx.step);
      return tf.tidy(() => tf.addN(losses.map((l, i) => tf.mul(l, lambda[i]!))));
    },
    weights: () => [...lambda],
    state: () => ({ weights: [...lambda] }),
    restore(state) {
      lambda = numbersField(stateObject(state, 'rlw'), 'weights', T, 'rlw');
    },
  };
}
