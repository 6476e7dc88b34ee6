/**
 * The mtljs side of the bench: the library's own pieces (buildModel, createTask, Trainer.step, prepare /
 * makeBatch) so it measures what users get, with one of the bench methods (EW, or PCGrad through the
 * Trainer's `aggregator` option, in parameter or representation space). Times training steps (batch tensors created inside each
 * step, as in Trainer.fit) for a fixed wall time after a warm-up, samples the peak RSS, and checks that
 * the tensor count does not grow during the timed loop.
 *
 * A model comes as a `BenchSetup` (its tasks, prepared data, batch rows and a model builder): `imageSetup`
 * for the MNIST models (hps), `textSetup` for the SNIPS models (text-hps, bench/text-data.ts); the timed
 * loop (`measureSetup`) is the same for both.
 */
import { tf } from '../src/engine/tf.js';
import { shuffleIndices } from '../src/data/split.js';
import type { Dataset, TaskSpec } from '../src/data/types.js';
import { buildModel } from '../src/models/registry.js';
import type { MultiTaskModel } from '../src/models/types.js';
import { createTask } from '../src/tasks/registry.js';
import type { Task } from '../src/tasks/types.js';
import { disposeBatch, makeBatch, prepare, type PreparedData } from '../src/train/batches.js';
import { Trainer } from '../src/train/node/trainer.js';
import {
  benchAggregator, BENCH_SPECS, isTextBenchModel, TEXT_BENCH_SPECS, warmupDone,
  type BenchMethod, type BenchModel, type BenchModelName, type TextBenchModel,
} from './spec.js';
import type { TextBenchData } from './text-data.js';

export interface MeasureCommon {
  /** Timed wall time in seconds (warm-up not included). */
  seconds: number;
  /** The training method (bench/spec.ts BENCH_METHODS); default `ew`. */
  method?: BenchMethod;
  seed?: number;
}

export interface ImageMeasureOptions extends MeasureCommon {
  model: BenchModel;
  /** MNIST-shaped data with tasks `digit` (multiclass, 10 classes) and `box` (4 values per sample). */
  data: Dataset;
}

export interface TextMeasureOptions extends MeasureCommon {
  model: TextBenchModel;
  /** SNIPS token ids with tasks `intent` and `slots`, rows in batch order (bench/text-data.ts). */
  data: TextBenchData;
}

export type MeasureOptions = ImageMeasureOptions | TextMeasureOptions;

export interface MeasureResult {
  model: BenchModelName;
  method: BenchMethod;
  backend: string;
  stepsPerSec: number;
  /** Timed steps and their wall time. */
  steps: number;
  seconds: number;
  warmupSteps: number;
  warmupSeconds: number;
  /** Highest process RSS sampled (once a step) from model build to the end of the timed loop, MiB. */
  peakRssMB: number;
  /** Process RSS (MiB) when the timed loop starts (after warm-up) and when it ends: equal when steps leak nothing. */
  rssStartMB: number;
  rssEndMB: number;
  /** tf.memory().numTensors at the start and at the end of the timed loop. */
  tensorsStart: number;
  tensorsEnd: number;
  /** Sum of the task losses of the first step (before any update) and after the last step (training ran: it fell). */
  firstLoss: number;
  lastLoss: number;
}

/** What the timed loop needs of a model: its tasks, the prepared data, the batches' rows and a builder. */
export interface BenchSetup {
  model: BenchModelName;
  tasks: Task[];
  prepared: PreparedData;
  /** Row lists of full batches, cycled through in order. */
  batches: number[][];
  batchSize: number;
  lr: number;
  build(seed: number): MultiTaskModel;
}

/** The bench's two tasks: `digit` as in the dataset, `box` as a 4-output MSE regression. */
export function benchTasks(data: Dataset): { tasks: Task[]; dataset: Dataset } {
  const digit = data.tasks.find((t) => t.name === 'digit');
  if (!digit || !data.labels.box) throw new Error('bench data needs tasks "digit" and "box"');
  const boxSpec: TaskSpec = { name: 'box', kind: 'regression', width: 4, outputSize: 4, labelNames: ['x1', 'y1', 'x2', 'y2'] };
  const tasks = [createTask(digit), createTask(boxSpec, { loss: 'mse' }, { values: data.labels.box, n: data.n })];
  return { tasks, dataset: { ...data, tasks: [digit, boxSpec] } };
}

const rssMB = () => process.memoryUsage.rss() / (1024 * 1024);

/** The MNIST models (hps): the data's rows in a seeded shuffled order, cut into full batches. */
export function imageSetup(model: BenchModel, data: Dataset, seed = 0): BenchSetup {
  const spec = BENCH_SPECS[model];
  const shape = data.inputShape.join('x');
  if (shape !== spec.inputShape.join('x')) {
    throw new Error(`model ${model} needs input shape [${spec.inputShape}], the data has [${data.inputShape}]`);
  }
  if (data.n < spec.batchSize) throw new Error(`need at least ${spec.batchSize} samples, got ${data.n}`);
  const { tasks, dataset } = benchTasks(data);
  const order = shuffleIndices(data.n, seed);
  const batches: number[][] = [];
  for (let s = 0; s + spec.batchSize <= order.length; s += spec.batchSize) {
    batches.push(Array.prototype.slice.call(order, s, s + spec.batchSize) as number[]);
  }
  return {
    model, tasks, prepared: prepare(dataset, tasks.map((t) => t.name)), batches, batchSize: spec.batchSize, lr: spec.lr,
    build: (s) => buildModel('hps', { inputShape: data.inputShape, tasks, seed: s }, { encoder: spec.encoder }),
  };
}

/**
 * The SNIPS models (text-hps, as `mtl agent` builds its joint model): tasks from the dataset's specs,
 * batch k = rows [64k, 64k + 64) (the order bench/text-data.ts fixed, which PyTorch reads too).
 */
export function textSetup(model: TextBenchModel, data: TextBenchData): BenchSetup {
  const spec = TEXT_BENCH_SPECS[model];
  const ds = data.dataset;
  if (ds.inputShape.length !== 1) throw new Error(`model ${model} needs token ids of shape [L], the data has [${ds.inputShape}]`);
  if (data.batchSize !== spec.batchSize) throw new Error(`model ${model} trains on batches of ${spec.batchSize}, the data has ${data.batchSize}`);
  if (ds.n < spec.batchSize) throw new Error(`need at least ${spec.batchSize} sentences, got ${ds.n}`);
  const tasks = ['intent', 'slots'].map((name) => {
    const t = ds.tasks.find((x) => x.name === name);
    if (!t) throw new Error(`text bench data needs tasks "intent" and "slots" (it has ${ds.tasks.map((x) => x.name).join(', ')})`);
    return createTask(t);
  });
  const batches: number[][] = [];
  for (let s = 0; s + spec.batchSize <= ds.n; s += spec.batchSize) batches.push(Array.from({ length: spec.batchSize }, (_, i) => s + i));
  return {
    model, tasks, prepared: prepare(ds, tasks.map((t) => t.name)), batches, batchSize: spec.batchSize, lr: spec.lr,
    build: (s) => buildModel('text-hps', { inputShape: ds.inputShape, tasks, seed: s }, { vocabSize: data.vocabSize, ...spec.options }),
  };
}

export function measureMtljs(options: MeasureOptions): MeasureResult {
  const rss0 = rssMB();
  const setup = isTextMeasure(options) ? textSetup(options.model, options.data) : imageSetup(options.model, options.data, options.seed ?? 0);
  return measureSetup(setup, { seconds: options.seconds, method: options.method, seed: options.seed, peakRssMB: rss0 });
}

function isTextMeasure(o: MeasureOptions): o is TextMeasureOptions {
  return isTextBenchModel(o.model);
}

/** Times `setup`'s training steps: warm-up (bench/spec.ts warmupDone), then `seconds` of timed steps. */
export function measureSetup(setup: BenchSetup, options: MeasureCommon & { peakRssMB?: number }): MeasureResult {
  const seed = options.seed ?? 0;
  const method = options.method ?? 'ew';
  const { tasks, prepared, batches } = setup;
  let peak = Math.max(options.peakRssMB ?? 0, rssMB());

  let model: MultiTaskModel | null = null;
  let trainer: Trainer | null = null;
  try {
    model = setup.build(seed);
    // No gradient statistics for any method: in gradient mode they would add a Gramian per step that
    // PyTorch's side does not compute (for EW they are off by default anyway).
    trainer = new Trainer(model, tasks, {
      epochs: 1, batchSize: setup.batchSize, optimizer: { name: 'adam', lr: setup.lr }, seed, progress: 'silent',
      aggregator: benchAggregator(method), gradientStats: false,
    });
    let step = 0;
    let lastLoss = NaN;
    let firstLoss = NaN;
    const runStep = () => {
      const batch = makeBatch(prepared, batches[step % batches.length]);
      let losses: tf.Tensor;
      try {
        losses = trainer!.step(batch, 0, step);
      } finally {
        disposeBatch(batch);
      }
      // Reading the [T] losses every step (8 bytes) keeps the clock honest on backends that queue work.
      lastLoss = (losses.dataSync() as Float32Array).reduce((a, b) => a + b, 0);
      losses.dispose();
      if (step === 0) firstLoss = lastLoss;
      step++;
      const r = rssMB();
      if (r > peak) peak = r;
    };

    const w0 = performance.now();
    let warmupSteps = 0;
    while (!warmupDone(warmupSteps, (performance.now() - w0) / 1000, options.seconds)) {
      runStep();
      warmupSteps++;
    }
    const warmupSeconds = (performance.now() - w0) / 1000;
    if (!Number.isFinite(lastLoss)) throw new Error(`loss is not finite after warm-up (${lastLoss})`);

    const tensorsStart = tf.memory().numTensors;
    const rssStartMB = rssMB();
    const t0 = performance.now();
    let steps = 0;
    let elapsed = 0;
    do {
      runStep();
      steps++;
      elapsed = (performance.now() - t0) / 1000;
    } while (elapsed < options.seconds);
    const seconds = elapsed;
    const tensorsEnd = tf.memory().numTensors;
    const rssEndMB = rssMB();
    if (!Number.isFinite(lastLoss)) throw new Error(`loss is not finite after ${step} steps (${lastLoss})`);
    return {
      model: setup.model, method, backend: tf.getBackend(), stepsPerSec: steps / seconds, steps, seconds,
      warmupSteps, warmupSeconds, peakRssMB: peak, rssStartMB, rssEndMB, tensorsStart, tensorsEnd, firstLoss, lastLoss,
    };
  } finally {
    trainer?.dispose();
    model?.dispose();
  }
}
