/**
 * DWA — dynamic weight average (Liu, Johns & Davison, "End-to-End Multi-Task Learning with Attention",
 * CVPR 2019).
 *
 *   λ_t(e) = T·exp(r_t(e−1)/τ) / Σ_i exp(r_i(e−1)/τ),   r_t(e−1) = L_t(e−1) / L_t(e−2)
 * where L_t(e) is the mean training loss of task t in epoch e and τ the temperature (option
 * `temperature`, default 2). λ_t = 1 for the first two epochs. Objective: L = Σ_t λ_t·L_t.
 * `endEpoch` receives epoch e's mean losses and sets the weights used in epoch e+1.
 */
import { z } from 'zod';
import { tf } from '../engine/tf.js';
import type { Weighting, WeightingOptions } from './types.js';
import { numberOption, numbersField, numbersOf, stateObject } from './util.js';

export function dwaWeights(prev2: number[], prev1: number[], temperature: number): number[] {
  const T = prev1.length;
  const r = prev1.map((l, t) => l / prev2[t]!);
  const m = Math.max(...r.map((x) => x / temperature));
  const e = r.map((x) => Math.exp(x / temperature - m)); // shifted for stability; the ratio is unchanged
  const z = e.reduce((a, b) => a + b, 0);
  return e.map((x) => (T * x) / z);
}

/** DWA's options: `temperature` τ > 0 (default 2). */
export const dwaOptions = z.strictObject({ temperature: z.number().positive().optional() });

export function dwaWeighting(options: WeightingOptions): Weighting {
  const T = options.taskNames.length;
  const temperature = numberOption(options, 'temperature', 2, 'dwa');
  if (temperature <= 0) throw new Error('dwa weighting: temperature must be > 0');
  let history: number[][] = []; // the last two epochs' mean losses, oldest first
  let lambda = new Array<number>(T).fill(1);
  return {
    name: 'dwa',
    combine: (losses) => tf.tidy(() => tf.addN(losses.map((l, i) => tf.mul(l, lambda[i]!)))),
    weights: () => [...lambda],
    endEpoch(meanLosses) {
      if (meanLosses.length !== T) throw new Error(`dwa weighting: ${meanLosses.length} losses for ${T} tasks`);
      history = [...history, [...meanLosses]].slice(-2);
      if (history.length === 2) lambda = dwaWeights(history[0]!, history[1]!, temperature);
    },
    state: () => ({ history: history.map((h) => [...h]), weights: [...lambda] }),
    restore(state) {
      const s = stateObject(state, 'dwa');
      const h = s.history;
      if (!Array.isArray(h) || h.length > 2) throw new Error('dwa weighting: checkpoint state "history" must hold at most 2 epochs');
      history = h.map((e, i) => numbersOf(e, T, `"history[${i}]"`, 'dwa'));
      lambda = numbersField(s, 'weights', T, 'dwa');
    },
  };
}
