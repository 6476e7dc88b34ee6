/**
 * `mtl add-task`: continual task addition. A model with heads for the base tasks and the new tasks
 * (the config's architecture, all heads built up front so every method starts from the same weights)
 * is trained on the base tasks only (stage 1, the config's training settings, early stopping on the
 * base tasks' validation rows). Then, for each method, from the same stage-1 weights, it is trained on
 * the new tasks' labels only (the base labels are not used: the old data is gone) with the encoder
 * updated (stage 2, early stopping on the new tasks' validation rows):
 *   none    plain fine-tuning: new heads + encoder, no protection of the old tasks;
 *   ewc     + (λ/2) Σ F_i (θ_i − θ*_i)² over the encoder and old heads (src/continual/ewc.ts; F from
 *           per-sample gradients of the base tasks' training rows at θ*);
 *   lwf     + λ_o · distillation of the old heads' stage-1 outputs on the new task's data, T = 2
 *           (src/continual/lwf.ts); the old heads are trained too, as in Li & Hoiem;
 *   frozen  reference: the encoder frozen, only the new heads trained (no forgetting by construction).
 * Penalties are added inside the gradient tape through TrainerOptions.penalties. Reported: the base
 * tasks' test metrics after stage 1 and after stage 2, the change, and the new tasks' test metrics.
 */
import fs from 'node:fs';
import path from 'node:path';
import { UsageError } from '../config/errors.js';
import { loadConfigDataset } from '../config/dataset.js';
import type { ExperimentConfig } from '../config/schema.js';
import type { Dataset } from '../data/types.js';
import { tf } from '../engine/tf.js';
import { headView } from '../continual/heads.js';
import { diagonalFisher, disposeFisher, ewcPenalty, fisherSummary } from '../continual/ewc.js';
import { lwfPenalty } from '../continual/lwf.js';
import { buildModel } from '../models/registry.js';
import type { MultiTaskModel } from '../models/types.js';
import { createTask } from '../tasks/registry.js';
import type { Metrics, Task } from '../tasks/types.js';
import { writeFileAtomic } from '../train/node/atomic.js';
import { evaluateDataset } from '../train/evaluate.js';
import { Trainer, type TrainerOptions } from '../train/node/trainer.js';
import { validationSplit } from './experiment.js';

export const ADD_TASK_METHODS = ['none', 'ewc', 'lwf', 'frozen'] as const;
export type AddTaskMethod = (typeof ADD_TASK_METHODS)[number];

export interface AddTaskOptions {
  base: string[];
  add: string[];
  methods: AddTaskMethod[];
  baseDir: string;
  dataDir?: string;
  outDir?: string;
  /** EWC λ. */
  ewcLambda?: number;
  /** Samples for the Fisher estimate. */
  fisherSamples?: number;
  /** LwF λ_o and temperature. */
  lwfLambda?: number;
  temperature?: number;
  /** Epochs of stage 2 (default: the config's). */
  addEpochs?: number;
  log?: (line: string) => void;
}

export interface AddTaskRow {
  method: AddTaskMethod;
  /** Base tasks' test metrics after stage 2. */
  base: Record<string, Metrics>;
  /** New tasks' test metrics after stage 2. */
  added: Record<string, Metrics>;
  epochs: number;
  seconds: number;
}

export interface AddTaskResult {
  config: string;
  dataset: string;
  base: string[];
  add: string[];
  primary: Record<string, { metric: string; higherIsBetter: boolean }>;
  /** Base tasks' test metrics after stage 1. */
  before: Record<string, Metrics>;
  stage1: { epochs: number; seconds: number };
  settings: Record<string, number>;
  fisher?: { sum: number; max: number; mean: number; parameters: number; samples: number };
  rows: AddTaskRow[];
  seconds: number;
}

function parseList(names: string[], available: string[], what: string): string[] {
  const unknown = names.filter((n) => !available.includes(n));
  if (unknown.length) throw new UsageError(`${what}: unknown task(s) ${unknown.join(', ')}; the dataset has ${available.join(', ')}`);
  if (!names.length) throw new UsageError(`${what}: name at least one task`);
  return names;
}

function snapshot(model: MultiTaskModel): tf.Tensor[] {
  return model.trainableVariables().map((v) => tf.clone(v));
}

function restore(model: MultiTaskModel, values: tf.Tensor[]): void {
  model.trainableVariables().forEach((v, i) => v.assign(values[i]!));
}

export async function runAddTask(config: ExperimentConfig, o: AddTaskOptions): Promise<AddTaskResult> {
  const t0 = performance.now();
  const log = o.log ?? (() => {});
  const split = await loadConfigDataset(config, o.baseDir, o.dataDir, { log: o.log });
  const available = split.train.tasks.map((t) => t.name);
  const base = parseList(o.base, available, '--base');
  const add = parseList(o.add, available, '--new');
  const overlap = base.filter((t) => add.includes(t));
  if (overlap.length) throw new UsageError(`--base and --new share task(s) ${overlap.join(', ')}`);
  const { fit, val } = validationSplit(split.train, config.train.validationSplit, config.seed);
  const makeTasks = (names: string[], ds: Dataset) => names.map((name) => {
    const spec = ds.tasks.find((t) => t.name === name)!;
    return createTask(spec, { loss: config.tasks?.[name]?.loss }, { values: ds.labels[name]!, n: ds.n });
  });
  const baseTasks = makeTasks(base, fit), addTasks = makeTasks(add, fit);
  const allTasks = [...baseTasks, ...addTasks];
  const { options: archOptions, ...modelConfig } = config.model;
  const build = () => buildModel(config.model.architecture, { inputShape: fit.inputShape, tasks: allTasks, seed: config.seed }, { ...modelConfig, ...archOptions }, split.preprocessing);
  const model = build();
  const trainerOptions = (epochs: number, label: string): TrainerOptions => ({
    epochs, batchSize: config.train.batchSize,
    optimizer: { name: config.train.optimizer, lr: config.train.lr, momentum: config.train.momentum },
    l2: config.train.l2, earlyStopping: config.train.earlyStopping || null, seed: config.seed, progress: 'silent', label,
  });
  log(`data: ${split.train.name}, ${fit.n} fit / ${val?.n ?? 0} validation / ${split.test.n} test rows; base ${base.join(', ')}; new ${add.join(', ')}`);

  // Stage 1: the base tasks.
  const oldView = headView(model, base);
  const s1 = performance.now();
  const trainer1 = new Trainer(oldView, baseTasks, trainerOptions(config.train.epochs, 'base'));
  const fit1 = await trainer1.fit(fit, val);
  trainer1.dispose();
  const stage1 = { epochs: fit1.history.length, seconds: (performance.now() - s1) / 1000 };
  const before = evaluateDataset(oldView, baseTasks, split.test).metrics;
  log(`stage 1 (${base.join(', ')}): ${stage1.epochs} epochs, ${stage1.seconds.toFixed(1)}s; test ${baseTasks.map((t) => `${t.name} ${t.primary} ${before[t.name]![t.primary]!.toFixed(4)}`).join(', ')}`);
  const theta = snapshot(model);

  const ewcLambda = o.ewcLambda ?? 100;
  const lwfLambda = o.lwfLambda ?? 1;
  const temperature = o.temperature ?? 2;
  const fisherSamples = o.fisherSamples ?? 1000;
  let fisher: ReturnType<typeof diagonalFisher> | undefined;
  let fisherInfo: AddTaskResult['fisher'];
  if (o.methods.includes('ewc')) {
    const f0 = performance.now();
    // Over the encoder and the old heads (the parameters the old tasks depend on).
    fisher = diagonalFisher(oldView, baseTasks, fit, { samples: fisherSamples, seed: config.seed, variables: oldView.trainableVariables() });
    fisherInfo = { ...fisherSummary(fisher), samples: fisher.samples };
    log(`ewc: diagonal Fisher from ${fisher.samples} samples (${((performance.now() - f0) / 1000).toFixed(1)}s), mean F ${fisherInfo.mean.toExponential(3)}, max ${fisherInfo.max.toExponential(3)}`);
  }
  let teacher: MultiTaskModel | undefined;
  if (o.methods.includes('lwf')) {
    teacher = build();
    restore(teacher, theta);
  }

  const rows: AddTaskRow[] = [];
  for (const method of o.methods) {
    restore(model, theta);
    const m0 = performance.now();
    const view = headView(model, add, { alsoTrain: method === 'ewc' || method === 'lwf' ? base : [], trainShared: method !== 'frozen' });
    const penalties: NonNullable<TrainerOptions['penalties']> = [];
    if (method === 'ewc') penalties.push(ewcPenalty(fisher!, ewcLambda));
    if (method === 'lwf') penalties.push(lwfPenalty(oldView, headView(teacher!, base), baseTasks, { lambda: lwfLambda, temperature }));
    const trainer = new Trainer(view, addTasks, { ...trainerOptions(o.addEpochs ?? config.train.epochs, `add:${method}`), penalties });
    const result = await trainer.fit(fit, val);
    trainer.dispose();
    const row: AddTaskRow = {
      method,
      base: evaluateDataset(oldView, baseTasks, split.test).metrics,
      added: evaluateDataset(headView(model, add), addTasks, split.test).metrics,
      epochs: result.history.length,
      seconds: (performance.now() - m0) / 1000,
    };
    rows.push(row);
    log(`${method}: ${row.epochs} epochs, ${row.seconds.toFixed(1)}s; base ${baseTasks.map((t) => `${t.name} ${row.base[t.name]![t.primary]!.toFixed(4)}`).join(', ')}; new ${addTasks.map((t) => `${t.name} ${row.added[t.name]![t.primary]!.toFixed(4)}`).join(', ')}`);
  }
  if (fisher) disposeFisher(fisher);
  teacher?.dispose();
  theta.forEach((t) => t.dispose());
  model.dispose();

  const result: AddTaskResult = {
    config: config.name, dataset: split.train.name, base, add,
    primary: Object.fromEntries(allTasks.map((t) => [t.name, { metric: t.primary, higherIsBetter: t.higherIsBetter }])),
    before, stage1, settings: { ewcLambda, fisherSamples, lwfLambda, temperature, seed: config.seed },
    fisher: fisherInfo, rows, seconds: (performance.now() - t0) / 1000,
  };
  if (o.outDir) {
    fs.mkdirSync(o.outDir, { recursive: true });
    writeFileAtomic(path.join(o.outDir, 'add-task.json'), JSON.stringify(result, null, 2));
  }
  return result;
}

function mean(values: number[]): number {
  return values.reduce((a, b) => a + b, 0) / values.length;
}

export function formatAddTask(r: AddTaskResult): string {
  const p = (t: string) => r.primary[t]!.metric;
  const lines = [
    `Adding ${r.add.join(', ')} to a model trained on ${r.base.join(', ')} (${r.dataset}, config ${r.config}). Test-set primary metrics; "before" = after stage 1.`,
    `EWC λ = ${r.settings['ewcLambda']} (Fisher from ${r.fisher?.samples ?? '-'} samples), LwF λ_o = ${r.settings['lwfLambda']}, T = ${r.settings['temperature']}.`,
    '',
  ];
  const baseCols = r.base.map((t) => `${t} ${p(t)}`);
  lines.push(`| method | ${baseCols.map((c) => `${c} before → after`).join(' | ')} | mean Δ old | ${r.add.map((t) => `${t} ${p(t)}`).join(' | ')} | epochs | seconds |`);
  lines.push(`|---|${baseCols.map(() => '---').join('|')}|---|${r.add.map(() => '---').join('|')}|---|---|`);
  for (const row of r.rows) {
    const deltas = r.base.map((t) => row.base[t]![p(t)]! - r.before[t]![p(t)]!);
    lines.push(`| ${row.method} | ${r.base.map((t) => `${r.before[t]![p(t)]!.toFixed(4)} → ${row.base[t]![p(t)]!.toFixed(4)}`).join(' | ')} | ${mean(deltas) >= 0 ? '+' : ''}${mean(deltas).toFixed(4)} | ${r.add.map((t) => row.added[t]![p(t)]!.toFixed(4)).join(' | ')} | ${row.epochs} | ${row.seconds.toFixed(1)} |`);
  }
  lines.push('', `stage 1: ${r.stage1.epochs} epochs, ${r.stage1.seconds.toFixed(1)}s; total ${r.seconds.toFixed(1)}s`);
  return lines.join('\n');
}
