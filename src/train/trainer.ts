/**
 * The training loop. It receives the model and the tasks, creates the loss weighting, the optimizer and
 * the per-step direction from its options, and owns only the schedule: seeded batches of an in-memory
 * Dataset (or the batches of a BatchSource, ./batch-source.ts: e.g. a file streamed from disk), one step
 * per batch (./step.ts), validation, and the epoch record. Everything around it is a callback
 * (./callbacks.ts): gradient statistics, affinity and early stopping are built from the options here;
 * progress, checkpoints and history files are Node-side callbacks (./node/), so this file — like the
 * rest of the core — imports no Node module and trains in a browser page as it does in Node.
 */
import { tf } from '../engine/tf.js';
import type { Dataset } from '../data/types.js';
import { epochBatches, extraSampleRows, samplePool, type Batching, type SamplePool } from './sampler.js';
import type { MultiTaskModel } from '../models/types.js';
import type { Metrics, Task } from '../tasks/types.js';
import { createWeighting } from '../weighting/registry.js';
import type { Weighting, WeightingContext } from '../weighting/types.js';
import { disposeBatch, makeBatch, prepare, type Batch, type PreparedData } from './batches.js';
import { EarlyStopping, initialEarlyStopping } from './early-stopping.js';
import { evaluateDataset } from './evaluate.js';
import { evaluateSource } from './evaluate-stream.js';
import { isBatchSource, rowBatchTensors, type BatchSource, type TrainingData } from './batch-source.js';
import { createOptimizer, optimizerState, restoreOptimizerState, type OptimizerConfig } from './optimizer.js';
import { aggregatorMethod } from '../aggregators/index.js';
import type { GradientMethod } from '../aggregators/method.js';
import { dropoutLayers, reseedDropout } from './dropout-seeds.js';
import { GradientStatsCallback } from './gradient-stats.js';
import { AffinityCallback } from './affinity.js';
import { gradientStep, type DirectionFn, type GradientMode } from './gradient-step.js';
import { wantsGramian } from './callbacks.js';
import type { EpochRecord, FitResult, TrainerCallback, TrainerHandle, TrainerOptions, TrainerSnapshot, TrainerState } from './types.js';

export type { EpochRecord, FitResult, TrainerOptions, TrainerSnapshot, TrainerState } from './types.js';
import { DivergenceGuard, type DivergenceOptions, type DivergencePolicy } from './divergence.js';
import { StepRunner } from './step.js';

/** The resident set size of this process in MiB, where there is a process to ask (Node). */
function residentMB(): number | undefined {
  const p = (globalThis as { process?: { memoryUsage?: { rss?: () => number } } }).process;
  const rss = p?.memoryUsage?.rss;
  return typeof rss === 'function' ? Math.round((rss() / (1024 * 1024)) * 10) / 10 : undefined;
}

function allFinite(vars: tf.Variable[]): boolean {
  if (!vars.length) return true;
  const s = tf.tidy(() => tf.addN(vars.map((v) => tf.sum(v))));
  const finite = Number.isFinite(s.dataSync()[0]);
  s.dispose();
  return finite;
}

export class Trainer implements TrainerHandle {
  readonly model: MultiTaskModel;
  readonly tasks: Task[];
  readonly options: TrainerOptions;
  readonly weighting: Weighting;
  protected readonly optimizer: tf.Optimizer;
  private readonly stepper: StepRunner;
  private readonly guard: DivergenceGuard;
  private readonly callbacks: TrainerCallback[];
  private readonly early: EarlyStopping | null;
  private readonly affinityCallback: AffinityCallback | null;
  /** How per-task gradients become one direction (an aggregator or a gradient-space weighting), or null in loss space. */
  private readonly method: GradientMethod | null;
  /** The method's state (GradVac's targets, GradNorm's weights, DB-MTL's buffers), held here between steps. */
  private methodState: unknown;
  /**
   * Independent minibatches per step the method asks for (GradientMethod.samples; 1 for all but MoDo
   * and SDMGrad): the step's batch plus samples − 1 drawn by the seeded sampler (sampler.ts).
   */
  private readonly samples: number;
  private history: EpochRecord[] = [];
  private nextEpoch = 0;
  private stopped = false;
  /** Steps taken over the whole run (seeds stochastic methods; saved in checkpoints). */
  private globalStep = 0;
  /** The model's Dropout layers, reseeded before each step (dropout-seeds.ts). */
  private dropout: ReturnType<typeof dropoutLayers> | null = null;

  constructor(model: MultiTaskModel, tasks: Task[], options: TrainerOptions) {
    this.model = model;
    this.tasks = tasks;
    this.options = options;
    const { method, ...rest } = options.weighting ?? { method: 'ew' };
    this.weighting = createWeighting(method, { ...rest, taskNames: tasks.map((t) => t.name) });
    if (options.aggregator) {
      // An unknown method, a misspelt option or a bad value fails here, not at the first step.
      const { method: aggMethod, ...aggOptions } = options.aggregator;
      if (this.weighting.gradient) {
        throw new Error(`weighting "${this.weighting.name}" works on gradients itself; it cannot be combined with aggregator "${aggMethod}"`);
      }
      this.method = aggregatorMethod(aggMethod, aggOptions);
    } else this.method = this.weighting.gradient ?? null;
    this.methodState = this.method?.init(tasks.length);
    this.samples = this.method?.samples ?? 1;
    if (!Number.isInteger(this.samples) || this.samples < 1) throw new Error(`method "${this.method!.name}" asks for ${this.samples} gradient samples per step: it must be a whole number ≥ 1`);
    if (this.samples > 1 && this.gradientMode !== 'param') {
      throw new Error(`method "${this.method!.name}" needs ${this.samples} independent gradient samples per step, which it takes of the shared parameters: use mode "param", not "rep"`);
    }
    this.optimizer = createOptimizer(options.optimizer);
    const div = typeof options.onDivergence === 'string' ? { policy: options.onDivergence } : options.onDivergence;
    this.guard = new DivergenceGuard(tasks.map((t) => t.name), div);
    this.stepper = new StepRunner(model, tasks, this.weighting, this.optimizer, { l2: options.l2 ?? 0, penalties: () => this.options.penalties ?? [], lr: options.optimizer.lr }, this.guard);

    const builtIn: TrainerCallback[] = [];
    const aff = options.affinity;
    this.affinityCallback = aff ? new AffinityCallback(model, tasks, aff.every ?? 10, aff.lr ?? options.optimizer.lr) : null;
    if (this.affinityCallback) builtIn.push(this.affinityCallback);
    const every = this.statsEvery();
    if (every) builtIn.push(new GradientStatsCallback(tasks.length, every));
    this.early = options.earlyStopping ? new EarlyStopping(tasks, options.earlyStopping.patience, options.earlyStopping.minDelta ?? 0) : null;
    if (this.early) builtIn.push(this.early);
    this.callbacks = [...builtIn, ...(options.callbacks ?? [])];
  }

  /** Whether steps differentiate each task separately (an aggregator or a gradient-space weighting). */
  get gradientMode(): GradientMode | null {
    if (this.options.aggregator) return this.options.aggregator.mode ?? 'param';
    return this.weighting.gradient ? 'param' : null;
  }

  /** Every how many steps gradient statistics are taken (0 = never). */
  private statsEvery(): number {
    const o = this.options.gradientStats;
    if (o === false || this.tasks.length < 2) return 0;
    if (o === undefined) return this.gradientMode ? 1 : 0;
    if (o === true) return this.gradientMode ? 1 : 10;
    return o.every ?? (this.gradientMode ? 1 : 10);
  }

  /** Ends the run after the current epoch (early stopping asks this). */
  requestStop(): void {
    this.stopped = true;
  }

  /** Whether the run ends after this epoch. */
  get stopRequested(): boolean {
    return this.stopped;
  }

  /** The direction of a gradient-space step; the callbacks that asked for it get this step's Gramian. */
  private direction(step: number, ctx: WeightingContext): DirectionFn {
    const inner = this.innerDirection(step, ctx);
    if (!wantsGramian(this.callbacks, step)) return inner;
    return (G, losses, samples) => {
      this.emitGramian(G.gramian(), step);
      return inner(G, losses, samples);
    };
  }

  private emitGramian(M: number[][], step: number): void {
    for (const c of this.callbacks) {
      const every = c.gramianEvery?.() ?? 0;
      if (every > 0 && step % every === 0) c.onGramian?.(M, step);
    }
  }

  private innerDirection(step: number, ctx: WeightingContext): DirectionFn {
    const method = this.method;
    if (!method) return (G) => ({ weights: new Array<number>(G.T).fill(1) });
    return (G, losses, samples) => {
      const { direction, state } = method.update(G, this.methodState, { epoch: ctx.epoch, step, seed: this.options.seed, losses, ...(samples ? { samples } : {}) });
      this.methodState = state;
      return direction;
    };
  }

  /** In loss mode, per-task gradients are computed only for the callbacks that want a Gramian, then dropped. */
  private lossModeGramian(batch: Batch, ctx: WeightingContext): void {
    if (!wantsGramian(this.callbacks, ctx.step)) return;
    const { grads, losses } = gradientStep({
      model: this.model, tasks: this.tasks, weighting: this.weighting, batch, ctx, mode: 'param',
      direction: (G) => {
        this.emitGramian(G.gramian(), ctx.step);
        return { weights: new Array<number>(G.T).fill(0) };
      },
    });
    grads.forEach((g) => g.dispose());
    losses.dispose();
  }

  /**
   * One optimizer step on a batch; returns the per-task losses as a [T] tensor (caller disposes). A
   * multi-sample method (samples = k > 1) needs `extra`, k − 1 more batches (fit draws them); they are
   * the caller's to dispose.
   */
  step(batch: Batch, epoch: number, step: number, extra?: Batch[]): tf.Tensor {
    if ((extra?.length ?? 0) !== this.samples - 1) {
      throw new Error(`method "${this.method?.name ?? this.weighting.name}" takes ${this.samples} independent minibatches per step: the step's batch and ${this.samples - 1} more, got ${extra?.length ?? 0} more`);
    }
    this.dropout ??= dropoutLayers(this.model.layersModel());
    if (this.dropout.length) reseedDropout(this.dropout, this.options.seed, step);
    const mode = this.gradientMode;
    const ctx = { epoch, step };
    if (!mode) this.lossModeGramian(batch, ctx);
    for (const c of this.callbacks) c.onBatchBegin?.(batch, step);
    const label = this.options.label ? `${this.options.label}, ` : '';
    return this.stepper.run(batch, ctx, mode, mode ? this.direction(step, ctx) : null, this.methodState, `${label}epoch ${epoch + 1}, step ${step + 1}`, extra);
  }

  /** The schedule and plug-in state (and the optimizer's and early stopping's tensors) for a checkpoint. */
  async snapshot(): Promise<TrainerSnapshot> {
    const named: Record<string, unknown> = {};
    for (const c of this.callbacks) if (c.name && c.name !== 'early' && c.state) named[c.name] = c.state();
    const state: TrainerState = {
      epoch: this.nextEpoch - 1, history: this.history, early: this.early?.state() ?? initialEarlyStopping(), stopped: this.stopped,
      weighting: this.weighting.state?.() ?? null, aggregator: this.method?.encode ? this.method.encode(this.methodState) : this.methodState, seed: this.options.seed, globalStep: this.globalStep,
      ...(Object.keys(named).length ? { callbacks: named } : {}),
    };
    return { state, optimizer: await optimizerState(this.optimizer), best: this.early?.bestWeights() ?? null };
  }

  /** Restores the model's weights, the optimizer, the plug-ins and the schedule from a checkpoint. */
  async restore(checkpoint: TrainerSnapshot & { modelWeights: tf.Tensor[] }): Promise<void> {
    const lm = this.model.layersModel();
    if (checkpoint.modelWeights.length !== lm.weights.length) {
      throw new Error(`checkpoint has ${checkpoint.modelWeights.length} weight tensors, the model ${lm.weights.length}: the config changed since it was saved`);
    }
    lm.setWeights(checkpoint.modelWeights);
    checkpoint.modelWeights.forEach((t) => t.dispose());
    if (checkpoint.optimizer.length) await restoreOptimizerState(this.optimizer, checkpoint.optimizer);
    const s = checkpoint.state;
    this.weighting.restore?.(s.weighting);
    if (this.method) this.methodState = s.aggregator == null ? this.method.init(this.tasks.length) : this.method.decode ? this.method.decode(s.aggregator, this.tasks.length) : s.aggregator;
    this.history = s.history as EpochRecord[];
    this.nextEpoch = s.epoch + 1;
    this.globalStep = s.globalStep ?? 0;
    this.stopped = s.stopped;
    this.early?.restore(s.early);
    this.early?.setBestWeights(checkpoint.best);
    if (!this.early) checkpoint.best?.forEach((t) => t.dispose());
    for (const c of this.callbacks) if (c.name && c.name !== 'early' && s.callbacks && c.name in s.callbacks) c.restore?.(s.callbacks[c.name]);
  }

  /**
   * One optimizer step on `batch` (disposed here); returns the running sum of row-weighted losses. With
   * `pool` (a multi-sample method), the step's extra batches are drawn from it for this global step.
   */
  private trainStep(batch: Batch, epoch: number, lossSum: tf.Tensor, pool?: { data: PreparedData; pool: SamplePool }): tf.Tensor {
    const step = this.globalStep++;
    const extra = pool ? Array.from({ length: this.samples - 1 }, (_, k) => {
      const { rows, slice } = extraSampleRows(pool.pool, this.options.batchSize, this.options.seed, step, k + 1);
      return makeBatch(pool.data, rows, slice);
    }) : undefined;
    let losses: tf.Tensor;
    try {
      losses = this.step(batch, epoch, step, extra);
    } finally {
      // Also when the step (or a callback in it: a stop request) throws.
      extra?.forEach(disposeBatch);
      disposeBatch(batch);
    }
    const values = losses.dataSync() as Float32Array;
    if (this.stepper.lastApplied) {
      const next = tf.tidy(() => tf.add(lossSum, tf.mul(losses, batch.size)));
      lossSum.dispose();
      lossSum = next;
    }
    for (const c of this.callbacks) c.onBatchEnd?.(step, values);
    losses.dispose();
    return lossSum;
  }

  /**
   * Trains on an in-memory Dataset (seeded batches, ./sampler.ts) or on a BatchSource (./batch-source.ts:
   * e.g. a file streamed from disk, already shuffled per epoch); validates on either after each epoch.
   */
  async fit(train: TrainingData, val?: TrainingData): Promise<FitResult> {
    const o = this.options;
    const names = this.tasks.map((t) => t.name);
    const source = isBatchSource(train) ? train : null;
    if (source && (o.batching ?? 'mixed') !== 'mixed') throw new Error(`batching: ${o.batching} needs the data in memory (a streamed source yields mixed batches)`);
    if (source && this.samples > 1) {
      throw new Error(`method "${this.method!.name}" draws ${this.samples - 1} extra minibatches per step at random, which needs the training data in memory (a streamed source is read in order)`);
    }
    const data = source ? null : prepare(train as Dataset, names);
    const pool = data && this.samples > 1 ? { data, pool: samplePool(data, o.batching ?? 'mixed') } : undefined;
    const widths = source ? names.map((name) => {
      const spec = source.tasks.find((t) => t.name === name);
      if (!spec) throw new Error(`dataset "${source.name}" has no task "${name}" (it has ${source.tasks.map((t) => t.name).join(', ')})`);
      return { name, width: spec.width };
    }) : [];
    let epochsThisCall = 0;
    let result: FitResult | undefined;
    for (const c of this.callbacks) await c.onTrainBegin?.(this, train);
    try {
      for (let epoch = this.nextEpoch; epoch < o.epochs && !this.stopped; epoch++) {
        if (o.maxEpochsThisCall !== undefined && epochsThisCall >= o.maxEpochsThisCall) break;
        const t0 = performance.now();
        const steps = data ? epochBatches(data, o.batchSize, o.seed, epoch, o.batching ?? 'mixed') : null;
        // A stream's step count is known from its first pass's row count.
        for (const c of this.callbacks) c.onEpochBegin?.(epoch, o.epochs, steps ? steps.length : Math.ceil(source!.n / o.batchSize));
        const skippedBefore = this.guard.skipped;
        let lossSum = tf.zeros([this.tasks.length]);
        let rowsSeen = 0;
        let meanLosses: number[];
        try {
          if (steps) {
            for (const { rows, slice } of steps) {
              lossSum = this.trainStep(makeBatch(data!, rows, slice), epoch, lossSum, pool);
              rowsSeen += rows.length;
            }
          } else {
            for await (const b of source!.epochBatches(epoch, o.batchSize, o.seed)) {
              lossSum = this.trainStep(rowBatchTensors(b, source!.inputShape, widths), epoch, lossSum);
              rowsSeen += b.n;
            }
          }
          meanLosses = Array.from(lossSum.dataSync()).map((v) => v / rowsSeen);
        } finally {
          // Also when a step or a callback inside it throws (a stop request, a divergence): no tensor left behind.
          lossSum.dispose();
        }
        const trainSeconds = (performance.now() - t0) / 1000;
        this.guard.checkWeights(allFinite(this.model.trainableVariables()), `${o.label ? `${o.label}, ` : ''}the end of epoch ${epoch + 1}`);
        this.weighting.endEpoch?.(meanLosses);
        const lambda = this.method?.reportedWeights?.(this.methodState) ?? this.weighting.weights();
        const record: EpochRecord = {
          epoch: epoch + 1,
          seconds: 0,
          trainSeconds,
          weights: Object.fromEntries(names.map((n, i) => [n, lambda[i]!])),
          train: Object.fromEntries(names.map((n, i) => [n, { loss: meanLosses[i]! }])),
          memory: { tensors: tf.memory().numTensors, rssMB: residentMB() },
        };
        if (this.guard.skipped > skippedBefore) record.skippedBatches = this.guard.skipped - skippedBefore;
        if (val) record.val = isBatchSource(val) ? (await evaluateSource(this.model, this.tasks, val)).metrics : evaluateDataset(this.model, this.tasks, val).metrics;
        record.seconds = (performance.now() - t0) / 1000;
        this.history.push(record);
        this.nextEpoch = epoch + 1;
        epochsThisCall++;
        // In list order: the built-in callbacks complete the record (statistics, best epoch, a stop
        // request) before progress prints it and a checkpoint stores it.
        for (const c of this.callbacks) await c.onEpochEnd?.(record, this);
        o.onEpoch?.(record);
      }
      const finished = this.stopped || this.nextEpoch >= o.epochs;
      result = { history: this.history, bestEpoch: this.early && val ? this.early.bestEpoch : this.nextEpoch, stoppedEarly: this.stopped, finished };
      return result;
    } finally {
      for (const c of this.callbacks) await c.onTrainEnd?.(result, this);
    }
  }

  /** The epoch records so far. */
  get records(): readonly EpochRecord[] {
    return this.history;
  }

  /** Epochs completed so far (over resumes). */
  get epochsDone(): number {
    return this.nextEpoch;
  }

  /** Mean inter-task affinity over all measured steps of this trainer (T×T), if measured. */
  affinity(): number[][] | undefined {
    return this.affinityCallback?.mean();
  }

  /** Metrics (and losses) of the current model on a dataset. */
  evaluate(ds: Dataset): Record<string, Metrics> {
    return evaluateDataset(this.model, this.tasks, ds).metrics;
  }

  /** Metrics (and losses) of the current model on a BatchSource (a streamed validation or test file). */
  async evaluateSource(source: BatchSource): Promise<Record<string, Metrics>> {
    return (await evaluateSource(this.model, this.tasks, source)).metrics;
  }

  dispose(): void {
    this.early?.dispose();
    this.stepper.dispose();
    this.optimizer.dispose();
    // The weighting was created by this trainer: its trainable variables (UW's log-variances) are its own.
    this.weighting.variables?.().forEach((v) => v.dispose());
  }
}
