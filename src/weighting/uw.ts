/**
 * UW — uncertainty weighting (Kendall, Gal & Cipolla, "Multi-Task Learning Using Uncertainty to Weigh
 * Losses for Scene Geometry and Semantics", CVPR 2018).
 *
 * Each task has a learnable log-variance s_t = log σ_t² (initialised to 0), trained with the model:
 *   L = Σ_t ½·exp(−s_t)·L_t + ½·s_t        (= Σ_t L_t/(2σ_t²) + log σ_t, the LibMTL form)
 * For fixed L_t the objective is minimised at s_t = log L_t. Reported weights: λ_t = ½·exp(−s_t).
 */
import { tf } from '../engine/tf.js';
import type { Weighting, WeightingOptions } from './types.js';
import { numbersField, stateObject } from './util.js';

export function uncertaintyWeighting(options: WeightingOptions): Weighting {
  const T = options.taskNames.length;
  // tf.variable keeps its initial value's data but not the tensor: the zeros are disposed here.
  const s = tf.tidy(() => tf.variable(tf.zeros([T]), true));
  return {
    name: 'uw',
    combine: (losses) =>
      tf.tidy(() => {
        const L = tf.stack(losses.map((l) => tf.reshape(l, [])));
        return tf.sum(tf.add(tf.mul(tf.mul(0.5, tf.exp(tf.neg(s))), L), tf.mul(0.5, s)));
      }),
    weights: () => Array.from(s.dataSync(), (v) => 0.5 * Math.exp(-v)),
    variables: () => [s],
    state: () => ({ logVar: Array.from(s.dataSync()) }),
    restore(state) {
      const logVar = numbersField(stateObject(state, 'uw'), 'logVar', T, 'uw');
      tf.tidy(() => s.assign(tf.tensor1d(logVar)));
    },
  };
}
