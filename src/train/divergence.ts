/**
 * Divergence: a loss that is NaN or ±Infinity, or that explodes past `factor` × the run's first loss
 * (a learning rate far too high: `lr: 1e6` with SGD), means the step has ruined — or is about to ruin —
 * the weights. The trainer checks every batch's losses before applying the update, so the weights of
 * the last good step are still there, and acts by `train.onDivergence`:
 *   stop        (default) end the run with a DivergenceError (exit 2); the last good checkpoint is kept,
 *               since no checkpoint is written for the epoch that diverged;
 *   skip-batch  drop this batch's update and go on (the run stops after `maxSkips` in a row);
 *   reduce-lr   drop the update, undo the one before it (which made the loss diverge) and halve the
 *               learning rate (same limit).
 * The weights are also checked once per epoch (a finite loss with non-finite weights is still divergence).
 */
import { UsageError } from '../config/errors.js';

export type DivergencePolicy = 'stop' | 'skip-batch' | 'reduce-lr';
export const DIVERGENCE_POLICIES: readonly DivergencePolicy[] = ['stop', 'skip-batch', 'reduce-lr'];

/** The run diverged; the message says where and what to change. A user's setting: exit 2. */
export class DivergenceError extends UsageError {
  constructor(message: string) {
    super(message);
    this.name = 'DivergenceError';
  }
}

export interface DivergenceOptions {
  policy?: DivergencePolicy;
  /** A loss above factor × (first finite loss + 1) counts as divergence. Default 1e6. */
  factor?: number;
  /** Consecutive skipped batches before giving up (skip-batch, reduce-lr). Default 20. */
  maxSkips?: number;
}

export class DivergenceGuard {
  readonly policy: DivergencePolicy;
  private readonly factor: number;
  private readonly maxSkips: number;
  private reference: number | undefined;
  private skipsInARow = 0;
  /** Batches skipped over the run (reported in the epoch record). */
  skipped = 0;

  constructor(private readonly taskNames: string[], options: DivergenceOptions = {}) {
    this.policy = options.policy ?? 'stop';
    this.factor = options.factor ?? 1e6;
    this.maxSkips = options.maxSkips ?? 20;
  }

  /** Why these losses count as divergence, or undefined when they are fine. */
  problem(losses: ArrayLike<number>): string | undefined {
    for (let i = 0; i < losses.length; i++) {
      const v = losses[i]!;
      if (!Number.isFinite(v)) return `the loss of task '${this.taskNames[i]}' is ${v}`;
    }
    let total = 0;
    for (let i = 0; i < losses.length; i++) total += Math.abs(losses[i]!);
    if (this.reference === undefined) {
      this.reference = total;
      return undefined;
    }
    if (total > this.factor * (this.reference + 1)) return `the loss exploded to ${total.toExponential(2)} (${this.factor.toExponential(0)} × the first loss, ${this.reference.toPrecision(3)})`;
    return undefined;
  }

  /**
   * Decides on a diverged batch: throws (stop, or too many skips), or returns 'skip' / 'reduce-lr'.
   * `where` names the epoch and step for the message.
   */
  onDiverged(why: string, where: string): 'skip' | 'reduce-lr' {
    const advice = 'lower train.lr, or set train.onDivergence: skip-batch | reduce-lr';
    if (this.policy === 'stop') throw new DivergenceError(`training diverged at ${where}: ${why}; the last good checkpoint is kept. ${advice}`);
    this.skipped++;
    if (++this.skipsInARow > this.maxSkips) {
      throw new DivergenceError(`training diverged at ${where}: ${why}, ${this.skipsInARow} batches in a row (train.onDivergence: ${this.policy}); the last good checkpoint is kept. Lower train.lr`);
    }
    return this.policy === 'reduce-lr' ? 'reduce-lr' : 'skip';
  }

  /** A batch that went well. */
  ok(): void {
    this.skipsInARow = 0;
  }

  /** Throws when a weight is not finite (checked once per epoch). */
  checkWeights(finite: boolean, where: string): void {
    if (!finite) throw new DivergenceError(`training diverged at ${where}: the weights are no longer finite; the last good checkpoint is kept. Lower train.lr`);
  }
}
