/**
 * Early stopping on the validation primary metrics of all tasks at once. Metrics differ in scale and
 * direction, so an epoch's score is the mean signed relative change of each primary metric against the
 * first validated epoch (the same shape as Δm%): higher is better, and no task dominates by its units.
 */
import type { Metrics, Task } from '../tasks/types.js';

export function validationScore(tasks: Task[], metrics: Record<string, Metrics>, reference: Record<string, Metrics>): number {
  let s = 0;
  for (const t of tasks) {
    const m = metrics[t.name][t.primary];
    const r = reference[t.name][t.primary];
    const sign = t.higherIsBetter ? 1 : -1;
    s += (sign * (m - r)) / (Math.abs(r) || 1);
  }
  return s / tasks.length;
}

export interface EarlyStoppingState {
  bestScore: number;
  bestEpoch: number;
  badEpochs: number;
  reference: Record<string, Metrics> | null;
}

export function initialEarlyStopping(): EarlyStoppingState {
  return { bestScore: -Infinity, bestEpoch: -1, badEpochs: 0, reference: null };
}

/** Updates the state with an epoch's validation metrics; returns whether this epoch is the new best. */
export function observeEpoch(state: EarlyStoppingState, tasks: Task[], epoch: number, metrics: Record<string, Metrics>, minDelta: number): boolean {
  if (!state.reference) state.reference = metrics;
  const score = validationScore(tasks, metrics, state.reference);
  if (score > state.bestScore + minDelta || state.bestEpoch < 0) {
    state.bestScore = score;
    state.bestEpoch = epoch;
    state.badEpochs = 0;
    return true;
  }
  state.badEpochs++;
  return false;
}
