/** Optimizers by name (tfjs's own implementations), and their state for checkpoints. */
import { tf } from '../engine/tf.js';

export interface OptimizerConfig {
  name: 'adam' | 'sgd' | 'momentum';
  lr: number;
  momentum?: number;
}

export function createOptimizer(config: OptimizerConfig): tf.Optimizer {
  switch (config.name) {
    case 'adam':
      return tf.train.adam(config.lr);
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
 * from the running product in the last float32 bit. Saving them exactly makes a resumed run bitwise
 * equal to an uninterrupted one.
 */
interface AdamInternals { accBeta1?: tf.Variable; accBeta2?: tf.Variable }

export async function optimizerState(opt: tf.Optimizer): Promise<{ name: string; tensor: tf.Tensor }[]> {
  const weights = await opt.getWeights();
  const internals = opt as unknown as AdamInternals;
  if (internals.accBeta1 && internals.accBeta2) {
    weights.push({ name: '__accBeta1', tensor: internals.accBeta1 }, { name: '__accBeta2', tensor: internals.accBeta2 });
  }
  return weights;
}

export async function restoreOptimizerState(opt: tf.Optimizer, state: { name: string; tensor: tf.Tensor }[]): Promise<void> {
  const extra = new Map(state.filter((s) => s.name.startsWith('__')).map((s) => [s.name, s.tensor]));
  await opt.setWeights(state.filter((s) => !s.name.startsWith('__')));
  const internals = opt as unknown as AdamInternals;
  if (internals.accBeta1 && extra.has('__accBeta1')) internals.accBeta1.assign(extra.get('__accBeta1')!);
  if (internals.accBeta2 && extra.has('__accBeta2')) internals.accBeta2.assign(extra.get('__accBeta2')!);
  extra.forEach((t) => t.dispose());
}
