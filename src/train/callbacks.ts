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
import type { Dataset } from '../data/types.js';
import type { Batch } from './batches.js';
import type { EpochRecord, FitResult, Trainer } from './trainer.js';

export interface TrainerCallback {
  /** Key of its state in checkpoints (needed with state/restore). */
  readonly name?: string;
  /** Before the first epoch of this fit call, with the training data. */
  onTrainBegin?(trainer: Trainer, train: Dataset): void | Promise<void>;
  onEpochBegin?(epoch: number, epochs: number, steps: number): void;
  /** Before the step on `batch` (the model holds the parameters the step starts from). */
  onBatchBegin?(batch: Batch, step: number): void;
  /** After the step: the batch's per-task losses (read from the device for the divergence check). */
  onBatchEnd?(step: number, losses: Float32Array): void;
  /** Every how many steps this callback wants the Gramian of the per-task gradients (0 or absent: never). */
  gramianEvery?(): number;
  onGramian?(M: number[][], step: number): void;
  /** The epoch's record: add fields, or ask the trainer to stop (trainer.requestStop()). */
  onEpochEnd?(record: EpochRecord, trainer: Trainer): void | Promise<void>;
  /** At the end of fit; `result` is undefined when fit ended with an error. */
  onTrainEnd?(result: FitResult | undefined, trainer: Trainer): void | Promise<void>;
  state?(): unknown;
  restore?(state: unknown): void;
}

/** True when some callback wants the Gramian at `step`. */
export function wantsGramian(callbacks: readonly TrainerCallback[], step: number): boolean {
  return callbacks.some((c) => {
    const every = c.gramianEvery?.() ?? 0;
    return every > 0 && step % every === 0;
  });
}
