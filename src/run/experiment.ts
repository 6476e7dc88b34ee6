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
import { writeDirAtomic, writeFileAtomic } from '../train/node/atomic.js';
import { Trainer, type FitResult, type TrainerOptions } from '../train/node/trainer.js';
import { saveTextState, type TextSplit } from '../data/text/state.js';
import { prepareRunFolder } from './run-folder.js';
import { isSequenceData, sequenceDataName } from '../config/sequence-data.js';
import { checkDataset } from '../data/sanity.js';
import { DataError } from '../data/errors.js';
import { estimateParameters } from '../models/size.js';
import { isStreamData, isStreamedSplit, loadStreamData, type StreamedSplit } from '../config/stream-data.js';
import { checkFittedTable } from '../data/table-stats.js';
import type { TrainingData } from '../train/batch-source.js';
import { embeddingLayout } from '../models/tabular.js';
import { embeddedWidth } from '../models/tabular-layers.js';

export interface ExperimentOptions {
  outDir: string;
  /** Directory the config came from (relative data paths resolve against it). */
  baseDir: string;
  backend: string;
  resume?: boolean;
  /** Replace the run in outDir (only an mtljs run folder; ./run-folder.ts). */
  overwrite?: boolean;
  /** With resume: continue although the config differs from the stored one (recorded). */
  allowChanges?: boolean;
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

export function selectTasks(config: ExperimentConfig, split: DatasetSplit | StreamedSplit): string[] {
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
  /** In memory, or streamed from disk (data.stream: the training, validation and test files are read a pass at a time). */
  split: DatasetSplit | StreamedSplit;
  taskNames: string[];
  runDir: string;
  label: string;
  options: ExperimentOptions;
  /** Trainer options beyond the config (affinity measurement, penalties, …). */
  trainerOverrides?: Partial<TrainerOptions>;
}): Promise<TrainedModel> {
  const { config, split, taskNames, runDir, label, options } = args;
  // A streamed table's validation rows are its own file or a hash split made by the reader; its label
  // statistics (regression target scaling) come from the first pass, not from labels in memory.
  const streamed = isStreamedSplit(split) ? split : null;
  const { fit, val }: { fit: TrainingData; val?: TrainingData } = streamed ? { fit: streamed.train, val: streamed.val } : validationSplit((split as DatasetSplit).train, config.train.validationSplit, config.seed);
  const tasks = taskNames.map((name) => {
    const spec = fit.tasks.find((t) => t.name === name)!;
    const loss = config.tasks?.[name]?.loss;
    if (streamed) return createTask(spec, { loss, ...(streamed.fitted.taskState[name] ? { state: streamed.fitted.taskState[name] } : {}) });
    const ds = fit as Dataset;
    return createTask(spec, { loss }, { values: ds.labels[name]!, n: ds.n });
  });
  const { options: archOptions, ...modelConfig } = config.model;
  // A text dataset (snips, uci-sentiment, …) brings its vocabulary: a text model sized by it, saved with it.
  const text = (split as Partial<TextSplit>).text;
  const fromText = text && config.model.architecture === 'text-hps' && archOptions.vocabSize === undefined ? { vocabSize: text.vocabulary.length } : {};
  const model = buildModel(config.model.architecture, { inputShape: fit.inputShape, tasks, seed: config.seed }, { ...modelConfig, ...fromText, ...archOptions }, split.preprocessing);
  const { method, ...weightingRest } = config.train.weighting;
  const weights = Object.fromEntries(taskNames.map((t) => [t, config.tasks?.[t]?.weight ?? 1]));
  const d = config.data;
  // The manifest names the data: a built-in dataset with its options, a corpus by its own name, a table by its format.
  const dataset = isSequenceData(d) ? { name: sequenceDataName(d, options.baseDir), options: d.options }
    : 'features' in d ? { name: d.dataset } : { name: d.dataset, options: d.options };
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
    onDivergence: config.train.onDivergence,
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
  const test = streamed ? await trainer.evaluateSource(streamed.test) : trainer.evaluate((split as DatasetSplit).test);
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

/**
 * The data and the model's size, checked before the run folder is touched or a weight allocated:
 * problems that make training meaningless are errors (DataError / UsageError, exit 2), the rest warnings.
 */
export function checkBeforeTraining(config: ExperimentConfig, split: DatasetSplit | StreamedSplit, taskNames: string[], log: (line: string) => void): void {
  const sanity = isStreamedSplit(split) ? checkFittedTable(split.fitted, taskNames, { batchSize: config.train.batchSize }) : checkDataset(split, taskNames, { batchSize: config.train.batchSize });
  if (sanity.errors.length) throw new DataError(sanity.errors.join('\n  '), split.train.name);
  for (const w of sanity.warnings) log(`warning: ${w}`);
  const inputWidth = split.train.inputShape.reduce((a, b) => a * b, 1);
  if (inputWidth > config.limits.maxInputWidth) {
    throw new UsageError(`the input is ${inputWidth.toLocaleString('en-US')} values wide, over limits.maxInputWidth (${config.limits.maxInputWidth.toLocaleString('en-US')}); raise it in the config if this is intended`);
  }
  const outputs = taskNames.map((t) => split.train.tasks.find((s) => s.name === t)!.outputSize);
  const layout = split.preprocessing ? embeddingLayout(split.preprocessing, config.seed) : null;
  const size = estimateParameters(config.model, layout ? embeddedWidth(layout) : inputWidth, outputs, layout?.tables);
  if (size && size.parameters > config.limits.maxParameters) {
    throw new UsageError(`the model would have about ${size.parameters.toLocaleString('en-US')} parameters, over limits.maxParameters (${config.limits.maxParameters.toLocaleString('en-US')}); the largest layer is ${size.largest.name} with ${size.largest.parameters.toLocaleString('en-US')}. Make it smaller, or raise the limit in the config`);
  }
  if (config.train.earlyStopping && (isStreamedSplit(split) ? !split.val : config.train.validationSplit === 0)) {
    throw new UsageError('train.earlyStopping needs a validation split: set train.validationSplit > 0, or earlyStopping: false');
  }
  if (config.train.momentum !== undefined && config.train.optimizer !== 'momentum') {
    throw new UsageError(`train.momentum is only used by optimizer: momentum (the optimizer is ${config.train.optimizer})`);
  }
  for (const t of taskNames) {
    const loss = config.tasks?.[t]?.loss;
    const kind = split.train.tasks.find((s) => s.name === t)!.kind;
    if (loss && kind !== 'regression') throw new UsageError(`tasks.${t}.loss: ${loss} applies to regression tasks; '${t}' is ${kind}`);
  }
}

function taskReport(task: Task, mtl: Record<string, number>, stl?: Record<string, number>): TaskReport {
  return { kind: task.kind, primary: task.primary, higherIsBetter: task.higherIsBetter, mtl, stl };
}

export async function runExperiment(config: ExperimentConfig, options: ExperimentOptions): Promise<{ report: Report; finished: boolean }> {
  const out = options.outDir;
  const log = options.log ?? (() => {});
  // Config and data are checked before the run folder is touched: a mistake never costs a user's files.
  const split = isStreamData(config.data) ? await loadStreamData(config, options.baseDir, log) : await loadConfigDataset(config, options.baseDir, options.dataDir, { log: options.log });
  const taskNames = selectTasks(config, split);
  checkBeforeTraining(config, split, taskNames, log);
  const changes = prepareRunFolder(out, config, options.baseDir, options);
  if (changes.length) log(`resuming with changed settings (recorded in ${path.join(out, 'changes.jsonl')}):\n  ${changes.join('\n  ')}`);
  const testRows = isStreamedSplit(split) && split.test.n === 0 ? `${split.test.name} (streamed)` : `${split.test.n}`;
  log(`data: ${split.train.name}, ${split.train.n} train / ${testRows} test rows, input [${split.train.inputShape.join(', ')}], tasks ${taskNames.join(', ')}`);

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
