/**
 * Gradient conflict analysis: pairwise cosine similarity of the per-task gradients of the shared
 * parameters, accumulated over an epoch's steps. Reports the mean cosine per pair, the share of
 * steps in which each pair conflicts (cos < 0), and the share of steps with any conflict.
 */
import { gramian } from '../aggregators/linalg.js';
import type { EpochRecord, TrainerCallback } from './types.js';

export interface GradientStats {
  /** Mean cosine similarity of task i's and task j's gradients. */
  gradCosine: number[][];
  /** Share of analysed steps with cos(g_i, g_j) < 0. */
  conflictShare: number[][];
  /** Share of analysed steps in which at least one pair conflicts. */
  conflictSteps: number;
  /** Number of steps analysed. */
  steps: number;
}

export class GradientStatsAccumulator {
  private cosSum: number[][];
  private conflicts: number[][];
  private anyConflict = 0;
  private steps = 0;

  constructor(private readonly T: number) {
    this.cosSum = Array.from({ length: T }, () => new Array(T).fill(0));
    this.conflicts = Array.from({ length: T }, () => new Array(T).fill(0));
  }

  add(G: ArrayLike<number>[]): void {
    this.addGramian(gramian(G as Float64Array[]));
  }

  /** One step's statistics from the Gramian M = GGᵀ of its task gradients. */
  addGramian(M: number[][]): void {
    let any = false;
    for (let i = 0; i < this.T; i++) {
      for (let j = 0; j < this.T; j++) {
        const denom = Math.sqrt(M[i][i] * M[j][j]);
        const cos = denom > 0 ? M[i][j] / denom : 0;
        this.cosSum[i][j] += cos;
        if (cos < 0) {
          this.conflicts[i][j]++;
          if (i < j) any = true;
        }
      }
    }
    if (any) this.anyConflict++;
    this.steps++;
  }

  /** The epoch's statistics, and a reset for the next epoch. */
  take(): GradientStats | undefined {
    if (this.steps === 0) return undefined;
    const n = this.steps;
    const out: GradientStats = {
      gradCosine: this.cosSum.map((r) => r.map((v) => v / n)),
      conflictShare: this.conflicts.map((r) => r.map((v) => v / n)),
      conflictSteps: this.anyConflict / n,
      steps: n,
    };
    this.cosSum.forEach((r) => r.fill(0));
    this.conflicts.forEach((r) => r.fill(0));
    this.anyConflict = 0;
    this.steps = 0;
    return out;
  }
}

/**
 * The statistics as a trainer callback: the Gramian of every `every`-th step (free when the step
 * computes per-task gradients anyway; in loss mode the trainer computes them for these steps only),
 * summarised into the epoch's record (gradCosine, conflictShare, conflictSteps).
 */
export class GradientStatsCallback implements TrainerCallback {
  private readonly acc: GradientStatsAccumulator;

  constructor(tasks: number, private readonly every: number) {
    this.acc = new GradientStatsAccumulator(tasks);
  }

  gramianEvery(): number {
    return this.every;
  }

  onGramian(M: number[][]): void {
    this.acc.addGramian(M);
  }

  onEpochEnd(record: EpochRecord): void {
    const s = this.acc.take();
    if (!s) return;
    record.gradCosine = s.gradCosine;
    record.conflictShare = s.conflictShare;
    record.conflictSteps = s.conflictSteps;
  }
}
