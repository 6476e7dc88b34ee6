/**
 * Trainer callbacks (the tfjs-layers CallbackList idea): everything around the training schedule that
 * is not the schedule itself — gradient statistics, affinity, early stopping, divergence, progress,
 * checkpoints, history files — is a callback. The Trainer calls every hook of every callback in list
 * order and never needs editing to add one. Hooks are optional; a callback with `name` and
 * `state()/restore()` has its state saved in checkpoints.
 *
 * Order of one epoch: onEpochBegin → per step [onBatchBegin → the step (onGramian when a callback asked
 * for this step's Gramian) → onBatchEnd] → validation → onEpochEnd (in list order: the record is
 * complete for the later ones) → onTrainEnd (also after an error, with `result` undefined).
 */
import type { TrainerCallback } from './types.js';

export type { TrainerCallback, TrainerHandle } from './types.js';

/** True when some callback wants the Gramian at `step`. */
export function wantsGramian(callbacks: readonly TrainerCallback[], step: number): boolean {
  return callbacks.some((c) => {
    const every = c.gramianEvery?.() ?? 0;
    return every > 0 && step % every === 0;
  });
}
