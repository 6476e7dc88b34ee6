/**
 * Inter-task affinity (Fifty et al. 2021, "Efficiently Identifying Task Groupings", TAG): how a step on
 * task i's loss changes task j's loss, measured by a lookahead on the shared parameters:
 *   θ'_i = θ_s − η ∇_{θ_s} L_i,      Z_{i→j} = 1 − L_j(θ'_i) / L_j(θ_s)
 * on the same batch. Z_{i→j} > 0: learning i helps j; < 0: it hurts j. Averaged over training steps.
 */
import { tf } from '../engine/tf.js';
import type { MultiTaskModel } from '../models/types.js';
import type { Task } from '../tasks/types.js';
import type { EpochRecord, TrainerCallback } from './types.js';
import type { Batch } from './batches.js';
import { batchLosses, gradientStep } from './gradient-step.js';
import { unflatten } from './flat.js';
import { equalWeighting } from '../weighting/fixed.js';

/** One lookahead measurement on a batch: the T×T matrix Z_{i→j}. The model is left unchanged. */
export function lookaheadAffinity(model: MultiTaskModel, tasks: Task[], batch: Batch, lr: number): number[][] {
  const shared = model.sharedVariables();
  let G: Float32Array[] = [];
  const weighting = equalWeighting({ taskNames: tasks.map((t) => t.name) });
  const { grads, losses } = gradientStep({
    model, tasks, weighting, batch, ctx: { epoch: 0, step: 0 }, mode: 'param',
    direction: (rows) => { G = rows.rows(); return { weights: new Array<number>(rows.T).fill(0) }; },
  });
  grads.forEach((g) => g.dispose());
  const before = Array.from(losses.dataSync());
  losses.dispose();
  const saved = shared.map((v) => tf.clone(v));
  const shapes = shared.map((v) => v.shape);
  const Z = tasks.map((_, i) => {
    const step = unflatten(G[i], shapes);
    shared.forEach((v, k) => {
      const moved = tf.tidy(() => tf.sub(saved[k], tf.mul(lr, step[k])));
      v.assign(moved); // assign keeps its own reference to the data
      moved.dispose();
    });
    step.forEach((t) => t.dispose());
    const after = batchLosses(model, tasks, batch);
    return after.map((a, j) => (before[j] > 0 ? 1 - a / before[j] : 0));
  });
  shared.forEach((v, k) => v.assign(saved[k]));
  saved.forEach((t) => t.dispose());
  return Z;
}

/** Running mean of affinity matrices. */
export class AffinityAccumulator {
  private sum: number[][];
  private count = 0;
  constructor(T: number) {
    this.sum = Array.from({ length: T }, () => new Array(T).fill(0));
  }
  add(Z: number[][]): void {
    Z.forEach((row, i) => row.forEach((v, j) => (this.sum[i][j] += v)));
    this.count++;
  }
  mean(): number[][] | undefined {
    if (!this.count) return undefined;
    return this.sum.map((r) => r.map((v) => v / this.count));
  }
  get steps(): number {
    return this.count;
  }
}

/**
 * Lookahead affinity as a trainer callback: measured before every `every`-th step (from the parameters
 * that step starts from), averaged per epoch into the record and over the whole run (`mean()`).
 */
export class AffinityCallback implements TrainerCallback {
  private epoch: AffinityAccumulator;
  private readonly total: AffinityAccumulator;

  constructor(private readonly model: MultiTaskModel, private readonly tasks: Task[], private readonly every: number, private readonly lr: number) {
    this.epoch = new AffinityAccumulator(tasks.length);
    this.total = new AffinityAccumulator(tasks.length);
  }

  onBatchBegin(batch: Batch, step: number): void {
    if (step % this.every !== 0) return;
    const Z = lookaheadAffinity(this.model, this.tasks, batch, this.lr);
    this.epoch.add(Z);
    this.total.add(Z);
  }

  onEpochEnd(record: EpochRecord): void {
    const Z = this.epoch.mean();
    if (!Z) return;
    record.affinity = Z;
    this.epoch = new AffinityAccumulator(this.tasks.length);
  }

  /** Mean affinity over every measured step of the run. */
  mean(): number[][] | undefined {
    return this.total.mean();
  }
}
