/**
 * A run folder as a trainer callback: after every `every`-th epoch (and the last) the checkpoint
 * (model, manifest, optimizer, best weights, schedule; ./checkpoint.ts, written atomically) and
 * history.jsonl (one line per epoch). `resumeTrainer` restores a trainer from the folder's checkpoint.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { PreprocessingState } from '../../data/types.js';
import type { TrainingData } from '../batch-source.js';
import { buildManifest, type Manifest } from '../../models/manifest.js';
import type { TrainerCallback } from '../types.js';
import type { Trainer } from '../trainer.js';
import type { EpochRecord, TrainerHandle } from '../types.js';
import { writeFileAtomic } from './atomic.js';
import { loadCheckpoint, saveCheckpoint } from './checkpoint.js';

export interface RunFolderOptions {
  runDir: string;
  /** Checkpoint every N epochs (default 1); the last epoch always. */
  every?: number;
  preprocessing?: PreprocessingState;
  dataset?: Manifest['dataset'];
  /** Called after each checkpoint is written (e.g. to copy it off this machine: ../../sweep/). */
  onCheckpoint?: (runDir: string, epoch: number) => void | Promise<void>;
}

export class RunFolderCallback implements TrainerCallback {
  private inputShape: number[] = [];

  constructor(private readonly o: RunFolderOptions) {}

  onTrainBegin(_trainer: TrainerHandle, train: TrainingData): void {
    this.inputShape = train.inputShape;
    fs.mkdirSync(this.o.runDir, { recursive: true });
  }

  async onEpochEnd(record: EpochRecord, trainer: TrainerHandle): Promise<void> {
    const every = this.o.every ?? 1;
    const epochs = trainer.options.epochs;
    const stopping = record.epoch >= epochs || trainer.stopRequested;
    if (record.epoch % every !== 0 && !stopping) return;
    const snapshot = await trainer.snapshot();
    const manifest = buildManifest({
      architecture: trainer.model.architecture, inputShape: this.inputShape, tasks: trainer.tasks,
      preprocessing: this.o.preprocessing, dataset: this.o.dataset,
    });
    await saveCheckpoint(this.o.runDir, { model: trainer.model.layersModel(), manifest, optimizer: snapshot.optimizer, best: snapshot.best, state: snapshot.state });
    writeFileAtomic(path.join(this.o.runDir, 'history.jsonl'), trainer.records.map((r) => JSON.stringify(r)).join('\n') + '\n');
    await this.o.onCheckpoint?.(this.o.runDir, record.epoch);
  }
}

/** Restores `trainer` from `<runDir>/checkpoint` when there is one; false otherwise. */
export async function resumeTrainer(trainer: Trainer, runDir: string): Promise<boolean> {
  const ckpt = loadCheckpoint(runDir);
  if (!ckpt) return false;
  await trainer.restore({ modelWeights: ckpt.modelWeights, optimizer: ckpt.optimizer, best: ckpt.best, state: ckpt.state });
  return true;
}
