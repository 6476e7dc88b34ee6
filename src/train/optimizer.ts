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
