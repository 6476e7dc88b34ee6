/**
 * Early stopping on the validation primary metrics of all tasks at once. Metrics differ in scale and
 * direction, so an epoch's score is the mean signed relative change of each primary metric against the
 * first validated epoch (the same shape as Δm%): higher is better, and no task dominates by its units.
 */
import { tf } from '../engine/tf.js';
import type { Metrics, Task } from '../tasks/types.js';
import type { EarlyStoppingState, EpochRecord, FitResult, TrainerCallback, TrainerHandle } from './types.js';

export type { EarlyStoppingState } from './types.js';

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

/**
 * Early stopping as a trainer callback: observes each epoch's validation metrics, marks the best epoch
 * in the record (best, score), keeps a copy of the best weights, asks the trainer to stop after
 * `patience` epochs without improvement, and puts the best weights back when the run finishes.
 * Its state (and the best weights) are saved in checkpoints.
 */
export class EarlyStopping implements TrainerCallback {
  readonly name = 'early';
  private s: EarlyStoppingState = initialEarlyStopping();
  private best: tf.Tensor[] | null = null;

  constructor(private readonly tasks: Task[], private readonly patience: number, private readonly minDelta = 0) {}

  onEpochEnd(record: EpochRecord, trainer: TrainerHandle): void {
    if (!record.val) return;
    record.best = observeEpoch(this.s, this.tasks, record.epoch, record.val, this.minDelta);
    record.score = this.s.bestEpoch === record.epoch ? this.s.bestScore : undefined;
    if (record.best) {
      this.best?.forEach((t) => t.dispose());
      this.best = trainer.model.trainableVariables().map((v) => tf.clone(v));
    }
    if (this.s.badEpochs >= this.patience) trainer.requestStop();
  }

  onTrainEnd(result: FitResult | undefined, trainer: TrainerHandle): void {
    if (!result?.finished || !this.best) return;
    trainer.model.trainableVariables().forEach((v, i) => v.assign(this.best![i]!));
  }

  get bestEpoch(): number {
    return this.s.bestEpoch;
  }

  state(): EarlyStoppingState {
    return this.s;
  }

  restore(state: unknown): void {
    this.s = (state as EarlyStoppingState | undefined) ?? initialEarlyStopping();
  }

  /** The best weights so far (checkpoints save them). */
  bestWeights(): tf.Tensor[] | null {
    return this.best;
  }

  setBestWeights(weights: tf.Tensor[] | null): void {
    this.best?.forEach((t) => t.dispose());
    this.best = weights;
  }

  dispose(): void {
    this.setBestWeights(null);
  }
}
