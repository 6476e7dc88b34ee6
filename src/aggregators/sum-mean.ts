/**
 * Sum and mean of the task gradients: d = Σᵢ gᵢ and d = (1/T) Σᵢ gᵢ (plain linear scalarisation).
 * Properties: linear under scaling, permutation invariant, weighted, strongly stationary (β > 0: d = 0
 * only if Σgᵢ = 0). Not non-conflicting (the mean can point against a task).
 */
import { combine } from './linalg.js';
import type { Aggregator, Matrix } from './types.js';

export const sumWeights = (M: Matrix): number[] => M.map(() => 1);
export const meanWeights = (M: Matrix): number[] => M.map(() => 1 / M.length);

// Direct combinations: no Gramian is needed for fixed weights.
export const sum: Aggregator = Object.assign((G: Parameters<Aggregator>[0]) => combine(G, Array.from(G, () => 1)), {
  weights: sumWeights,
});
export const mean: Aggregator = Object.assign((G: Parameters<Aggregator>[0]) => combine(G, Array.from(G, () => 1 / G.length)), {
  weights: meanWeights,
});
