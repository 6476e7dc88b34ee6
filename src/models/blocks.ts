/**
 * Building blocks shared by the architectures beyond hard sharing (cross-stitch, MTAN, MMoE, CGC/PLE,
 * additive):
 *
 * - the encoder config as a list of *stages* (one parameterised layer each: a conv block or a dense
 *   layer, with the flatten/pool/dropout around it), so towers, experts and attention modules can be
 *   built and wired layer by layer. `stageLayers(plan, seed)` creates the layers with exactly the seeds
 *   `buildEncoder(…, seed)` uses, so a chain of them equals that encoder;
 * - task heads built as in hard sharing (same seeds);
 * - option parsing with clear errors;
 * - `graphModel`: the MultiTaskModel around one functional LayersModel (input → every task's logits)
 *   made of standard tfjs layers only, so `layersModel()` is the training model itself (checkpoints
 *   and resume set its weights) and the saved model.json loads with plain `tf.loadLayersModel`.
 */
import type { z } from 'zod';
import { tf, tfl, type Tensor } from '../engine/tf.js';
import { buildHead, seededInit, uniqueName, type Activation, type EncoderConfig } from './encoders.js';
import type { ArchitectureContext, MultiTaskModel } from './types.js';

export type Sym = tfl.SymbolicTensor;
export type Layer = tfl.layers.Layer;

export interface HeadConfig {
  hidden?: number[];
  activation?: Activation;
}

/** One parameterised layer of an encoder with what surrounds it. */
export interface Stage {
  kind: 'conv' | 'dense';
  /** Filters (conv) or units (dense). */
  units: number;
  /** Square kernel size (conv). */
  kernel: number;
  /** 2×2 max-pool after the layer (conv). */
  pool: boolean;
  /** Dropout rate after the layer (dense). */
  dropout: number;
  /** Flatten the input before the layer (first dense layer after convs, or an MLP on a non-flat input). */
  flattenBefore: boolean;
}

export interface StagePlan {
  stages: Stage[];
  activation: Activation;
  /** Flatten after the last stage (a CNN without dense layers, or an MLP without layers on a non-flat input). */
  flattenAtEnd: boolean;
}

/** The encoder config as stages; `custom` encoders cannot be split into layers and are refused. */
export function stagePlan(arch: string, inputShape: number[], encoder: EncoderConfig | undefined): StagePlan {
  if (!encoder) throw new Error(`${arch}: the config needs an encoder ({ type: 'mlp', hidden: [...] } or { type: 'cnn', ... })`);
  if (encoder.type === 'custom') {
    throw new Error(`${arch}: needs an mlp or cnn encoder config (it builds its own towers or experts from it), not a custom model`);
  }
  const activation = encoder.activation ?? 'relu';
  const dropout = encoder.dropout ?? 0;
  const stages: Stage[] = [];
  if (encoder.type === 'cnn') {
    if (inputShape.length !== 3) throw new Error(`cnn encoder needs an input shape [h, w, c], got [${inputShape.join(', ')}]`);
    for (const b of encoder.conv) stages.push({ kind: 'conv', units: b.filters, kernel: b.kernel, pool: !!b.pool, dropout: 0, flattenBefore: false });
    encoder.dense.forEach((units, i) => stages.push({ kind: 'dense', units, kernel: 1, pool: false, dropout, flattenBefore: i === 0 }));
    return { stages, activation, flattenAtEnd: encoder.dense.length === 0 };
  }
  const flat = inputShape.length === 1;
  encoder.hidden.forEach((units, i) => stages.push({ kind: 'dense', units, kernel: 1, pool: false, dropout, flattenBefore: i === 0 && !flat }));
  return { stages, activation, flattenAtEnd: encoder.hidden.length === 0 && !flat };
}

/** An MLP plan on a flat input (PLE's upper extraction levels). */
export function mlpPlan(units: number[], activation: Activation, dropout = 0): StagePlan {
  return { stages: units.map((u) => ({ kind: 'dense', units: u, kernel: 1, pool: false, dropout, flattenBefore: false })), activation, flattenAtEnd: false };
}

export function requireStages(arch: string, plan: StagePlan): void {
  if (plan.stages.length === 0) throw new Error(`${arch}: the encoder needs at least one layer (mlp hidden or cnn conv/dense)`);
}

export interface LayerOptions {
  /** Activation of the layer (default: the plan's). */
  activation?: Activation | 'softmax';
  /** Zero kernel instead of the seeded Glorot initialiser. */
  zeros?: boolean;
  /** Overrides of the stage's size (attention modules: 1×1 convs). */
  units?: number;
  kernel?: number;
}

/** The parameterised layer of a stage (conv2d or dense), with a seeded Glorot kernel. */
export function stageLayer(stage: Stage, plan: StagePlan, seed: number, prefix: string, o: LayerOptions = {}): Layer {
  const activation = o.activation ?? plan.activation;
  const kernelInitializer = o.zeros ? tfl.initializers.zeros() : seededInit(seed);
  if (stage.kind === 'conv') {
    return tfl.layers.conv2d({
      filters: o.units ?? stage.units, kernelSize: o.kernel ?? stage.kernel, activation, padding: 'valid',
      kernelInitializer, name: uniqueName(`${prefix}_conv`),
    });
  }
  return tfl.layers.dense({ units: o.units ?? stage.units, activation, kernelInitializer, name: uniqueName(`${prefix}_dense`) });
}

/** One layer per stage, seeded as `buildEncoder(…, seed)` seeds its layers. */
export function stageLayers(plan: StagePlan, seed: number, prefix: string, o: LayerOptions = {}): Layer[] {
  let layerSeed = seed * 1000 + 1;
  return plan.stages.map((s) => stageLayer(s, plan, layerSeed++, prefix, o));
}

export function apply(layer: Layer, h: Sym | Sym[]): Sym {
  return layer.apply(h) as Sym;
}

export function flatten(h: Sym, prefix: string): Sym {
  return apply(tfl.layers.flatten({ name: uniqueName(`${prefix}_flatten`) }), h);
}

/** What comes before stage i's layer (flatten). Parameter-free: new layers on each call. */
export function preStage(plan: StagePlan, i: number, h: Sym, prefix: string): Sym {
  return plan.stages[i].flattenBefore ? flatten(h, prefix) : h;
}

/** What comes after stage i's layer (pool, dropout). Parameter-free: new layers on each call. */
export function postStage(plan: StagePlan, i: number, h: Sym, prefix: string): Sym {
  const s = plan.stages[i];
  if (s.pool) h = apply(tfl.layers.maxPooling2d({ poolSize: 2, name: uniqueName(`${prefix}_pool`) }), h);
  if (s.dropout > 0) h = apply(tfl.layers.dropout({ rate: s.dropout, name: uniqueName(`${prefix}_dropout`) }), h);
  return h;
}

/** After the last stage: the representation is always flat. */
export function endChain(plan: StagePlan, h: Sym, prefix: string): Sym {
  return plan.flattenAtEnd ? flatten(h, prefix) : h;
}

/** Applies the stage layers [from, to) to h (with their pre/post parts; `endChain` when to = the end). */
export function chain(plan: StagePlan, layers: Layer[], h: Sym, prefix: string, from = 0, to = plan.stages.length): Sym {
  for (let i = from; i < to; i++) h = postStage(plan, i, apply(layers[i], preStage(plan, i, h, prefix)), prefix);
  return to === plan.stages.length ? endChain(plan, h, prefix) : h;
}

/** Seed of the k-th component (tower, expert, gate, …) of an architecture; k = 0 is the run seed itself. */
export function componentSeed(seed: number, k: number): number {
  return seed + 1009 * k;
}

/** One head per task, seeded as in hard sharing. */
export function buildHeads(ctx: ArchitectureContext, head: HeadConfig | undefined, repShape: number[]): tfl.LayersModel[] {
  return ctx.tasks.map((t, i) => buildHead(repShape, t.headUnits, head?.hidden ?? [], ctx.seed + 7919 * (i + 1), t.name, head?.activation));
}

export function shapeOf(h: Sym): number[] {
  return h.shape.slice(1) as number[];
}

export function safeName(task: string): string {
  return task.replace(/[^A-Za-z0-9_]/g, '_');
}

// ---------------------------------------------------------------------------------------------------
// Options

const BASE_KEYS = ['architecture', 'encoder', 'head'];

/**
 * Refuses options the architecture does not know (a typo would otherwise be silently ignored): the
 * allowed ones are the keys of its options schema, the one registered with it (models/registry.ts).
 */
export function checkOptions(arch: string, config: Record<string, unknown>, schema: z.ZodObject): void {
  const allowed = Object.keys(schema.shape);
  const unknown = Object.keys(config).filter((k) => !BASE_KEYS.includes(k) && !allowed.includes(k) && config[k] !== undefined);
  if (unknown.length) {
    throw new Error(`${arch}: unknown option(s) ${unknown.join(', ')}; options are ${allowed.length ? allowed.join(', ') : '(none)'}`);
  }
}

export function intOption(arch: string, config: Record<string, unknown>, key: string, def: number, min: number): number {
  const v = config[key] ?? def;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) throw new Error(`${arch}: option ${key} must be an integer ≥ ${min}, got ${JSON.stringify(v)}`);
  return v;
}

export function numberOption(arch: string, config: Record<string, unknown>, key: string, def: number, min: number, max = Infinity): number {
  const v = config[key] ?? def;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) {
    throw new Error(`${arch}: option ${key} must be a number in [${min}, ${max}], got ${JSON.stringify(v)}`);
  }
  return v;
}

export function enumOption<T extends string>(arch: string, config: Record<string, unknown>, key: string, values: readonly T[], def: T): T {
  const v = config[key] ?? def;
  if (typeof v !== 'string' || !values.includes(v as T)) throw new Error(`${arch}: option ${key} must be one of ${values.join(', ')}, got ${JSON.stringify(v)}`);
  return v as T;
}

/** A number for every task, or one per task (array in task order, or a map by task name). */
export function perTaskOption(arch: string, config: Record<string, unknown>, key: string, def: number, taskNames: string[]): number[] {
  const v = config[key] ?? def;
  const check = (x: unknown, what: string): number => {
    if (typeof x !== 'number' || !Number.isFinite(x) || x < 0) throw new Error(`${arch}: option ${key}${what} must be a number ≥ 0, got ${JSON.stringify(x)}`);
    return x;
  };
  if (typeof v === 'number') return taskNames.map(() => check(v, ''));
  if (Array.isArray(v)) {
    if (v.length !== taskNames.length) throw new Error(`${arch}: option ${key} has ${v.length} values for ${taskNames.length} tasks`);
    return v.map((x, i) => check(x, `[${i}]`));
  }
  if (v && typeof v === 'object') {
    const map = v as Record<string, unknown>;
    const unknown = Object.keys(map).filter((k) => !taskNames.includes(k));
    if (unknown.length) throw new Error(`${arch}: option ${key} names unknown task(s) ${unknown.join(', ')}; tasks are ${taskNames.join(', ')}`);
    return taskNames.map((t) => check(map[t] ?? def, `.${t}`));
  }
  throw new Error(`${arch}: option ${key} must be a number, an array (one per task) or a map by task name`);
}

// ---------------------------------------------------------------------------------------------------
// The model wrapper

/** The variables of some layers (nested models included), each once, in layer order. */
export function layerVariables(layers: Layer[]): tf.Variable[] {
  const seen = new Set<tf.Variable>();
  const out: tf.Variable[] = [];
  for (const l of layers) {
    for (const w of l.trainableWeights) {
      const v = w.read() as tf.Variable;
      if (!seen.has(v)) {
        seen.add(v);
        out.push(v);
      }
    }
  }
  return out;
}

export interface GraphModelParts {
  architecture: string;
  ctx: ArchitectureContext;
  /** input → one output per task (logits), standard tfjs layers only. */
  net: tfl.LayersModel;
  /** Layers whose parameters reach more than one task. */
  shared: Layer[];
  /** Per task: layers whose parameters reach that task's output only. */
  perTask: Layer[][];
  regularization?: () => Tensor;
  variablesForStep?: (step: number) => tf.Variable[];
}

export function asList(out: Tensor | Tensor[]): Tensor[] {
  return Array.isArray(out) ? out : [out];
}

/**
 * The MultiTaskModel around one functional LayersModel. The shared/per-task split is checked to cover
 * every trainable weight of the net exactly once (the trainer updates only the variables it is given).
 */
export function graphModel(p: GraphModelParts): MultiTaskModel {
  const taskNames = p.ctx.tasks.map((t) => t.name);
  const shared = layerVariables(p.shared);
  const own = p.perTask.map(layerVariables);
  const all = [...shared, ...own.flat()];
  const netVars = new Set(p.net.trainableWeights.map((w) => w.read() as tf.Variable));
  if (new Set(all).size !== all.length || all.length !== netVars.size || all.some((v) => !netVars.has(v))) {
    throw new Error(`${p.architecture}: internal error: the shared/per-task variable groups do not partition the model's ${netVars.size} trainable weights`);
  }
  const model: MultiTaskModel = {
    architecture: p.architecture,
    taskNames,
    forward(x, training) {
      return { logits: asList(p.net.apply(x, { training }) as Tensor | Tensor[]) };
    },
    sharedVariables: () => [...shared],
    taskVariables(task) {
      const i = taskNames.indexOf(task);
      if (i < 0) throw new Error(`${p.architecture}: unknown task "${task}"; tasks are ${taskNames.join(', ')}`);
      return [...own[i]];
    },
    trainableVariables: () => [...all],
    layersModel: () => p.net,
    // Layers applied more than once (shared across towers, or used by a probe) hold one reference per
    // application, so LayersModel.dispose() would leave their weights alive: dispose the variables.
    dispose: () => all.forEach((v) => v.dispose()),
  };
  if (p.regularization) model.regularization = p.regularization;
  if (p.variablesForStep) model.variablesForStep = p.variablesForStep;
  return model;
}

/** A model over some of the net's layers (e.g. the gates), sharing its weights; never disposed itself. */
export function probe(input: Sym, outputs: Sym[], name: string): (x: Tensor) => Tensor[] {
  const m = tfl.model({ inputs: input, outputs, name: uniqueName(name) });
  return (x) => asList(m.apply(x, { training: false }) as Tensor | Tensor[]);
}

export function modelInput(ctx: ArchitectureContext, arch: string): Sym {
  return tfl.input({ shape: ctx.inputShape, name: uniqueName(`${arch.replace(/[^A-Za-z0-9_]/g, '_')}_input`) });
}
