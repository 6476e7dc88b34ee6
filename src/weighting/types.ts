/**
 * Loss weighting: how the per-task losses of a step become what is differentiated.
 *
 * Loss-space methods (EW, fixed, UW, DWA, RLW, GLS, IMTL-L) only implement `combine`. Methods that look
 * at per-task gradients (GradNorm, DB-MTL) carry a `gradient` method — the same GradientMethod contract
 * as the aggregators (../aggregators/method.ts: init → state → update, the state held by the trainer):
 * the trainer differentiates each task's term (`terms`, default λ_t·L_t, which may read that state)
 * w.r.t. the shared parameters and the method turns them into the shared update direction. A method may
 * keep state across epochs, own trainable variables (optimised with the model), and observe the losses
 * after each optimizer step (FAMO).
 */
import type { Tensor, tf } from '../engine/tf.js';
import type { GradientMethod } from '../aggregators/method.js';

export interface WeightingContext {
  epoch: number;
  step: number;
}

export interface Weighting {
  readonly name: string;
  /** The objective for this step; called inside the gradient tape. `losses` are scalars, task order. */
  combine(losses: Tensor[], ctx: WeightingContext): Tensor;
  /**
   * The per-task terms whose sum is the objective (gradient mode differentiates each separately).
   * Default: λ_t · L_t with λ = weights(). Called inside the gradient tape; `methodState` is the state
   * of this weighting's `gradient` method (GradNorm's weights).
   */
  terms?(losses: Tensor[], ctx: WeightingContext, methodState?: unknown): Tensor[];
  /** Current task weights λ (for the history file). */
  weights(): number[];
  /** Called after each epoch with the mean training loss of each task. */
  endEpoch?(meanLosses: number[]): void;
  /** Trainable variables owned by the method (optimised with the model in loss-space mode). */
  variables?(): tf.Variable[];
  /** Gradient-space methods: how the per-task gradients of `terms` become the shared update direction. */
  gradient?: GradientMethod<any>;
  /**
   * Called after the optimizer step with the losses the step started from and a function that
   * re-evaluates the task losses on the same batch (one extra forward pass, only if called).
   */
  afterStep?(lossesBefore: number[], lossesAfter: () => number[], ctx: WeightingContext): void;
  /** JSON-serialisable state for checkpoints, and its restoration. */
  state?(): unknown;
  restore?(state: unknown): void;
}

export interface WeightingOptions {
  taskNames: string[];
  /** Given λ per task (for `fixed`). */
  weights?: Record<string, number> | number[];
  /** Seed for stochastic methods (RLW). */
  seed?: number;
  [key: string]: unknown;
}

export type WeightingFactory = (options: WeightingOptions) => Weighting;
