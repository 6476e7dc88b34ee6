/**
 * Optimizers by name, and their state for checkpoints. SGD and momentum are tfjs's own; Adam is
 * mtljs's FusedAdamOptimizer (src/engine/native/adam.ts): a tf.AdamOptimizer that takes the native
 * fused update on the wasm backend when the native kernels are loaded, and is tfjs's own Adam
 * otherwise, with the same numbers either way. It is created here, for the trainer only: tfjs's classes
 * are not patched, so an Adam the user creates with tf.train.adam stays stock tfjs.
 */
import { FusedAdamOptimizer } from '../engine/native/adam.js';
import { tf } from '../engine/tf.js';
import { adamBetaPowers } from '../engine/tfjs-internals.js';

export interface OptimizerConfig {
  name: 'adam' | 'sgd' | 'momentum';
  lr: number;
  momentum?: number;
}

export function createOptimizer(config: OptimizerConfig): tf.Optimizer {
  switch (config.name) {
    case 'adam':
      // tf.train.adam's defaults (β₁ 0.9, β₂ 0.999, ε the backend's epsilon).
      return new FusedAdamOptimizer(config.lr);
    case 'sgd':
      return tf.train.sgd(config.lr);
    case 'momentum':
      return tf.train.momentum(config.lr, config.momentum ?? 0.9);
    default:
      throw new Error(`unknown optimizer "${(config as { name: string }).name}"`);
  }
}

/**
 * Adam keeps β₁ᵗ and β₂ᵗ as running products; its setWeights recomputes them with pow(), which differs
 * from the running product in the last float32 bit. Saving them exactly (as `__accBeta1`/`__accBeta2`
 * after tfjs's own weights) makes a resumed run bitwise equal to an uninterrupted one. The running
 * products are private to tfjs's AdamOptimizer: read and written through src/engine/tfjs-internals.ts.
 */
export async function optimizerState(opt: tf.Optimizer): Promise<{ name: string; tensor: tf.Tensor }[]> {
  const weights = await opt.getWeights();
  const powers = adamBetaPowers(opt);
  if (powers) {
    weights.push({ name: '__accBeta1', tensor: powers.accBeta1 }, { name: '__accBeta2', tensor: powers.accBeta2 });
  }
  return weights;
}

export async function restoreOptimizerState(opt: tf.Optimizer, state: { name: string; tensor: tf.Tensor }[]): Promise<void> {
  const extra = new Map(state.filter((s) => s.name.startsWith('__')).map((s) => [s.name, s.tensor]));
  await opt.setWeights(state.filter((s) => !s.name.startsWith('__')));
  const powers = adamBetaPowers(opt);
  if (powers && extra.has('__accBeta1')) powers.accBeta1.assign(extra.get('__accBeta1')!);
  if (powers && extra.has('__accBeta2')) powers.accBeta2.assign(extra.get('__accBeta2')!);
  extra.forEach((t) => t.dispose());
}
