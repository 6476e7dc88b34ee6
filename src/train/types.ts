/**
 * The Trainer's types, apart from the Trainer itself, so that its callbacks (early stopping, statistics,
 * affinity, the Node run folder and progress) depend on these and not on the class: options, the epoch
 * record, the fit result, the checkpointed state, the callback contract and the handle a callback gets.
 */
import type { tf } from '../engine/tf.js';
import type { TrainingData } from './batch-source.js';
import type { MultiTaskModel } from '../models/types.js';
import type { Metrics, Task } from '../tasks/types.js';
import type { Batch } from './batches.js';
import type { DivergenceOptions, DivergencePolicy } from './divergence.js';
import type { GradientMode } from './gradient-step.js';
import type { OptimizerConfig } from './optimizer.js';
import type { Batching } from './sampler.js';

export interface TrainerOptions {
  epochs: number;
  batchSize: number;
  optimizer: OptimizerConfig;
  /** λ of the L2 penalty λ‖θ‖² on the shared parameters. */
  l2?: number;
  weighting?: { method: string; [key: string]: unknown };
  /**
   * Combine per-task gradients with a gradient-aggregation method (PCGrad, MGDA, …), on the shared
   * parameters (`param`, default) or on the shared representation (`rep`).
   */
  aggregator?: { method: string; mode?: GradientMode; [key: string]: unknown } | null;
  /** Stop when the validation score has not improved for `patience` epochs; restore the best weights. */
  earlyStopping?: { patience: number; minDelta?: number } | null;
  seed: number;
  /** Run at most this many epochs in this call (the run can be resumed later); for tests and time limits. */
  maxEpochsThisCall?: number;
  onEpoch?: (record: EpochRecord) => void;
  /**
   * Extra terms added to the objective, e.g. EWC's Fisher penalty or LwF's distillation loss. Each gets
   * the batch and the forward logits and returns a scalar.
   */
  penalties?: ((batch: Batch, logits: tf.Tensor[]) => tf.Tensor)[];
  /**
   * Gradient conflict analysis (pairwise cosines of per-task gradients) in the history. Free in
   * gradient mode (the per-task gradients exist anyway); in loss mode it costs T extra backward passes
   * on every `every`-th step (default 10). Default: on in gradient mode, off otherwise.
   */
  gradientStats?: boolean | { every?: number };
  /**
   * Inter-task affinity (TAG lookahead, ./affinity.ts) every `every` steps, with lookahead step size
   * `lr` (default: the optimizer's learning rate). Per epoch in the history; overall from `affinity()`.
   */
  affinity?: { every?: number; lr?: number } | null;
  /** `mixed` (default) or `per-task`: each step takes batchSize rows of every task (multi-input data). */
  batching?: Batching;
  /** What a NaN/Inf or exploding loss does (./divergence.ts): stop (default), skip-batch, reduce-lr. */
  onDivergence?: DivergencePolicy | DivergenceOptions;
  /** More callbacks (progress, checkpoints, your own), after the built-in ones. */
  callbacks?: TrainerCallback[];
  /** A name for progress lines and messages. */
  label?: string;
}

export interface EpochRecord {
  epoch: number;
  /** Wall time of the epoch, validation included. */
  seconds: number;
  /** Wall time of the epoch's training steps alone. */
  trainSeconds: number;
  /** Task weights λ in effect at the end of the epoch. */
  weights: Record<string, number>;
  /** Mean training loss per task. */
  train: Record<string, { loss: number }>;
  /** Validation loss and metrics per task (when there is a validation set). */
  val?: Record<string, Metrics>;
  score?: number;
  best?: boolean;
  /** Mean pairwise cosine of the per-task shared gradients over the epoch (T×T). */
  gradCosine?: number[][];
  /** Share of analysed steps in which tasks i and j conflict (cos < 0). */
  conflictShare?: number[][];
  /** Share of analysed steps with at least one conflicting pair. */
  conflictSteps?: number;
  /** Mean lookahead affinity Z_{i→j} over the epoch's measured steps. */
  affinity?: number[][];
  /** Batches whose update was dropped because their loss diverged (onDivergence skip-batch / reduce-lr). */
  skippedBatches?: number;
  /** Live tfjs tensors and (in Node) the process's resident memory at the end of the epoch's steps: flat across epochs when nothing leaks. */
  memory: { tensors: number; rssMB?: number };
}

export interface FitResult {
  history: EpochRecord[];
  bestEpoch: number;
  stoppedEarly: boolean;
  /** True when the run reached its last epoch or stopped early (false if cut by maxEpochsThisCall). */
  finished: boolean;
}

/** The trainer's schedule and plug-in state, as checkpoints store it (state.json). */
export interface TrainerState {
  /** Last completed epoch (0-based). */
  epoch: number;
  history: unknown[];
  early: EarlyStoppingState;
  stopped: boolean;
  weighting: unknown;
  /** State of a stateful gradient aggregator (JSON). */
  aggregator?: unknown;
  seed: number;
  /** Steps taken so far over the whole run. */
  globalStep?: number;
  /** State of the other named callbacks. */
  callbacks?: Record<string, unknown>;
}

/** Everything a checkpoint holds besides the model's own weights. */
export interface TrainerSnapshot {
  state: TrainerState;
  optimizer: { name: string; tensor: tf.Tensor }[];
  /** Best weights so far (early stopping), or null. */
  best: tf.Tensor[] | null;
}

export interface EarlyStoppingState {
  bestScore: number;
  bestEpoch: number;
  badEpochs: number;
  reference: Record<string, Metrics> | null;
}

export interface TrainerCallback {
  /** Key of its state in checkpoints (needed with state/restore). */
  readonly name?: string;
  /** Before the first epoch of this fit call, with the training data. */
  onTrainBegin?(trainer: TrainerHandle, train: TrainingData): void | Promise<void>;
  onEpochBegin?(epoch: number, epochs: number, steps: number): void;
  /** Before the step on `batch` (the model holds the parameters the step starts from). */
  onBatchBegin?(batch: Batch, step: number): void;
  /** After the step: the batch's per-task losses (read from the device for the divergence check). */
  onBatchEnd?(step: number, losses: Float32Array): void;
  /** Every how many steps this callback wants the Gramian of the per-task gradients (0 or absent: never). */
  gramianEvery?(): number;
  onGramian?(M: number[][], step: number): void;
  /** The epoch's record: add fields, or ask the trainer to stop (trainer.requestStop()). */
  onEpochEnd?(record: EpochRecord, trainer: TrainerHandle): void | Promise<void>;
  /** At the end of fit; `result` is undefined when fit ended with an error. */
  onTrainEnd?(result: FitResult | undefined, trainer: TrainerHandle): void | Promise<void>;
  state?(): unknown;
  restore?(state: unknown): void;
}

/** What a callback sees of the trainer. */
export interface TrainerHandle {
  readonly model: MultiTaskModel;
  readonly tasks: Task[];
  readonly options: TrainerOptions;
  /** The epoch records so far. */
  readonly records: readonly EpochRecord[];
  /** Whether the run ends after this epoch. */
  readonly stopRequested: boolean;
  /** Ends the run after the current epoch. */
  requestStop(): void;
  /** The schedule, plug-in state and tensors a checkpoint stores. */
  snapshot(): Promise<TrainerSnapshot>;
}
