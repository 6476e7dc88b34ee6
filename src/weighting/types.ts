/**
 * Loss weighting: turns the per-task losses of a step into the scalar that is differentiated.
 * A method may keep state across steps and epochs (DWA's loss history) and may own trainable
 * variables (uncertainty weighting's log-variances) that the trainer optimises with the model.
 */
import type { Tensor, tf } from '../engine/tf.js';

export interface WeightingContext {
  epoch: number;
  step: number;
}

export interface Weighting {
  readonly name: string;
  /** The objective for this step; called inside the gradient tape. `losses` are scalars, task order. */
  combine(losses: Tensor[], ctx: WeightingContext): Tensor;
  /** Current task weights λ (for the history file). */
  weights(): number[];
  /** Called after each epoch with the mean training loss of each task. */
  endEpoch?(meanLosses: number[]): void;
  /** Trainable variables owned by the method. */
  variables?(): tf.Variable[];
  /** JSON-serialisable state for checkpoints, and its restoration. */
  state?(): unknown;
  restore?(state: unknown): void;
}

export interface WeightingOptions {
  taskNames: string[];
  /** Given λ per task (for `fixed`). */
  weights?: Record<string, number> | number[];
  [key: string]: unknown;
}

export type WeightingFactory = (options: WeightingOptions) => Weighting;
