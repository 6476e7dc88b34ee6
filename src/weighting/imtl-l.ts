/**
 * IMTL-L — the loss-balance half of impartial multi-task learning (Liu et al., "Towards Impartial
 * Multi-task Learning", ICLR 2021).
 *
 * Each task has a learnable scale s_t (initialised to 0), trained with the model:
 *   L = Σ_t exp(s_t)·L_t − s_t
 * ∂L/∂s_t = exp(s_t)·L_t − 1 = 0 ⇒ s_t* = −log L_t, so the scaled losses exp(s_t)·L_t are driven to 1.
 * Reported weights: λ_t = exp(s_t).
 */
import { tf } from '../engine/tf.js';
import type { Weighting, WeightingOptions } from './types.js';
import { numbersField, stateObject } from './util.js';

export function imtlLossWeighting(options: WeightingOptions): Weighting {
  const T = options.taskNames.length;
  const s = tf.variable(tf.zeros([T]), true);
  return {
    name: 'imtl-l',
    combine: (losses) =>
      tf.tidy(() => {
        const L = tf.stack(losses.map((l) => tf.reshape(l, [])));
        return tf.sum(tf.sub(tf.mul(tf.exp(s), L), s));
      }),
    weights: () => Array.from(s.dataSync(), (v) => Math.exp(v)),
    variables: () => [s],
    state: () => ({ scale: Array.from(s.dataSync()) }),
    restore(state) {
      const scale = numbersField(stateObject(state, 'imtl-l'), 'scale', T, 'imtl-l');
      tf.tidy(() => s.assign(tf.tensor1d(scale)));
    },
  };
}
