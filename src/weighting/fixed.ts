/**
 * Fixed weights: L = Σ_t λ_t L_t with λ given per task (missing tasks default to 1). `ew` (equal
 * weighting) is the special case λ_t = 1 for every task.
 */
import { z } from 'zod';
import { tf } from '../engine/tf.js';
import type { Weighting, WeightingOptions } from './types.js';

/**
 * `fixed`'s option: `weights`, λ by task name or one per task in task order (a config usually gives
 * them as `tasks.<name>.weight` instead). `ew` takes no options.
 */
export const fixedOptions = z.strictObject({
  weights: z.union([z.record(z.string(), z.number().nonnegative()), z.array(z.number().nonnegative())]).optional(),
});

export function resolveWeights(options: WeightingOptions): number[] {
  const { taskNames, weights } = options;
  if (Array.isArray(weights)) {
    if (weights.length !== taskNames.length) throw new Error(`fixed weighting: ${weights.length} weights given for ${taskNames.length} tasks`);
    return [...weights];
  }
  const unknown = Object.keys(weights ?? {}).filter((k) => !taskNames.includes(k));
  if (unknown.length) throw new Error(`fixed weighting: unknown task(s) ${unknown.join(', ')}; tasks are ${taskNames.join(', ')}`);
  return taskNames.map((t) => (weights as Record<string, number> | undefined)?.[t] ?? 1);
}

export function fixedWeighting(options: WeightingOptions, name = 'fixed'): Weighting {
  const lambda = resolveWeights(options);
  return {
    name,
    combine: (losses) => tf.tidy(() => tf.addN(losses.map((l, i) => tf.mul(l, lambda[i])))),
    weights: () => [...lambda],
  };
}

export function equalWeighting(options: WeightingOptions): Weighting {
  return fixedWeighting({ ...options, weights: options.taskNames.map(() => 1) }, 'ew');
}
