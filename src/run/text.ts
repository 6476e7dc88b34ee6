/**
 * Training one text model (text-hps) on a TextSplit: the trainer with the dev split for validation and
 * early stopping, test evaluation, and the saved model folder — model.json + weights.bin +
 * manifest.json (tfjs + mtljs manifest) and text.json (tokenizer, vocabulary, L) beside them, which is
 * everything `mtl predict` needs. Run folder: <runDir>/history.jsonl, checkpoint/, model/.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Dataset } from '../data/types.js';
import { subsetDataset } from '../data/split.js';
import { saveLayersModel } from '../models/io.js';
import { buildManifest } from '../models/manifest.js';
import { buildModel } from '../models/registry.js';
import type { MultiTaskModel } from '../models/types.js';
import { createTask } from '../tasks/registry.js';
import { argmaxTags } from '../tasks/sequence.js';
import type { Metrics, Task } from '../tasks/types.js';
import type { TextEncoderConfig } from '../models/text/encoder.js';
import type { PoolingMode } from '../models/text/layers.js';
import { saveTextState, type TextState } from '../data/text/state.js';
import { writeDirAtomic } from '../train/node/atomic.js';
import { evaluateDataset } from '../train/evaluate.js';
import type { Batching } from '../train/sampler.js';
import { Trainer } from '../train/node/trainer.js';

export interface TextTrainSettings {
  seed: number;
  epochs: number;
  batchSize: number;
  lr: number;
  encoder: TextEncoderConfig;
  pool: PoolingMode;
  headHidden: number[];
  /** Early stopping on the dev split's primary metrics (patience in epochs); 0 = off. */
  patience: number;
  batching: Batching;
  progress: 'auto' | 'bar' | 'lines' | 'silent';
}

export const DEFAULT_TEXT_SETTINGS: TextTrainSettings = {
  seed: 0, epochs: 5, batchSize: 64, lr: 5e-3, encoder: { type: 'bigru', dim: 64, units: 32 },
  pool: 'mean', headHidden: [], patience: 2, batching: 'mixed', progress: 'lines',
};

export interface TrainedTextModel {
  tasks: Task[];
  model: MultiTaskModel;
  /** Test metrics per task. */
  test: Record<string, Metrics>;
  /** Test predictions per task name (n × headUnits). */
  predictions: Record<string, Float32Array>;
  seconds: number;
  epochs: number;
  bestEpoch: number;
}

/** The rows of a (multi-input) dataset that have a label for at least one of the tasks. */
export function rowsFor(ds: Dataset, taskNames: string[]): Dataset {
  const rows: number[] = [];
  const specs = ds.tasks.filter((t) => taskNames.includes(t.name));
  for (let i = 0; i < ds.n; i++) {
    if (specs.some((t) => { const y = ds.labels[t.name]!; for (let j = 0; j < t.width; j++) if (!Number.isNaN(y[i * t.width + j]!)) return true; return false; })) rows.push(i);
  }
  const sub = rows.length === ds.n ? ds : subsetDataset(ds, rows);
  return { ...sub, tasks: sub.tasks.filter((t) => taskNames.includes(t.name)), labels: Object.fromEntries(taskNames.map((t) => [t, sub.labels[t]!])) };
}

export async function saveTextModel(dir: string, model: MultiTaskModel, tasks: Task[], inputShape: number[], text: TextState, dataset: string): Promise<void> {
  await writeDirAtomic(dir, async (tmp) => {
    await saveLayersModel(tmp, model.layersModel());
    const manifest = buildManifest({ architecture: model.architecture, inputShape, tasks, dataset: { name: dataset } });
    fs.writeFileSync(path.join(tmp, 'manifest.json'), JSON.stringify(manifest, null, 2));
    saveTextState(tmp, text);
  });
}

export async function trainTextModel(args: {
  name: string;
  train: Dataset;
  dev?: Dataset;
  test: Dataset;
  text: TextState;
  taskNames: string[];
  runDir: string;
  settings: TextTrainSettings;
  label: string;
}): Promise<TrainedTextModel> {
  const { settings: s, taskNames } = args;
  const train = rowsFor(args.train, taskNames);
  const dev = args.dev ? rowsFor(args.dev, taskNames) : undefined;
  const test = rowsFor(args.test, taskNames);
  const tasks = taskNames.map((name) => createTask(train.tasks.find((t) => t.name === name)!));
  const model = buildModel('text-hps', { inputShape: train.inputShape, tasks, seed: s.seed }, {
    vocabSize: args.text.vocabulary.length, encoder: s.encoder, pool: s.pool, head: { hidden: s.headHidden },
  });
  fs.rmSync(args.runDir, { recursive: true, force: true });
  const trainer = new Trainer(model, tasks, {
    epochs: s.epochs, batchSize: s.batchSize, optimizer: { name: 'adam', lr: s.lr }, seed: s.seed,
    earlyStopping: s.patience > 0 && dev ? { patience: s.patience } : null,
    batching: s.batching, runDir: args.runDir, progress: s.progress, label: args.label, dataset: { name: args.name },
  });
  const t0 = performance.now();
  const fit = await trainer.fit(train, dev);
  const seconds = (performance.now() - t0) / 1000;
  const ev = evaluateDataset(model, tasks, test);
  await saveTextModel(path.join(args.runDir, 'model'), model, tasks, train.inputShape, args.text, args.name);
  trainer.dispose();
  return {
    tasks, model, test: ev.metrics, seconds, epochs: fit.history.length, bestEpoch: fit.bestEpoch,
    predictions: Object.fromEntries(tasks.map((t, i) => [t.name, ev.predictions[i]!])),
  };
}

/**
 * Sentence-level exact match of a SNIPS-style test set: the intent and every slot tag right. Predictions
 * may come from one joint model or from two single-task models.
 */
export function exactMatch(test: Dataset, intentPred: Float32Array, slotPred: Float32Array, intentTask = 'intent', slotTask = 'slots'): number {
  const intentSpec = test.tasks.find((t) => t.name === intentTask)!, slotSpec = test.tasks.find((t) => t.name === slotTask)!;
  const K = intentSpec.outputSize, L = slotSpec.width, T = slotSpec.outputSize;
  const yi = test.labels[intentTask]!, ys = test.labels[slotTask]!;
  const tags = argmaxTags(slotPred, test.n, L, T);
  let n = 0, right = 0;
  for (let i = 0; i < test.n; i++) {
    if (Number.isNaN(yi[i]!)) continue;
    n++;
    let best = 0;
    for (let k = 1; k < K; k++) if (intentPred[i * K + k]! > intentPred[i * K + best]!) best = k;
    let ok = best === yi[i];
    for (let j = 0; ok && j < L; j++) {
      const y = ys[i * L + j]!;
      if (!Number.isNaN(y) && tags[i * L + j] !== y) ok = false;
    }
    if (ok) right++;
  }
  return n ? right / n : NaN;
}

