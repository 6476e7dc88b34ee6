/**
 * The training loop. It composes the plug-ins chosen by name — the architecture (a MultiTaskModel),
 * the tasks (losses, metrics), the loss weighting — and owns only the schedule: seeded batches,
 * one optimizer step per batch, validation, early stopping, history, checkpoints and resume.
 */
import fs from 'node:fs';
import path from 'node:path';
import { tf } from '../engine/tf.js';
import type { Dataset, PreprocessingState } from '../data/types.js';
import { epochBatches, type Batching } from './sampler.js';
import type { MultiTaskModel } from '../models/types.js';
import type { Metrics, Task } from '../tasks/types.js';
import { createWeighting } from '../weighting/registry.js';
import type { Weighting } from '../weighting/types.js';
import { disposeBatch, makeBatch, prepare, type Batch } from './batches.js';
import { initialEarlyStopping, observeEpoch, type EarlyStoppingState } from './early-stopping.js';
import { evaluateDataset } from './evaluate.js';
import { createOptimizer, optimizerState, restoreOptimizerState, type OptimizerConfig } from './optimizer.js';
import { createProgress, type Progress } from './progress.js';
import { loadCheckpoint, saveCheckpoint, type TrainerState } from './checkpoint.js';
import { writeFileAtomic } from './atomic.js';
import { aggregate, checkAggregatorOptions, isGramianMethod, weightsFromGramian } from '../aggregators/index.js';
import type { WeightingContext } from '../weighting/types.js';
import { dropoutLayers, reseedDropout } from './dropout-seeds.js';
import { GradientStatsAccumulator } from './gradient-stats.js';
import { AffinityAccumulator, lookaheadAffinity } from './affinity.js';
import { batchLosses, gradientStep, type DirectionFn, type GradientMode } from './gradient-step.js';
import { buildManifest, type Manifest } from '../models/manifest.js';

export interface TrainerOptions {
  epochs: number;
  batchSize: number;
  optimizer: OptimizerConfig;
  /** λ of the L2 penalty λ‖θ‖² on the shared parameters. */
  l2?: number;
  weighting?: { method: string; [key: string]: unknown };
  /**
   * Combine per-task gradients with a gradient-aggregation method (PCGrad, MGDA, …), on the shared
   * parameters (`param`, default) or on the shared representation (`rep`).
   */
  aggregator?: { method: string; mode?: GradientMode; [key: string]: unknown } | null;
  /** Stop when the validation score has not improved for `patience` epochs; restore the best weights. */
  earlyStopping?: { patience: number; minDelta?: number } | null;
  seed: number;
  /** Folder for history.jsonl and checkpoint/; nothing is written without it. */
  runDir?: string;
  /** Save a checkpoint every N epochs (default 1) when runDir is set. */
  checkpointEvery?: number;
  progress?: 'auto' | 'bar' | 'lines' | 'silent';
  label?: string;
  /** Stored in the checkpoint's manifest. */
  preprocessing?: PreprocessingState;
  dataset?: Manifest['dataset'];
  /** Run at most this many epochs in this call (the run can be resumed later); for tests and time limits. */
  maxEpochsThisCall?: number;
  onEpoch?: (record: EpochRecord) => void;
  /**
   * Extra terms added to the objective inside the gradient tape, e.g. EWC's Fisher penalty or LwF's
   * distillation loss. Each gets the batch and the forward logits and returns a scalar.
   */
  penalties?: ((batch: Batch, logits: tf.Tensor[]) => tf.Tensor)[];
  /**
   * Gradient conflict analysis (pairwise cosines of per-task gradients) in the history. Free in
   * gradient mode (the per-task gradients exist anyway); in loss mode it costs T extra backward passes
   * on every `every`-th step (default 10). Default: on in gradient mode, off otherwise.
   */
  gradientStats?: boolean | { every?: number };
  /**
   * Inter-task affinity (TAG lookahead, src/train/affinity.ts) every `every` steps, with lookahead
   * step size `lr` (default: the optimizer's learning rate). Per epoch in the history; overall mean
   * from `trainer.affinity()`.
   */
  affinity?: { every?: number; lr?: number } | null;
  /** `mixed` (default) or `per-task`: each step takes batchSize rows of every task (multi-input data). */
  batching?: Batching;
}

export interface EpochRecord {
  epoch: number;
  /** Wall time of the epoch, validation included. */
  seconds: number;
  /** Wall time of the epoch's training steps alone. */
  trainSeconds: number;
  /** Task weights λ in effect at the end of the epoch. */
  weights: Record<string, number>;
  /** Mean training loss per task. */
  train: Record<string, { loss: number }>;
  /** Validation loss and metrics per task (when there is a validation set). */
  val?: Record<string, Metrics>;
  score?: number;
  best?: boolean;
  /** Mean pairwise cosine of the per-task shared gradients over the epoch (T×T). */
  gradCosine?: number[][];
  /** Share of analysed steps in which tasks i and j conflict (cos < 0). */
  conflictShare?: number[][];
  /** Share of analysed steps with at least one conflicting pair. */
  conflictSteps?: number;
  /** Mean lookahead affinity Z_{i→j} over the epoch's measured steps. */
  affinity?: number[][];
  /** Live tfjs tensors and (in Node) the process's resident memory at the end of the epoch's steps: flat across epochs when nothing leaks. */
  memory: { tensors: number; rssMB?: number };
}

/** The resident set size of this process in MiB, where there is a process to ask (Node). */
function residentMB(): number | undefined {
  const p = (globalThis as { process?: { memoryUsage?: { rss?: () => number } } }).process;
  const rss = p?.memoryUsage?.rss;
  return typeof rss === 'function' ? Math.round((rss() / (1024 * 1024)) * 10) / 10 : undefined;
}

export interface FitResult {
  history: EpochRecord[];
  bestEpoch: number;
  stoppedEarly: boolean;
  /** True when the run reached its last epoch or stopped early (false if cut by maxEpochsThisCall). */
  finished: boolean;
}

export class Trainer {
  readonly model: MultiTaskModel;
  readonly tasks: Task[];
  readonly options: TrainerOptions;
  readonly weighting: Weighting;
  private optimizer: tf.Optimizer;
  private readonly sharedSet: Set<tf.Variable>;
  /** Persistent state of stateful aggregators (GradVac's targets). */
  private aggregatorState: Record<string, unknown> = {};
  private readonly stats: GradientStatsAccumulator;
  private epochAffinity: AffinityAccumulator;
  private totalAffinity: AffinityAccumulator;
  private history: EpochRecord[] = [];
  private nextEpoch = 0;
  private early: EarlyStoppingState = initialEarlyStopping();
  private bestWeights: tf.Tensor[] | null = null;
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
      checkAggregatorOptions(aggMethod, aggOptions);
    }
    this.optimizer = createOptimizer(options.optimizer);
    this.sharedSet = new Set(model.sharedVariables());
    this.stats = new GradientStatsAccumulator(tasks.length);
    this.epochAffinity = new AffinityAccumulator(tasks.length);
    this.totalAffinity = new AffinityAccumulator(tasks.length);
    if (options.aggregator && this.weighting.combineGradients) {
      throw new Error(`weighting "${this.weighting.name}" works on gradients itself; it cannot be combined with aggregator "${options.aggregator.method}"`);
    }
  }

  /** Variables the optimizer updates, in a fixed order (optimizer state is restored by position). */
  private variables(): tf.Variable[] {
    return [...this.model.trainableVariables(), ...(this.weighting.variables?.() ?? [])];
  }

  /** Whether steps differentiate each task separately (an aggregator or a gradient-space weighting). */
  get gradientMode(): GradientMode | null {
    if (this.options.aggregator) return this.options.aggregator.mode ?? 'param';
    return this.weighting.combineGradients ? 'param' : null;
  }

  /** Every how many steps gradient statistics are taken (0 = never). */
  private statsEvery(): number {
    const o = this.options.gradientStats;
    if (o === false || this.tasks.length < 2) return 0;
    if (o === undefined) return this.gradientMode ? 1 : 0;
    if (o === true) return this.gradientMode ? 1 : 10;
    return o.every ?? (this.gradientMode ? 1 : 10);
  }

  private direction(step: number, ctx: WeightingContext): DirectionFn {
    const inner = this.innerDirection(step, ctx);
    const every = this.statsEvery();
    if (!every || step % every !== 0) return inner;
    return (G, losses) => {
      this.stats.addGramian(G.gramian());
      return inner(G, losses);
    };
  }

  private innerDirection(step: number, ctx: WeightingContext): DirectionFn {
    const agg = this.options.aggregator;
    if (agg) {
      const { method, mode: _mode, ...rest } = agg;
      // Stochastic methods get a seed per step, so a resumed run draws what the uninterrupted one drew.
      const options = { ...rest, seed: this.options.seed * 1_000_003 + step, state: this.aggregatorState };
      // Gramian methods never need G's values in JavaScript: M = GGᵀ and d = Gᵀβ stay on the device.
      if (isGramianMethod(method)) return (G) => ({ weights: weightsFromGramian(method, G.gramian(), options) });
      return (G) => ({ vector: aggregate(method, G.rows(), options) });
    }
    if (this.weighting.combineGradients) return (G, losses) => ({ vector: this.weighting.combineGradients!(G.rows(), losses, ctx) });
    return (G) => ({ weights: new Array<number>(G.T).fill(1) });
  }

  /** One optimizer step on a batch; returns the per-task losses as a [T] tensor (caller disposes). */
  step(batch: Batch, epoch: number, step: number): tf.Tensor {
    this.dropout ??= dropoutLayers(this.model.layersModel());
    if (this.dropout.length) reseedDropout(this.dropout, this.options.seed, step);
    const mode = this.gradientMode;
    const ctx = { epoch, step };
    if (!mode) this.lossModeStats(batch, ctx);
    const aff = this.options.affinity;
    if (aff && ctx.step % (aff.every ?? 10) === 0) {
      const Z = lookaheadAffinity(this.model, this.tasks, batch, aff.lr ?? this.options.optimizer.lr);
      this.epochAffinity.add(Z);
      this.totalAffinity.add(Z);
    }
    const losses = mode ? this.gradientSpaceStep(batch, ctx, mode) : this.lossSpaceStep(batch, ctx);
    if (this.weighting.afterStep) {
      const before = Array.from(losses.dataSync());
      this.weighting.afterStep(before, () => batchLosses(this.model, this.tasks, batch), ctx);
    }
    return losses;
  }

  private gradientSpaceStep(batch: Batch, ctx: WeightingContext, mode: GradientMode): tf.Tensor {
    const { grads, losses } = gradientStep({
      model: this.model, tasks: this.tasks, weighting: this.weighting, batch, ctx, mode, direction: this.direction(ctx.step, ctx),
    });
    const l2 = this.options.l2 ?? 0;
    const named: tf.NamedTensorMap = {};
    for (const v of this.model.trainableVariables()) {
      let g = grads.get(v);
      if (!g) continue;
      // d/dθ λ‖θ‖² = 2λθ on the shared parameters, added after aggregation (it is not a task's gradient).
      if (l2 > 0 && this.sharedSet.has(v)) {
        const withL2 = tf.tidy(() => tf.add(g!, tf.mul(2 * l2, v)));
        g.dispose();
        g = withL2;
      }
      named[v.name] = g;
    }
    this.addPenaltyGradients(batch, named);
    this.apply(named, ctx.step);
    Object.values(named).forEach((g) => g.dispose());
    return losses;
  }

  /**
   * Applies the optimizer. With an alternating schedule, variables outside this step's group are put
   * back to their values afterwards: a zero gradient would not freeze them under Adam (its momentum
   * keeps moving them), and a missing one would shift Adam's per-position state.
   */
  private apply(named: tf.NamedTensorMap, step: number): void {
    const frozen: [tf.Variable, tf.Tensor][] = [];
    if (this.model.variablesForStep) {
      const active = new Set(this.model.variablesForStep(step));
      // Only the model's own variables follow its schedule; a weighting's (UW's log σ²) always train.
      for (const v of this.model.trainableVariables()) if (!active.has(v) && named[v.name]) frozen.push([v, tf.clone(v)]);
    }
    this.optimizer.applyGradients(named);
    for (const [v, value] of frozen) {
      v.assign(value);
      value.dispose();
    }
  }

  /** In loss mode, per-task gradients are computed for the statistics only, and then dropped. */
  private lossModeStats(batch: Batch, ctx: WeightingContext): void {
    const every = this.statsEvery();
    if (!every || ctx.step % every !== 0) return;
    const { grads, losses } = gradientStep({
      model: this.model, tasks: this.tasks, weighting: this.weighting, batch, ctx, mode: 'param',
      direction: (G) => {
        this.stats.addGramian(G.gramian());
        return { weights: new Array<number>(G.T).fill(0) };
      },
    });
    grads.forEach((g) => g.dispose());
    losses.dispose();
  }

  /** Penalties are not a task's gradient: their gradient is added after aggregation, like L2. */
  private addPenaltyGradients(batch: Batch, named: tf.NamedTensorMap): void {
    const penalties = this.options.penalties ?? [];
    const reg = this.model.regularization?.bind(this.model);
    if (!penalties.length && !reg) return;
    const vars = this.model.trainableVariables();
    const { value, grads } = tf.variableGrads(() => {
      const terms = penalties.length ? [tf.addN(penalties.map((p) => p(batch, this.model.forward(batch.x, true).logits)))] : [];
      if (reg) terms.push(reg());
      return tf.addN(terms) as tf.Scalar;
    }, vars);
    value.dispose();
    for (const v of vars) {
      const g = grads[v.name];
      if (!g) continue;
      if (named[v.name]) {
        const sum = tf.add(named[v.name], g);
        named[v.name].dispose();
        g.dispose();
        named[v.name] = sum;
      } else named[v.name] = g;
    }
  }

  private lossSpaceStep(batch: Batch, ctx: WeightingContext): tf.Tensor {
    const { epoch, step } = ctx;
    const l2 = this.options.l2 ?? 0;
    const shared = this.model.sharedVariables();
    let taskLosses: tf.Tensor | null = null;
    const { value, grads } = tf.variableGrads(() => {
      const { logits } = this.model.forward(batch.x, true);
      const losses = this.tasks.map((t, i) => t.loss(logits[i], batch.labels[i], batch.masks[i]));
      taskLosses = tf.keep(tf.stack(losses));
      let total = this.weighting.combine(losses, { epoch, step });
      for (const p of this.options.penalties ?? []) total = tf.add(total, p(batch, logits));
      if (this.model.regularization) total = tf.add(total, this.model.regularization());
      if (l2 > 0 && shared.length) total = tf.add(total, tf.mul(l2, tf.addN(shared.map((v) => tf.sum(tf.square(v))))));
      return total as tf.Scalar;
    }, this.variables());
    this.apply(grads, step);
    value.dispose();
    Object.values(grads).forEach((g) => g.dispose());
    return taskLosses!;
  }

  /** Restores model, optimizer, weighting and schedule from `<runDir>/checkpoint` (if present). */
  async resume(): Promise<boolean> {
    if (!this.options.runDir) throw new Error('resume needs a runDir');
    const ckpt = loadCheckpoint(this.options.runDir);
    if (!ckpt) return false;
    const lm = this.model.layersModel();
    if (ckpt.modelWeights.length !== lm.weights.length) {
      throw new Error(`checkpoint has ${ckpt.modelWeights.length} weight tensors, the model ${lm.weights.length}: the config changed since it was saved`);
    }
    lm.setWeights(ckpt.modelWeights);
    ckpt.modelWeights.forEach((t) => t.dispose());
    if (ckpt.optimizer.length) await restoreOptimizerState(this.optimizer, ckpt.optimizer);
    this.weighting.restore?.(ckpt.state.weighting);
    this.aggregatorState = (ckpt.state.aggregator as Record<string, unknown> | undefined) ?? {};
    this.history = ckpt.state.history as EpochRecord[];
    this.nextEpoch = ckpt.state.epoch + 1;
    this.globalStep = ckpt.state.globalStep ?? 0;
    this.early = ckpt.state.early;
    this.stopped = ckpt.state.stopped;
    this.bestWeights?.forEach((t) => t.dispose());
    this.bestWeights = ckpt.best;
    return true;
  }

  private snapshotBest(): void {
    this.bestWeights?.forEach((t) => t.dispose());
    this.bestWeights = this.model.trainableVariables().map((v) => tf.clone(v));
  }

  private restoreBest(): void {
    if (!this.bestWeights) return;
    this.model.trainableVariables().forEach((v, i) => v.assign(this.bestWeights![i]));
  }

  private manifest(inputShape: number[]): Manifest {
    return buildManifest({
      architecture: this.model.architecture, inputShape, tasks: this.tasks,
      preprocessing: this.options.preprocessing, dataset: this.options.dataset,
    });
  }

  private async checkpoint(epoch: number, inputShape: number[]): Promise<void> {
    const runDir = this.options.runDir!;
    const state: TrainerState = {
      epoch, history: this.history, early: this.early, stopped: this.stopped,
      weighting: this.weighting.state?.() ?? null, aggregator: this.aggregatorState, seed: this.options.seed, globalStep: this.globalStep,
    };
    await saveCheckpoint(runDir, {
      model: this.model.layersModel(), manifest: this.manifest(inputShape), optimizer: await optimizerState(this.optimizer),
      best: this.bestWeights, state,
    });
    writeFileAtomic(path.join(runDir, 'history.jsonl'), this.history.map((r) => JSON.stringify(r)).join('\n') + '\n');
  }

  async fit(train: Dataset, val?: Dataset): Promise<FitResult> {
    const o = this.options;
    const names = this.tasks.map((t) => t.name);
    const data = prepare(train, names);
    const progress: Progress = createProgress(o.progress ?? 'auto', o.label ?? 'train');
    const useEarly = !!(o.earlyStopping && val);
    if (o.runDir) fs.mkdirSync(o.runDir, { recursive: true });
    let epochsThisCall = 0;
    try {
      for (let epoch = this.nextEpoch; epoch < o.epochs && !this.stopped; epoch++) {
        if (o.maxEpochsThisCall !== undefined && epochsThisCall >= o.maxEpochsThisCall) break;
        const t0 = performance.now();
        const steps = epochBatches(data, o.batchSize, o.seed, epoch, o.batching ?? 'mixed');
        const stepsPerEpoch = steps.length;
        progress.startEpoch(epoch, o.epochs, stepsPerEpoch);
        let lossSum = tf.zeros([this.tasks.length]);
        let s = 0;
        for (const { rows, slice } of steps) {
          const batch = makeBatch(data, rows, slice);
          const losses = this.step(batch, epoch, this.globalStep++);
          disposeBatch(batch);
          const next = tf.tidy(() => tf.add(lossSum, tf.mul(losses, rows.length)));
          lossSum.dispose();
          lossSum = next;
          // Reading a value forces a sync; once every 10 steps is enough for the bar.
          progress.step(s % 10 === 0 ? (losses.dataSync() as Float32Array).reduce((a, b) => a + b, 0) : undefined);
          losses.dispose();
          s++;
        }
        const rowsSeen = steps.reduce((acc, st) => acc + st.rows.length, 0);
        const trainSeconds = (performance.now() - t0) / 1000;
        const meanLosses = Array.from(lossSum.dataSync()).map((v) => v / rowsSeen);
        lossSum.dispose();
        this.weighting.endEpoch?.(meanLosses);
        const lambda = this.weighting.weights();
        const gradStats = this.stats.take();
        const record: EpochRecord = {
          epoch: epoch + 1,
          seconds: 0,
          trainSeconds,
          weights: Object.fromEntries(names.map((n, i) => [n, lambda[i]])),
          train: Object.fromEntries(names.map((n, i) => [n, { loss: meanLosses[i] }])),
          memory: { tensors: tf.memory().numTensors, rssMB: residentMB() },
        };
        const affinity = this.epochAffinity.mean();
        if (affinity) {
          record.affinity = affinity;
          this.epochAffinity = new AffinityAccumulator(this.tasks.length);
        }
        if (gradStats) {
          record.gradCosine = gradStats.gradCosine;
          record.conflictShare = gradStats.conflictShare;
          record.conflictSteps = gradStats.conflictSteps;
        }
        if (val) {
          record.val = evaluateDataset(this.model, this.tasks, val).metrics;
          if (useEarly) {
            record.best = observeEpoch(this.early, this.tasks, epoch + 1, record.val, o.earlyStopping!.minDelta ?? 0);
            record.score = this.early.bestEpoch === epoch + 1 ? this.early.bestScore : undefined;
            if (record.best) this.snapshotBest();
            if (this.early.badEpochs >= o.earlyStopping!.patience) this.stopped = true;
          }
        }
        record.seconds = (performance.now() - t0) / 1000;
        this.history.push(record);
        this.nextEpoch = epoch + 1;
        epochsThisCall++;
        progress.endEpoch(summarise(record, this.tasks));
        o.onEpoch?.(record);
        const every = o.checkpointEvery ?? 1;
        const last = epoch + 1 === o.epochs || this.stopped;
        if (o.runDir && ((epoch + 1) % every === 0 || last)) await this.checkpoint(epoch, train.inputShape);
      }
    } finally {
      progress.stop();
    }
    const finished = this.stopped || this.nextEpoch >= o.epochs;
    if (finished && useEarly) this.restoreBest();
    return { history: this.history, bestEpoch: useEarly ? this.early.bestEpoch : this.nextEpoch, stoppedEarly: this.stopped, finished };
  }

  /** Mean inter-task affinity over all measured steps of this trainer (T×T), if measured. */
  affinity(): number[][] | undefined {
    return this.totalAffinity.mean();
  }

  /** Metrics (and losses) of the current model on a dataset. */
  evaluate(ds: Dataset): Record<string, Metrics> {
    return evaluateDataset(this.model, this.tasks, ds).metrics;
  }

  dispose(): void {
    this.bestWeights?.forEach((t) => t.dispose());
    this.bestWeights = null;
    this.optimizer.dispose();
  }
}

function fmt(v: number | undefined): string {
  if (v === undefined || Number.isNaN(v)) return '-';
  return Math.abs(v) >= 100 ? v.toFixed(1) : v.toFixed(4);
}

function summarise(r: EpochRecord, tasks: Task[]): string {
  const parts = tasks.map((t) => {
    const val = r.val?.[t.name];
    return `${t.name}: loss ${fmt(r.train[t.name].loss)}${val ? ` val_${t.primary} ${fmt(val[t.primary])}` : ''}`;
  });
  return `${parts.join(' | ')} (${r.seconds.toFixed(1)}s)${r.best ? ' *' : ''}`;
}
