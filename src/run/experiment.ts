/**
 * One experiment from a config: load the data, train the multi-task model, train each task's
 * single-task baseline with the same encoder and budget, evaluate all on the test split and write
 * `<out>/report.json`. Layout of the run folder:
 *   config.json        the validated config (what `mtl eval` and `--resume` re-read)
 *   history.jsonl      one line per epoch of the multi-task run
 *   checkpoint/        latest checkpoint (tfjs model + manifest + optimizer + schedule)
 *   model/             final model: model.json, weights.bin, manifest.json
 *   stl/<task>/        the same for each single-task baseline
 *   report.json        test metrics, Δm%
 */
import fs from 'node:fs';
import path from 'node:path';
import { UsageError } from '../config/errors.js';
import { loadConfigDataset } from '../config/dataset.js';
import type { ExperimentConfig } from '../config/schema.js';
import { subsetDataset, trainTestSplit } from '../data/split.js';
import type { Dataset, DatasetSplit } from '../data/types.js';
import { tf } from '../engine/tf.js';
import { formatReport, withDeltas, type Report, type TaskReport } from '../eval/report.js';
import { saveLayersModel } from '../models/io.js';
import { buildManifest } from '../models/manifest.js';
import { buildModel } from '../models/registry.js';
import { createTask } from '../tasks/registry.js';
import type { Task } from '../tasks/types.js';
import { writeDirAtomic, writeFileAtomic } from '../train/atomic.js';
import { Trainer, type FitResult, type TrainerOptions } from '../train/trainer.js';
import { saveTextState, type TextSplit } from '../data/text/state.js';

export interface ExperimentOptions {
  outDir: string;
  /** Directory the config came from (relative data paths resolve against it). */
  baseDir: string;
  backend: string;
  resume?: boolean;
  dataDir?: string;
  progress?: 'auto' | 'bar' | 'lines' | 'silent';
  log?: (line: string) => void;
  /** Stop after this many epochs per model in this call (the run can be resumed). */
  maxEpochsThisCall?: number;
}

export interface TrainedModel {
  tasks: Task[];
  trainer: Trainer;
  fit: FitResult;
  test: Record<string, Record<string, number>>;
  seconds: number;
}

/** Splits a validation set off the training data (seeded); empty fraction → none. */
export function validationSplit(train: Dataset, fraction: number, seed: number): { fit: Dataset; val?: Dataset } {
  if (fraction <= 0) return { fit: train };
  const s = trainTestSplit(train.n, fraction, seed + 17);
  return { fit: subsetDataset(train, s.train), val: subsetDataset(train, s.test, `${train.name}-val`) };
}

export function selectTasks(config: ExperimentConfig, split: DatasetSplit): string[] {
  const available = split.train.tasks.map((t) => t.name);
  if (!config.tasks) return available;
  const chosen = Object.keys(config.tasks);
  const unknown = chosen.filter((t) => !available.includes(t));
  if (unknown.length) throw new UsageError(`config tasks: unknown task(s) ${unknown.join(', ')}; the dataset has ${available.join(', ')}`);
  if (chosen.length === 0) throw new UsageError('config tasks: name at least one task');
  return chosen;
}

/** Trains one model (multi-task, or a single-task baseline when given one task) and tests it. */
export async function trainModel(args: {
  config: ExperimentConfig;
  split: DatasetSplit;
  taskNames: string[];
  runDir: string;
  label: string;
  options: ExperimentOptions;
  /** Trainer options beyond the config (affinity measurement, penalties, …). */
  trainerOverrides?: Partial<TrainerOptions>;
}): Promise<TrainedModel> {
  const { config, split, taskNames, runDir, label, options } = args;
  const { fit, val } = validationSplit(split.train, config.train.validationSplit, config.seed);
  const tasks = taskNames.map((name) => {
    const spec = fit.tasks.find((t) => t.name === name)!;
    return createTask(spec, { loss: config.tasks?.[name]?.loss }, { values: fit.labels[name], n: fit.n });
  });
  const { options: archOptions, ...modelConfig } = config.model;
  // A text dataset (snips, uci-sentiment, …) brings its vocabulary: a text model sized by it, saved with it.
  const text = (split as Partial<TextSplit>).text;
  const fromText = text && config.model.architecture === 'text-hps' && archOptions.vocabSize === undefined ? { vocabSize: text.vocabulary.length } : {};
  const model = buildModel(config.model.architecture, { inputShape: fit.inputShape, tasks, seed: config.seed }, { ...modelConfig, ...fromText, ...archOptions });
  const { method, ...weightingRest } = config.train.weighting;
  const weights = Object.fromEntries(taskNames.map((t) => [t, config.tasks?.[t]?.weight ?? 1]));
  const dataset = 'features' in config.data ? { name: 'csv' } : { name: config.data.dataset, options: config.data.options };
  const trainer = new Trainer(model, tasks, {
    epochs: config.train.epochs,
    batchSize: config.train.batchSize,
    optimizer: { name: config.train.optimizer, lr: config.train.lr, momentum: config.train.momentum },
    l2: config.train.l2,
    weighting: { weights, ...weightingRest, method, seed: config.seed },
    aggregator: config.train.aggregator ?? null,
    gradientStats: config.train.gradientStats,
    batching: config.train.batching,
    earlyStopping: config.train.earlyStopping || null,
    seed: config.seed,
    runDir,
    checkpointEvery: config.train.checkpointEvery,
    progress: options.progress,
    label,
    preprocessing: split.preprocessing,
    dataset,
    maxEpochsThisCall: options.maxEpochsThisCall,
    ...args.trainerOverrides,
  });
  if (options.resume) {
    const resumed = await trainer.resume();
    if (resumed) options.log?.(`${label}: resumed from ${path.join(runDir, 'checkpoint')}`);
  }
  const t0 = performance.now();
  const result = await trainer.fit(fit, val);
  const seconds = (performance.now() - t0) / 1000;
  const test = trainer.evaluate(split.test);
  if (result.finished) {
    await writeDirAtomic(path.join(runDir, 'model'), async (dir) => {
      await saveLayersModel(dir, model.layersModel());
      const manifest = buildManifest({ architecture: model.architecture, inputShape: fit.inputShape, tasks, preprocessing: split.preprocessing, dataset });
      fs.writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(manifest, null, 2));
      if (text) saveTextState(dir, text); // `mtl predict <run> "raw text"` tokenizes with it
    });
  }
  return { tasks, trainer, fit: result, test, seconds };
}

function taskReport(task: Task, mtl: Record<string, number>, stl?: Record<string, number>): TaskReport {
  return { kind: task.kind, primary: task.primary, higherIsBetter: task.higherIsBetter, mtl, stl };
}

export async function runExperiment(config: ExperimentConfig, options: ExperimentOptions): Promise<{ report: Report; finished: boolean }> {
  const out = options.outDir;
  const log = options.log ?? (() => {});
  if (!options.resume && fs.existsSync(path.join(out, 'checkpoint'))) {
    throw new UsageError(`${out} already holds a run: pass --resume to continue it, or choose another --out`);
  }
  fs.mkdirSync(out, { recursive: true });
  writeFileAtomic(path.join(out, 'config.json'), JSON.stringify({ ...config, baseDir: options.baseDir }, null, 2));

  const split = await loadConfigDataset(config, options.baseDir, options.dataDir);
  const taskNames = selectTasks(config, split);
  log(`data: ${split.train.name}, ${split.train.n} train / ${split.test.n} test rows, input [${split.train.inputShape.join(', ')}], tasks ${taskNames.join(', ')}`);

  const mtl = await trainModel({ config, split, taskNames, runDir: out, label: `mtl:${config.model.architecture}`, options });
  mtl.trainer.dispose();
  mtl.trainer.model.dispose();
  let finished = mtl.fit.finished;

  const stl: Record<string, Record<string, number>> = {};
  let stlSeconds: number | undefined;
  if (config.baselines.stl && taskNames.length > 1) {
    stlSeconds = 0;
    for (const name of taskNames) {
      const r = await trainModel({ config, split, taskNames: [name], runDir: path.join(out, 'stl', name), label: `stl:${name}`, options });
      stl[name] = r.test[name];
      stlSeconds += r.seconds;
      finished &&= r.fit.finished;
      r.trainer.dispose();
      r.trainer.model.dispose();
    }
  }
  const report = withDeltas({
    name: config.name,
    backend: tf.getBackend(),
    architecture: config.model.architecture,
    seed: config.seed,
    tasks: Object.fromEntries(mtl.tasks.map((t) => [t.name, taskReport(t, mtl.test[t.name], stl[t.name])])),
    seconds: { mtl: mtl.seconds, stl: stlSeconds },
    createdAt: new Date().toISOString(),
  });
  if (finished) writeFileAtomic(path.join(out, 'report.json'), JSON.stringify(report, null, 2));
  return { report, finished };
}

export { formatReport };
