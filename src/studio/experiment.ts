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
 *
 * Stop and resume: a stopped StudioExperiment keeps its models, optimizers and schedules, and train()
 * again continues the loop where it stopped. Each model's numbers depend only on its own epochs (its
 * own trainer, seeded schedule, dropout seeds and plug-in state), so a run stopped and resumed any
 * number of times ends exactly as the run that was never stopped — provided every model stops at an
 * epoch boundary. A Stop read at a step rolls the model back to the start of that epoch (./epoch-start.ts:
 * a copy kept while the epoch runs), rather than finishing the epoch, so Stop still acts within a step.
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
import { EpochStart } from './epoch-start.js';
import type { FromWorker, ModelFiles, Resumable, TaskInfo } from './protocol.js';
import { record, type LoadedTable } from './table.js';

export interface RunHooks {
  post(message: FromWorker): void;
  /** Whether the page asked to stop (a shared flag, or a 'stop' message read while the worker yielded). */
  stopRequested(): boolean;
  /**
   * Whether stopRequested() can turn true while an epoch runs (a flag shared with the page). Then it is
   * read before every step, and each epoch keeps a copy of its starting state to roll back to;
   * otherwise it is read between epochs only.
   */
  withinEpoch: boolean;
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
  /** A stopped run that train() can continue (the epochs each model completed); null once the run ended. */
  resumable: Resumable | null;
}

/** Thrown before a step when the page asked to stop; `steps`: the steps of this epoch already taken (undone). */
class StopSignal extends Error {
  constructor(readonly steps: number) {
    super('stopped');
  }
}

interface Run {
  label: string;
  names: string[];
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

/** Progress to the page (at most every 100 ms) and, when it can change within an epoch, the stop check before each step. */
function progressCallback(label: string, hooks: RunHooks): TrainerCallback {
  let epoch = 0;
  let epochs = 0;
  let steps = 0;
  let taken = 0;
  let last = 0;
  return {
    onEpochBegin(e, total, n) {
      epoch = e;
      epochs = total;
      steps = n;
      taken = 0;
      last = 0;
    },
    onBatchBegin() {
      if (!hooks.withinEpoch || !hooks.stopRequested()) return;
      // The trainer frees the cut-off batch and the epoch's running loss sum when a callback throws.
      throw new StopSignal(taken);
    },
    onBatchEnd() {
      taken++;
      const now = performance.now();
      if (now - last < 100) return;
      last = now;
      hooks.post({ type: 'progress', model: label, epoch: epoch + 1, epochs, step: taken, steps });
    },
  };
}

/** The epoch's record as the dashboard reads a history.jsonl line (plain JSON; non-finite numbers as null). */
function toHistory(r: EpochRecord): HistoryRecord {
  const { memory: _memory, ...rest } = r as EpochRecord & { memory?: unknown };
  return JSON.parse(JSON.stringify(rest, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v))) as HistoryRecord;
}

/**
 * One studio run: its data, its models (the multi-task model first, then the baselines) and their
 * trainers. create() prepares it and posts 'started'; train() trains until the end or a Stop and tests
 * the models; after a Stop, train() again continues. dispose() frees every tensor (a run that ended or
 * was discarded).
 */
export class StudioExperiment {
  private rowsSeen = 0;
  private trainSeconds = 0;
  private ended = false;
  private disposed = false;

  private constructor(
    private readonly table: LoadedTable,
    private readonly c: CheckedStudioConfig,
    private readonly hooks: RunHooks,
    private readonly split: DatasetSplit,
    private readonly features: string[],
    private readonly fit: Dataset,
    private readonly val: Dataset | undefined,
    private readonly runs: Run[],
  ) {}

  /** Splits, encodes and checks the table, builds the models, and posts 'started'. */
  static create(table: LoadedTable, c: CheckedStudioConfig, hooks: RunHooks): StudioExperiment {
    const { split, features } = buildSplit(table, c);
    const taskNames = split.train.tasks.map((t) => t.name);
    const sanity = checkDataset(split, taskNames, { batchSize: c.train.batchSize });
    if (sanity.errors.length) throw new Error(sanity.errors.join('; '));
    const inputWidth = split.train.inputShape.reduce((a, b) => a * b, 1);
    const size = estimateParameters({ architecture: c.model.architecture, ...modelConfig(c), options: {} }, inputWidth, split.train.tasks.map((t) => t.outputSize));
    if (size && size.parameters > DEFAULT_LIMITS.maxParameters) {
      throw new Error(`the model would have about ${size.parameters.toLocaleString('en-US')} parameters, over ${DEFAULT_LIMITS.maxParameters.toLocaleString('en-US')}; the largest layer is ${size.largest.name}: make it smaller`);
    }
    const { fit, val } = validationSplit(split.train, c.train.validationSplit, c.seed);

    const runs: Run[] = [];
    const run = (label: string, names: string[], architecture: string): void => {
      const tasks = names.map((name) => createTask(fit.tasks.find((t) => t.name === name)!, {}, { values: fit.labels[name]!, n: fit.n }));
      const model = buildModel(architecture, { inputShape: fit.inputShape, tasks, seed: c.seed }, modelConfig(c), split.preprocessing);
      let trainer: Trainer;
      try {
        trainer = makeTrainer({ label, names, tasks, model }, c, val !== undefined, hooks);
      } catch (e) {
        model.dispose();
        throw e;
      }
      runs.push({ label, names, tasks, model, trainer, done: false, seconds: 0 });
    };
    try {
      run('mtl', taskNames, c.model.architecture);
      if (c.baselines && taskNames.length > 1) {
        const stlArchitecture = MULTI_TASK_ONLY.has(c.model.architecture) ? 'hps' : c.model.architecture;
        for (const name of taskNames) run(`stl:${name}`, [name], stlArchitecture);
      }
    } catch (e) {
      disposeRuns(runs);
      throw e;
    }
    const infos: TaskInfo[] = runs[0]!.tasks.map((t) => ({ name: t.name, kind: t.kind, primary: t.primary, higherIsBetter: t.higherIsBetter }));
    hooks.post({ type: 'started', tasks: infos, models: runs.map((r) => r.label), rows: { train: fit.n, val: val?.n ?? 0, test: split.test.n }, inputWidth, features, epochs: c.train.epochs });
    return new StudioExperiment(table, c, hooks, split, features, fit, val, runs);
  }

  /** The epochs each model has completed. */
  get epochs(): Record<string, number> {
    return Object.fromEntries(this.runs.map((r) => [r.label, r.trainer.epochsDone]));
  }

  /** Whether train() can continue this run (it was stopped, not ended or discarded). */
  get resumable(): boolean {
    return !this.ended && !this.disposed;
  }

  /**
   * Trains every model that has epochs left, in lockstep (the model with the fewest epochs next, in
   * list order), until all have ended or the page asks to stop; then tests the models as they are.
   */
  async train(): Promise<RunResult> {
    this.checkResumable();
    let stopped = false;
    let undone: Resumable['undone'];
    while (!stopped) {
      const pending = this.runs.filter((r) => !r.done);
      if (!pending.length) break;
      const epoch = Math.min(...pending.map((r) => r.trainer.epochsDone));
      for (const run of pending) {
        if (run.trainer.epochsDone > epoch) continue;
        const start = this.hooks.withinEpoch ? await EpochStart.take(run.trainer) : null;
        const t0 = performance.now();
        try {
          const result = await run.trainer.fit(this.fit, this.val);
          run.done = result.finished;
        } catch (e) {
          if (!(e instanceof StopSignal) || !start) {
            this.ended = true; // a model in the middle of an epoch: nothing to continue
            throw e;
          }
          // Undo the epoch's steps: the model as it was after its last whole epoch, in a fresh trainer.
          run.trainer = await start.restore(run.trainer, () => makeTrainer(run, this.c, this.val !== undefined, this.hooks));
          stopped = true;
          if (e.steps > 0) undone = { model: run.label, epoch: epoch + 1, steps: e.steps };
        } finally {
          start?.dispose();
        }
        run.seconds += (performance.now() - t0) / 1000;
        const last = run.trainer.records.at(-1);
        if (last && last.epoch === epoch + 1 && !stopped) {
          if (run.label === 'mtl') {
            this.rowsSeen += this.fit.n;
            this.trainSeconds += last.trainSeconds;
          }
          this.hooks.post({ type: 'epoch', model: run.label, record: toHistory(last), rowsPerSecond: this.rowsPerSecond });
        }
        await this.hooks.yieldNow();
        if (stopped || this.hooks.stopRequested()) {
          stopped = true;
          this.hooks.post({ type: 'stopping' });
          break;
        }
      }
    }
    // A Stop read after the last epoch of the last model stops nothing.
    if (this.runs.every((r) => r.done)) {
      stopped = false;
      undone = undefined;
      this.ended = true;
    }
    return { ...(await this.test()), stopped, rowsPerSecond: this.rowsPerSecond, resumable: this.ended ? null : { epochs: this.epochs, of: this.c.train.epochs, ...(undone ? { undone } : {}) } };
  }

  /** Posts 'resumed' and continues a stopped run. */
  async resume(): Promise<RunResult> {
    this.checkResumable();
    this.hooks.post({ type: 'resumed', epochs: this.epochs });
    return this.train();
  }

  private checkResumable(): void {
    if (this.disposed) throw new Error('this run was discarded: press Train');
    if (this.ended) throw new Error('this run has ended: press Train for a new one');
  }

  private get rowsPerSecond(): number {
    return this.trainSeconds > 0 ? this.rowsSeen / this.trainSeconds : 0;
  }

  /** Tests every model that trained at least one epoch; Δm% compares the primary metrics. The models are not changed. */
  private async test(): Promise<Omit<RunResult, 'stopped' | 'rowsPerSecond' | 'resumable'>> {
    const { c, split, table } = this;
    const [mtl, ...stl] = this.runs;
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
    const files = await modelFiles(mtl!.model, mtl!.tasks, this.fit.inputShape, split.preprocessing, table.format === 'tsv' ? 'tsv' : table.format);
    const featureSet = new Set(this.features);
    const testRows = split.test.n ? testIndices(table, c).slice(0, 20).map((r) => pick(record(table.columns, table.rows[r]!), featureSet)) : [];
    return { report, files, testRows };
  }

  /** Frees the models and trainers (idempotent). */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    disposeRuns(this.runs);
  }
}

function modelConfig(c: CheckedStudioConfig) {
  return { encoder: { type: 'mlp', hidden: c.model.hidden, activation: 'relu', dropout: 0 }, head: { hidden: c.model.head, activation: 'relu' } };
}

/** A trainer for `run`'s model (a fresh one replaces a trainer whose epoch a Stop cut off). */
function makeTrainer(run: Pick<Run, 'label' | 'names' | 'tasks' | 'model'>, c: CheckedStudioConfig, hasVal: boolean, hooks: RunHooks): Trainer {
  return new Trainer(run.model, run.tasks, {
    epochs: c.train.epochs,
    batchSize: c.train.batchSize,
    optimizer: { name: 'adam', lr: c.train.lr },
    weighting: { method: c.train.weighting, weights: Object.fromEntries(run.names.map((n) => [n, 1])), seed: c.seed },
    aggregator: c.train.aggregator ? { method: c.train.aggregator, mode: c.train.mode } : null,
    gradientStats: run.names.length > 1,
    earlyStopping: c.train.patience > 0 && hasVal ? { patience: c.train.patience } : null,
    seed: c.seed,
    label: run.label,
    maxEpochsThisCall: 1,
    callbacks: [progressCallback(run.label, hooks)],
  });
}

function disposeRuns(runs: Run[]): void {
  for (const r of runs) {
    r.trainer.dispose();
    r.model.dispose();
  }
}

function testIndices(table: LoadedTable, c: CheckedStudioConfig): number[] {
  return trainTestSplit(table.rows.length, c.train.testFraction, c.seed).test;
}

function pick(r: RawRecord, keep: Set<string>): RawRecord {
  return Object.fromEntries(Object.entries(r).filter(([k]) => keep.has(k)));
}
