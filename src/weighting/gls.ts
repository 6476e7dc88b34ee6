/**
 * GLS — geometric loss strategy (Chennupati et al., "MultiNet++: Multi-Stream Feature Aggregation and
 * Geometric Loss Strategy for Multi-Task Learning", CVPR Workshops 2019).
 *
 *   L = (Π_t L_t)^{1/T}, computed stably as exp(mean_t log L_t).
 * Its gradient is Σ_t (L/(T·L_t))·∇L_t, so the effective weights reported are λ_t = L/(T·L_t) of the
 * last step (1/T each before the first step).
 */
import { tf } from '../engine/tf.js';
import type { Weighting, WeightingOptions } from './types.js';
import { lossValues, numbersField, stateObject } from './util.js';

export function geometricWeighting(options: WeightingOptions): Weighting {
  const T = options.taskNames.length;
  let lambda = new Array<number>(T).fill(1 / T);
  return {
    name: 'gls',
    combine(losses) {
      const v = lossValues(losses);
      const obj = Math.exp(v.reduce((a, x) => a + Math.log(x), 0) / T);
      lambda = v.map((x) => obj / (T * x));
      return tf.tidy(() => tf.exp(tf.mean(tf.log(tf.stack(losses.map((l) => tf.reshape(l, [])))))));
    },
    weights: () => [...lambda],
    state: () => ({ weights: [...lambda] }),
    restore(state) {
      lambda = numbersField(stateObject(state, 'gls'), 'weights', T, 'gls');
    },
  };
}
