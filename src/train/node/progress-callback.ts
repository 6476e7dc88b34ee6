/**
 * Progress of a run on the terminal as a trainer callback: a bar or one line per epoch (./progress.ts),
 * with the epoch's losses and the primary validation metrics.
 */
import type { Task } from '../../tasks/types.js';
import type { TrainerCallback } from '../types.js';
import type { EpochRecord } from '../types.js';
import { createProgress, type Progress } from './progress.js';

export type ProgressMode = 'auto' | 'bar' | 'lines' | 'silent';

function fmt(v: number | undefined): string {
  if (v === undefined || Number.isNaN(v)) return '-';
  return Math.abs(v) >= 100 ? v.toFixed(1) : v.toFixed(4);
}

/** One line per epoch: each task's training loss and primary validation metric, the time, * for a new best. */
export function summariseEpoch(r: EpochRecord, tasks: Task[]): string {
  const parts = tasks.map((t) => {
    const val = r.val?.[t.name];
    return `${t.name}: loss ${fmt(r.train[t.name]?.loss)}${val ? ` val_${t.primary} ${fmt(val[t.primary])}` : ''}`;
  });
  const skipped = r.skippedBatches ? ` [${r.skippedBatches} diverged batches skipped]` : '';
  return `${parts.join(' | ')} (${r.seconds.toFixed(1)}s)${r.best ? ' *' : ''}${skipped}`;
}

export class ProgressCallback implements TrainerCallback {
  private readonly progress: Progress;
  private s = 0;

  constructor(mode: ProgressMode, label: string, private readonly tasks: Task[]) {
    this.progress = createProgress(mode, label);
  }

  onEpochBegin(epoch: number, epochs: number, steps: number): void {
    this.s = 0;
    this.progress.startEpoch(epoch, epochs, steps);
  }

  onBatchEnd(_step: number, losses: Float32Array): void {
    // The bar's loss is refreshed every 10 steps (as it always was).
    this.progress.step(this.s++ % 10 === 0 ? losses.reduce((a, b) => a + b, 0) : undefined);
  }

  onEpochEnd(record: EpochRecord): void {
    this.progress.endEpoch(summariseEpoch(record, this.tasks));
  }

  onTrainEnd(): void {
    this.progress.stop();
  }
}
