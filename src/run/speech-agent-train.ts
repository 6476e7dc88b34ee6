/**
 * Training one audio model (audio-hps, src/models/audio-hps.ts) for the spoken agent: the trainer with
 * the dev split (unseen dev voices) for early stopping, test evaluation, and the saved model folder —
 * model.json + weights.bin + manifest.json (the tasks with the alphabet, intents, frame vocabulary as
 * labelNames) and audio.json (feature settings, frames T: src/data/loaders/spoken-agent.ts) beside them,
 * which is everything `mtl predict --audio` and `mtl serve` need. Run folder: <runDir>/history.jsonl,
 * checkpoint/, model/. The counterpart of ./text.ts for audio.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Dataset } from '../data/types.js';
import { AUDIO_STATE_FILE, type AudioState } from '../data/loaders/spoken-agent.js';
import { saveLayersModel } from '../models/io.js';
import { buildManifest } from '../models/manifest.js';
import { buildModel } from '../models/registry.js';
import type { MultiTaskModel } from '../models/types.js';
import { createTask } from '../tasks/registry.js';
import type { Metrics, Task } from '../tasks/types.js';
import { writeDirAtomic } from '../train/node/atomic.js';
import { evaluateDataset } from '../train/evaluate.js';
import { Trainer } from '../train/node/trainer.js';
import { rowsFor } from './text.js';

export interface SpeechTrainSettings {
  seed: number;
  epochs: number;
  batchSize: number;
  lr: number;
  /** Channels of the strided convolutions (each stride 2). */
  conv: number[];
  /** BiGRU units per direction after the convolutions. */
  units: number;
  /** The frame decoder: embedding size and GRU units. */
  decoder: { dim: number; units: number };
  /** Early stopping on the dev split's primary metrics (patience in epochs); 0 = off. */
  patience: number;
  progress: 'auto' | 'bar' | 'lines' | 'silent';
}

export interface TrainedAudioModel {
  tasks: Task[];
  model: MultiTaskModel;
  test: Record<string, Metrics>;
  /** Test predictions per task name (rows of the task's test subset × headUnits) and those rows' indices in the test set. */
  predictions: Record<string, Float32Array>;
  testRows: number[];
  seconds: number;
  epochs: number;
}

export async function saveAudioModel(dir: string, model: MultiTaskModel, tasks: Task[], inputShape: number[], audio: AudioState, dataset: string): Promise<void> {
  await writeDirAtomic(dir, async (tmp) => {
    await saveLayersModel(tmp, model.layersModel());
    const manifest = buildManifest({ architecture: model.architecture, inputShape, tasks, dataset: { name: dataset } });
    fs.writeFileSync(path.join(tmp, 'manifest.json'), JSON.stringify(manifest, null, 2));
    fs.writeFileSync(path.join(tmp, AUDIO_STATE_FILE), JSON.stringify(audio, null, 2));
  });
}

/** The indices of the rows that have a label for one of the tasks (as rowsFor keeps them). */
function labelledRows(ds: Dataset, taskNames: string[]): number[] {
  const specs = ds.tasks.filter((t) => taskNames.includes(t.name));
  const rows: number[] = [];
  for (let i = 0; i < ds.n; i++) {
    if (specs.some((t) => { const y = ds.labels[t.name]!; for (let j = 0; j < t.width; j++) if (!Number.isNaN(y[i * t.width + j]!)) return true; return false; })) rows.push(i);
  }
  return rows;
}

export async function trainAudioModel(args: {
  name: string;
  train: Dataset;
  dev?: Dataset;
  test: Dataset;
  audio: AudioState;
  taskNames: string[];
  runDir: string;
  settings: SpeechTrainSettings;
  label: string;
}): Promise<TrainedAudioModel> {
  const { settings: s, taskNames } = args;
  const train = rowsFor(args.train, taskNames);
  const dev = args.dev ? rowsFor(args.dev, taskNames) : undefined;
  const test = rowsFor(args.test, taskNames);
  const tasks = taskNames.map((name) => createTask(train.tasks.find((t) => t.name === name)!));
  const model = buildModel('audio-hps', { inputShape: train.inputShape, tasks, seed: s.seed }, {
    conv: { channels: s.conv }, encoder: { type: 'bigru', units: s.units }, decoder: s.decoder,
  });
  fs.rmSync(args.runDir, { recursive: true, force: true });
  const trainer = new Trainer(model, tasks, {
    epochs: s.epochs, batchSize: s.batchSize, optimizer: { name: 'adam', lr: s.lr }, seed: s.seed,
    earlyStopping: s.patience > 0 && dev && dev.n > 0 ? { patience: s.patience } : null,
    batching: 'mixed', runDir: args.runDir, progress: s.progress, label: args.label, dataset: { name: args.name },
  });
  const t0 = performance.now();
  const fit = await trainer.fit(train, dev && dev.n > 0 ? dev : undefined);
  const seconds = (performance.now() - t0) / 1000;
  const ev = evaluateDataset(model, tasks, test, 128);
  await saveAudioModel(path.join(args.runDir, 'model'), model, tasks, train.inputShape, args.audio, args.name);
  trainer.dispose();
  return {
    tasks, model, test: ev.metrics, seconds, epochs: fit.history.length, testRows: labelledRows(args.test, taskNames),
    predictions: Object.fromEntries(tasks.map((t, i) => [t.name, ev.predictions[i]!])),
  };
}
