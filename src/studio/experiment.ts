/**
 * The studio's experiment, in the worker: what `mtl train` does (src/run/experiment.ts) on a table held
 * in memory, with the core alone — split the rows (seeded), type the features as `features: all` does,
 * encode with tableToSplit, check the data (src/data/sanity.ts) and the model's size, then train the
 * multi-task model and each task's single-task baseline (same encoder, same budget), test them, compute
 * Δm% (src/eval/report.ts withDeltas) and save the multi-task model as a model folder's files.
 *
 * Unlike the CLI, the models train in lockstep, one epoch each in turn (Trainer.fit with
 * maxEpochsThisCall: 1 continues where it stopped, on the same seeded schedule as one long fit), so the
 * page shows the baselines' curves growing beside the multi-task ones; between epochs the worker yields
 * to its event loop, where a Stop from the page is read. Inside an epoch a Stop is seen at the next step
 * when the page could share a flag (SharedArrayBuffer: a cross-origin isolated page).
 */
import { tableToSplit, type RawTable } from '../data/table.js';
import { inferFeatures } from '../data/own-table.js';
import { checkDataset } from '../data/sanity.js';
import { subsetDataset, trainTestSplit } from '../data/split.js';
import { DEFAULT_LIMITS } from '../data/limits.js';
import type { Dataset, DatasetSplit, RawRecord, TargetSpec } from '../data/types.js';
import { tf } from '../engine/tf.js';
import { withDeltas, type Report } from '../eval/report.js';
import { buildModel } from '../models/registry.js';
import { estimateParameters } from '../models/size.js';
import type { MultiTaskModel } from '../models/types.js';
import { createTask } from '../tasks/registry.js';
import type { Task } from '../tasks/types.js';
import { Trainer } from '../train/trainer.js';
import type { EpochRecord, TrainerCallback } from '../train/types.js';
import type { HistoryRecord } from '../dashboard/state.js';
import type { CheckedStudioConfig } from './config.js';
import { modelFiles } from './model-files.js';
import type { FromWorker, ModelFiles, TaskInfo } from './protocol.js';
import { record, type LoadedTable } from './table.js';

export interface RunHooks {
  post(message: FromWorker): void;
  /** Whether the page asked to stop (a shared flag, or a 'stop' message read while the worker yielded). */
  stopRequested(): boolean;
  /** Lets the worker's event loop run (pending messages are read). */
  yieldNow(): Promise<void>;
}

export interface RunResult {
  report: Report;
  files: ModelFiles;
  stopped: boolean;
  rowsPerSecond: number;
  /** Raw test rows (feature columns only), for the try-it form. */
  testRows: RawRecord[];
}

/** Thrown inside a step when the page asked to stop; the epoch's partial record is dropped. */
class StopSignal extends Error {}

interface Run {
  label: string;
  tasks: Task[];
  model: MultiTaskModel;
  trainer: Trainer;
  done: boolean;
  seconds: number;
}

/** Architectures that need every task at once: their single-task baselines use hps with the same encoder. */
const MULTI_TASK_ONLY = new Set(['esmm']);

function targetSpecs(c: CheckedStudioConfig): TargetSpec[] {
  return c.targets.map((t) => ({
    task: t.task ?? t.column,
    kind: t.kind,
    columns: [t.column],
    ...(t.kind === 'binary' && t.positive !== undefined ? { positive: [t.positive], labelNames: [`not ${t.positive}`, t.positive] } : {}),
  }));
}

/** The rows split and encoded as `mtl train` would (seeded test split, `features: all` over the chosen columns). */
export function buildSplit(table: LoadedTable, c: CheckedStudioConfig): { split: DatasetSplit; features: string[] } {
  const targets = targetSpecs(c);
  const known = new Set(table.columns);
  for (const col of [...c.features, ...c.targets.map((t) => t.column), ...Object.keys(c.types)]) {
    if (!known.has(col)) throw new Error(`settings: unknown column '${col}'`);
  }
  const { train, test } = trainTestSplit(table.rows.length, c.train.testFraction, c.seed);
  if (train.length < 2 || test.length < 1) throw new Error(`${table.rows.length} rows leave ${train.length} training and ${test.length} test rows: add rows or change the test fraction`);
  const reserved = new Map(c.targets.map((t) => [t.column, `target of task '${t.task ?? t.column}'`]));
  const features = new Set(c.features);
  const exclude = table.columns.filter((col) => !features.has(col) && !reserved.has(col));
  const types = Object.fromEntries(Object.entries(c.types).filter(([col]) => features.has(col)));
  const inferred = inferFeatures({ columns: table.columns, rows: table.rows, train, reserved, exclude, types });
  const rawTable: RawTable = { columns: table.columns, rows: table.rows };
  const lines = table.lines;
  const split = tableToSplit({
    name: table.name, table: rawTable, schema: { features: inferred.features, targets }, train, test,
    ...(lines ? { locate: (r: number) => ({ file: table.name, line: lines[r]! }) } : {}),
  });
  return { split, features: inferred.features.map((f) => f.column) };
}

function validationSplit(train: Dataset, fraction: number, seed: number): { fit: Dataset; val?: Dataset } {
  if (fraction <= 0) return { fit: train };
  // As src/run/experiment.ts splits it, so a run here and the same config in Node see the same rows.
  const s = trainTestSplit(train.n, fraction, seed + 17);
  return { fit: subsetDataset(train, s.train), val: subsetDataset(train, s.test, `${train.name}-val`) };
}

/** Progress to the page (at most every 100 ms) and the stop check before each step. */
function progressCallback(label: string, hooks: RunHooks): TrainerCallback {
  let epoch = 0;
  let epochs = 0;
  let steps = 0;
  let first = 0;
  let last = 0;
  return {
    onEpochBegin(e, total, n) {
      epoch = e;
      epochs = total;
      steps = n;
      first = -1;
      last = 0;
    },
    onBatchBegin() {
      if (hooks.stopRequested()) throw new StopSignal('stopped');
    },
    onBatchEnd(step) {
      if (first < 0) first = step;
      const now = performance.now();
      if (now - last < 100) return;
      last = now;
      hooks.post({ type: 'progress', model: label, epoch: epoch + 1, epochs, step: step - first + 1, steps });
    },
  };
}

/** The epoch's record as the dashboard reads a history.jsonl line (plain JSON; non-finite numbers as null). */
function toHistory(r: EpochRecord): HistoryRecord {
  const { memory: _memory, ...rest } = r as EpochRecord & { memory?: unknown };
  return JSON.parse(JSON.stringify(rest, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v))) as HistoryRecord;
}

export async function runExperiment(table: LoadedTable, c: CheckedStudioConfig, hooks: RunHooks): Promise<RunResult> {
  const { split, features } = buildSplit(table, c);
  const taskNames = split.train.tasks.map((t) => t.name);
  const sanity = checkDataset(split, taskNames, { batchSize: c.train.batchSize });
  if (sanity.errors.length) throw new Error(sanity.errors.join('; '));
  const inputWidth = split.train.inputShape.reduce((a, b) => a * b, 1);
  const modelConfig = { encoder: { type: 'mlp', hidden: c.model.hidden, activation: 'relu', dropout: 0 }, head: { hidden: c.model.head, activation: 'relu' } };
  const size = estimateParameters({ architecture: c.model.architecture, ...modelConfig, options: {} }, inputWidth, split.train.tasks.map((t) => t.outputSize));
  if (size && size.parameters > DEFAULT_LIMITS.maxParameters) {
    throw new Error(`the model would have about ${size.parameters.toLocaleString('en-US')} parameters, over ${DEFAULT_LIMITS.maxParameters.toLocaleString('en-US')}; the largest layer is ${size.largest.name}: make it smaller`);
  }
  const { fit, val } = validationSplit(split.train, c.train.validationSplit, c.seed);

  const makeRun = (label: string, names: string[], architecture: string): Run => {
    const tasks = names.map((name) => createTask(fit.tasks.find((t) => t.name === name)!, {}, { values: fit.labels[name]!, n: fit.n }));
    const model = buildModel(architecture, { inputShape: fit.inputShape, tasks, seed: c.seed }, modelConfig, split.preprocessing);
    const trainer = new Trainer(model, tasks, {
      epochs: c.train.epochs,
      batchSize: c.train.batchSize,
      optimizer: { name: 'adam', lr: c.train.lr },
      weighting: { method: c.train.weighting, weights: Object.fromEntries(names.map((n) => [n, 1])), seed: c.seed },
      aggregator: c.train.aggregator ? { method: c.train.aggregator, mode: c.train.mode } : null,
      gradientStats: names.length > 1,
      earlyStopping: c.train.patience > 0 && val ? { patience: c.train.patience } : null,
      seed: c.seed,
      label,
      maxEpochsThisCall: 1,
      callbacks: [progressCallback(label, hooks)],
    });
    return { label, tasks, model, trainer, done: false, seconds: 0 };
  };

  const runs: Run[] = [];
  try {
    runs.push(makeRun('mtl', taskNames, c.model.architecture));
    if (c.baselines && taskNames.length > 1) {
      const stlArchitecture = MULTI_TASK_ONLY.has(c.model.architecture) ? 'hps' : c.model.architecture;
      for (const name of taskNames) runs.push(makeRun(`stl:${name}`, [name], stlArchitecture));
    }
    const infos: TaskInfo[] = runs[0]!.tasks.map((t) => ({ name: t.name, kind: t.kind, primary: t.primary, higherIsBetter: t.higherIsBetter }));
    hooks.post({ type: 'started', tasks: infos, models: runs.map((r) => r.label), rows: { train: fit.n, val: val?.n ?? 0, test: split.test.n }, inputWidth, features, epochs: c.train.epochs });

    let stopped = false;
    let rowsSeen = 0;
    let trainSeconds = 0;
    for (let epoch = 0; epoch < c.train.epochs && !stopped; epoch++) {
      for (const run of runs) {
        if (run.done) continue;
        const t0 = performance.now();
        try {
          const result = await run.trainer.fit(fit, val);
          run.done = result.finished;
        } catch (e) {
          if (!(e instanceof StopSignal)) throw e;
          stopped = true;
        }
        run.seconds += (performance.now() - t0) / 1000;
        const last = run.trainer.records.at(-1);
        if (last && last.epoch === epoch + 1) {
          if (run.label === 'mtl') {
            rowsSeen += fit.n;
            trainSeconds += last.trainSeconds;
          }
          hooks.post({ type: 'epoch', model: run.label, record: toHistory(last), rowsPerSecond: trainSeconds > 0 ? rowsSeen / trainSeconds : 0 });
        }
        await hooks.yieldNow();
        if (stopped || hooks.stopRequested()) {
          stopped = true;
          hooks.post({ type: 'stopping' });
          break;
        }
      }
      if (runs.every((r) => r.done)) break;
    }

    // Test every model that trained at least one step; Δm% compares the primary metrics.
    const [mtl, ...stl] = runs;
    const test = (run: Run) => run.trainer.evaluate(split.test);
    const mtlTest = test(mtl!);
    const stlTest = Object.fromEntries(stl.filter((r) => r.trainer.records.length > 0).map((r) => [r.tasks[0]!.name, test(r)[r.tasks[0]!.name]!]));
    const report = withDeltas({
      name: c.name,
      backend: tf.getBackend(),
      architecture: c.model.architecture,
      seed: c.seed,
      tasks: Object.fromEntries(mtl!.tasks.map((t) => [t.name, { kind: t.kind, primary: t.primary, higherIsBetter: t.higherIsBetter, mtl: mtlTest[t.name]!, ...(stlTest[t.name] ? { stl: stlTest[t.name] } : {}) }])),
      seconds: { mtl: mtl!.seconds, ...(stl.length ? { stl: stl.reduce((a, r) => a + r.seconds, 0) } : {}) },
      createdAt: new Date().toISOString(),
    });
    const files = await modelFiles(mtl!.model, mtl!.tasks, fit.inputShape, split.preprocessing, table.format === 'tsv' ? 'tsv' : table.format);
    const featureSet = new Set(features);
    const testRows = split.test.n ? testIndices(table, c).slice(0, 20).map((r) => pick(record(table.columns, table.rows[r]!), featureSet)) : [];
    return { report, files, stopped, rowsPerSecond: trainSeconds > 0 ? rowsSeen / trainSeconds : 0, testRows };
  } finally {
    for (const r of runs) {
      r.trainer.dispose();
      r.model.dispose();
    }
  }
}

function testIndices(table: LoadedTable, c: CheckedStudioConfig): number[] {
  return trainTestSplit(table.rows.length, c.train.testFraction, c.seed).test;
}

function pick(r: RawRecord, keep: Set<string>): RawRecord {
  return Object.fromEntries(Object.entries(r).filter(([k]) => keep.has(k)));
}
