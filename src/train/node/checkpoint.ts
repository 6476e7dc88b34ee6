/**
 * Checkpoints: `<runDir>/checkpoint/` holds the model in tfjs format (model.json + weights.bin), the
 * mtljs manifest, the optimizer's state, the best weights so far (for early stopping) and the trainer's
 * schedule (state.json). The folder is written under a temporary name and swapped in atomically, so a
 * kill during a save leaves the previous checkpoint intact.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { tf, tfl } from '../../engine/tf.js';
import { loadTensors, readModelWeights, saveLayersModel, saveTensors, type NamedTensor } from '../../models/io.js';
import type { Manifest } from '../../models/manifest.js';
import { resolveAtomicDir, writeDirAtomic } from './atomic.js';
import type { TrainerState } from '../types.js';

export type { TrainerState };

export interface CheckpointContents {
  model: tfl.LayersModel;
  manifest: Manifest;
  optimizer: NamedTensor[];
  best: tf.Tensor[] | null;
  state: TrainerState;
}

export const CHECKPOINT_DIR = 'checkpoint';

export async function saveCheckpoint(runDir: string, c: CheckpointContents): Promise<void> {
  await writeDirAtomic(path.join(runDir, CHECKPOINT_DIR), async (dir) => {
    await saveLayersModel(dir, c.model);
    fs.writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(c.manifest, null, 2));
    await saveTensors(dir, 'optimizer', c.optimizer);
    if (c.best) await saveTensors(dir, 'best', c.best.map((t, i) => ({ name: `best_${i}`, tensor: t })));
    fs.writeFileSync(path.join(dir, 'state.json'), JSON.stringify(c.state));
  });
}

export interface LoadedCheckpoint {
  dir: string;
  modelWeights: tf.Tensor[];
  optimizer: NamedTensor[];
  best: tf.Tensor[] | null;
  state: TrainerState;
  manifest: Manifest;
}

export function checkpointDir(runDir: string): string | null {
  return resolveAtomicDir(path.join(runDir, CHECKPOINT_DIR));
}

export function loadCheckpoint(runDir: string): LoadedCheckpoint | null {
  const dir = checkpointDir(runDir);
  if (!dir) return null;
  const state = JSON.parse(fs.readFileSync(path.join(dir, 'state.json'), 'utf8')) as TrainerState;
  const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as Manifest;
  const best = fs.existsSync(path.join(dir, 'best.json')) ? loadTensors(dir, 'best').map((n) => n.tensor) : null;
  return { dir, modelWeights: readModelWeights(dir), optimizer: loadTensors(dir, 'optimizer'), best, state, manifest };
}
