/** Parameter counts of a multi-task model. */
import type { MultiTaskModel } from './types.js';

/** Number of trainable scalars (every trainable variable once). */
export function countParameters(model: MultiTaskModel): number {
  return [...new Set(model.trainableVariables())].reduce((n, v) => n + v.size, 0);
}

/** Trainable scalars that are shared, and those of each task, by task name. */
export function parameterGroups(model: MultiTaskModel): { shared: number; tasks: Record<string, number> } {
  const size = (vs: { size: number }[]) => vs.reduce((n, v) => n + v.size, 0);
  return {
    shared: size(model.sharedVariables()),
    tasks: Object.fromEntries(model.taskNames.map((t) => [t, size(model.taskVariables(t))])),
  };
}
