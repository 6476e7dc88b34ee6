/**
 * The mtljs side of the bench: the library's own pieces (buildModel, createTask, Trainer.step, prepare /
 * makeBatch) so it measures what users get, with one of the bench methods (EW, or PCGrad through the
 * Trainer's `aggregator` option, in parameter or representation space). Times training steps (batch tensors created inside each
 * step, as in Trainer.fit) for a fixed wall time after a warm-up, samples the peak RSS, and checks that
 * the tensor count does not grow during the timed loop.
 */
import { tf } from '../src/engine/tf.js';
import { shuffleIndices } from '../src/data/split.js';
import type { Dataset, TaskSpec } from '../src/data/types.js';
import { buildModel } from '../src/models/registry.js';
import type { MultiTaskModel } from '../src/models/types.js';
import { createTask } from '../src/tasks/registry.js';
import type { Task } from '../src/tasks/types.js';
import { disposeBatch, makeBatch, prepare } from '../src/train/batches.js';
import { Trainer } from '../src/train/node/trainer.js';
import { benchAggregator, BENCH_LR, BENCH_SPECS, warmupDone, type BenchMethod, type BenchModel } from './spec.js';

export interface MeasureOptions {
  model: BenchModel;
  /** MNIST-shaped data with tasks `digit` (multiclass, 10 classes) and `box` (4 values per sample). */
  data: Dataset;
  /** Timed wall time in seconds (warm-up not included). */
  seconds: number;
  /** The training method (bench/spec.ts BENCH_METHODS); default `ew`. */
  method?: BenchMethod;
  seed?: number;
}

export interface MeasureResult {
  model: BenchModel;
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
  /** Sum of the task losses after the last step (a sanity check that training ran). */
  lastLoss: number;
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

export function measureMtljs(options: MeasureOptions): MeasureResult {
  const spec = BENCH_SPECS[options.model];
  const seed = options.seed ?? 0;
  const method = options.method ?? 'ew';
  const { data } = options;
  const shape = data.inputShape.join('x');
  if (shape !== spec.inputShape.join('x')) {
    throw new Error(`model ${options.model} needs input shape [${spec.inputShape}], the data has [${data.inputShape}]`);
  }
  if (data.n < spec.batchSize) throw new Error(`need at least ${spec.batchSize} samples, got ${data.n}`);

  let peak = rssMB();
  const { tasks, dataset } = benchTasks(data);
  const prepared = prepare(dataset, tasks.map((t) => t.name));
  // Row lists of full batches, built up front; the batch tensors are made inside each step.
  const order = shuffleIndices(data.n, seed);
  const batches: number[][] = [];
  for (let s = 0; s + spec.batchSize <= order.length; s += spec.batchSize) {
    batches.push(Array.prototype.slice.call(order, s, s + spec.batchSize) as number[]);
  }

  let model: MultiTaskModel | null = null;
  let trainer: Trainer | null = null;
  try {
    model = buildModel('hps', { inputShape: data.inputShape, tasks, seed }, { encoder: spec.encoder });
    // No gradient statistics for any method: in gradient mode they would add a Gramian per step that
    // PyTorch's side does not compute (for EW they are off by default anyway).
    trainer = new Trainer(model, tasks, {
      epochs: 1, batchSize: spec.batchSize, optimizer: { name: 'adam', lr: BENCH_LR }, seed, progress: 'silent',
      aggregator: benchAggregator(method), gradientStats: false,
    });
    let step = 0;
    let lastLoss = NaN;
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
      model: options.model, method, backend: tf.getBackend(), stepsPerSec: steps / seconds, steps, seconds,
      warmupSteps, warmupSeconds, peakRssMB: peak, rssStartMB, rssEndMB, tensorsStart, tensorsEnd, lastLoss,
    };
  } finally {
    trainer?.dispose();
    model?.dispose();
  }
}
