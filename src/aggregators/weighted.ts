/**
 * Methods that are a weighted combination of the task gradients, d = Gᵀβ = Σᵢ βᵢgᵢ, with β computed
 * from the T×T Gramian M = GGᵀ only: one O(T²P) Gramian, a small solve, one O(TP) combination.
 */
import { combine, gramian } from './linalg.js';
import type { Aggregator, GramianWeights } from './types.js';

/** The aggregator d = Gᵀ weights(GGᵀ); the weight function stays available as `.weights`. */
export function fromWeights(weights: GramianWeights): Aggregator {
  const aggregator: Aggregator = (G, options) => combine(G, weights(gramian(G), options));
  aggregator.weights = weights;
  return aggregator;
}
