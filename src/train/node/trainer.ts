/**
 * The Trainer as Node programs use it: the core Trainer (../trainer.ts) with a run folder — checkpoints
 * and history.jsonl (`runDir`, `checkpointEvery`) — progress on the terminal (`progress`), and
 * `resume()` from the folder's checkpoint. Only composition: the core is unchanged, these are callbacks.
 */
import type { PreprocessingState } from '../../data/types.js';
import type { Manifest } from '../../models/manifest.js';
import type { MultiTaskModel } from '../../models/types.js';
import type { Task } from '../../tasks/types.js';
import { Trainer as CoreTrainer, type TrainerOptions as CoreTrainerOptions } from '../trainer.js';
import { ProgressCallback, type ProgressMode } from './progress-callback.js';
import { resumeTrainer, RunFolderCallback } from './run-folder-callback.js';

export interface NodeTrainerOptions extends CoreTrainerOptions {
  /** Folder for history.jsonl and checkpoint/; nothing is written without it. */
  runDir?: string;
  /** Save a checkpoint every N epochs (default 1) when runDir is set. */
  checkpointEvery?: number;
  /** Progress on stderr: a bar on a terminal, lines otherwise (auto, the default), or silent. */
  progress?: ProgressMode;
  /** Stored in the checkpoint's manifest. */
  preprocessing?: PreprocessingState;
  dataset?: Manifest['dataset'];
  /** Called after each checkpoint is written, with the run folder and the epoch (1-based). */
  onCheckpoint?: (runDir: string, epoch: number) => void | Promise<void>;
}

export class Trainer extends CoreTrainer {
  declare readonly options: NodeTrainerOptions;

  constructor(model: MultiTaskModel, tasks: Task[], options: NodeTrainerOptions) {
    const callbacks = [...(options.callbacks ?? [])];
    callbacks.push(new ProgressCallback(options.progress ?? 'auto', options.label ?? 'train', tasks));
    if (options.runDir) {
      callbacks.push(new RunFolderCallback({ runDir: options.runDir, every: options.checkpointEvery, preprocessing: options.preprocessing, dataset: options.dataset, onCheckpoint: options.onCheckpoint }));
    }
    super(model, tasks, { ...options, callbacks });
  }

  /** Restores model, optimizer, weighting and schedule from `<runDir>/checkpoint` (if present). */
  async resume(): Promise<boolean> {
    if (!this.options.runDir) throw new Error('resume needs a runDir');
    return resumeTrainer(this, this.options.runDir);
  }
}

export type { NodeTrainerOptions as TrainerOptions };
export type { EpochRecord, FitResult, TrainerSnapshot, TrainerState } from '../trainer.js';
