/**
 * The experiment config (JSON or YAML), validated with zod. Every object is strict, so a misspelt key is
 * an error rather than a silently ignored setting; method names are checked against the registries, and
 * the options of the weighting, the aggregator and the architecture against the method's own options
 * schema in its registry (e.g. `weighting "dwa": unknown option "temprature" (allowed: temperature)`).
 */
import { z } from 'zod';
import { TASK_KINDS } from '../data/types.js';
import { DEFAULT_LIMITS } from '../data/limits.js';
import { DATASET_NAMES } from '../data/loaders/index.js';
import { ARCHITECTURES, architectureNames } from '../models/registry.js';
import { WEIGHTINGS, weightingNames } from '../weighting/registry.js';
import { AGGREGATOR_RESERVED_KEYS, AGGREGATORS, aggregatorNames } from '../aggregators/index.js';
import type { OptionKeys, Registry } from '../util/registry.js';

const positiveInt = z.number().int().positive();
const activation = z.enum(['relu', 'tanh', 'elu', 'selu', 'sigmoid', 'linear', 'swish', 'gelu']);

const oneOf = (what: string, names: () => string[]) =>
  z.string().refine((s) => names().includes(s), { error: (iss) => `unknown ${what} "${String(iss.input)}": choose one of ${names().join(', ')}` });

/**
 * Reports every problem of a method's options as an issue at `path` (the message names the method, the
 * key and the allowed keys). An unknown method is left to the check of its name.
 */
function checkMethodOptions(registry: Registry<unknown>, method: unknown, options: unknown, ctx: z.RefinementCtx, path: PropertyKey[] = [], keys?: OptionKeys): void {
  if (typeof method !== 'string' || !registry.has(method)) return;
  for (const message of registry.optionErrors(method, options, keys)) ctx.addIssue({ code: 'custom', message, path, input: options });
}

const csvData = z.strictObject({
  dataset: z.literal('csv'),
  /** Training file (or the only file, split by testFraction). */
  train: z.string(),
  test: z.string().optional(),
  testFraction: z.number().gt(0).lt(1).default(0.2),
  separator: z.string().default(','),
  header: z.boolean().default(true),
  columns: z.array(z.string()).optional(),
  features: z.array(z.strictObject({ column: z.string(), type: z.enum(['numeric', 'categorical']) })).min(1),
  targets: z.array(z.strictObject({
    task: z.string(),
    kind: z.enum(TASK_KINDS, { error: (iss) => `unknown task kind "${String(iss.input)}": choose one of ${TASK_KINDS.join(', ')}` }),
    columns: z.array(z.string()).min(1),
    positive: z.array(z.string()).optional(),
    classes: z.array(z.string()).optional(),
    labelNames: z.array(z.string()).optional(),
  })).min(1),
});

const namedData = z.strictObject({
  dataset: z.enum(DATASET_NAMES as [string, ...string[]]),
  dir: z.string().optional(),
  options: z.strictObject({
    limit: positiveInt.optional(),
    testLimit: positiveInt.optional(),
    seed: z.number().int().nonnegative().optional(),
    asMultilabel: z.boolean().optional(),
    flatten: z.boolean().optional(),
  }).prefault({}),
});

const encoder = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('mlp'), hidden: z.array(positiveInt).default([64]), activation: activation.default('relu'), dropout: z.number().min(0).lt(1).default(0) }),
  z.strictObject({
    type: z.literal('cnn'),
    conv: z.array(z.strictObject({ filters: positiveInt, kernel: positiveInt, pool: z.boolean().default(false) })).min(1),
    dense: z.array(positiveInt).default([]),
    activation: activation.default('relu'),
    dropout: z.number().min(0).lt(1).default(0),
  }),
]);

export const configSchema = z.strictObject({
  name: z.string().default('experiment'),
  seed: z.number().int().nonnegative().default(0),
  backend: z.enum(['wasm', 'cpu', 'tensorflow']).optional(),
  data: z.discriminatedUnion('dataset', [csvData, namedData], {
    error: (iss) => iss.code === 'invalid_union'
      ? `unknown dataset "${String((iss.input as { dataset?: unknown } | undefined)?.dataset)}": choose csv or one of ${DATASET_NAMES.join(', ')}`
      : undefined,
  }),
  /** Which tasks to train (default: all of the dataset's) and per-task settings. */
  tasks: z.record(z.string(), z.strictObject({
    weight: z.number().nonnegative().default(1),
    loss: z.enum(['mse', 'l1']).optional(),
  })).optional(),
  model: z.strictObject({
    architecture: oneOf('architecture', architectureNames).default('hps'),
    encoder: encoder.prefault({ type: 'mlp' }),
    head: z.strictObject({ hidden: z.array(positiveInt).default([]), activation: activation.default('relu') }).prefault({}),
    /** Architecture-specific settings (number of experts, cross-stitch init, …), checked by the architecture's options schema. */
    options: z.record(z.string(), z.unknown()).default({}),
  }).superRefine((m, ctx) => checkMethodOptions(ARCHITECTURES, m.architecture, m.options, ctx, ['options'])).prefault({}),
  train: z.strictObject({
    epochs: positiveInt.default(10),
    batchSize: positiveInt.default(128),
    optimizer: z.enum(['adam', 'sgd', 'momentum']).default('adam'),
    lr: z.number().positive().default(1e-3),
    momentum: z.number().min(0).lt(1).optional(),
    l2: z.number().nonnegative().default(0),
    validationSplit: z.number().min(0).lt(1).default(0.1),
    earlyStopping: z.union([z.strictObject({ patience: positiveInt, minDelta: z.number().nonnegative().default(0) }), z.literal(false)]).default({ patience: 3, minDelta: 0 }),
    /** The loss weighting: `method` and that method's options (checked by its schema in the registry). */
    weighting: z.looseObject({ method: oneOf('weighting method', weightingNames) })
      .superRefine(({ method, ...options }, ctx) => checkMethodOptions(WEIGHTINGS, method, options, ctx))
      .default({ method: 'fixed' }),
    /** Gradient aggregation of per-task gradients (PCGrad, MGDA, …); none = plain weighted sum of losses. */
    aggregator: z.looseObject({
      method: oneOf('aggregator', aggregatorNames),
      mode: z.enum(['param', 'rep']).default('param'),
    }).superRefine(({ method, ...options }, ctx) => checkMethodOptions(AGGREGATORS, method, options, ctx, [], { reserved: AGGREGATOR_RESERVED_KEYS })).optional(),
    checkpointEvery: positiveInt.default(1),
    /** A NaN/Inf or exploding loss: stop the run (keeping the last good checkpoint), skip the batch, or halve the lr. */
    onDivergence: z.enum(['stop', 'skip-batch', 'reduce-lr']).default('stop'),
    /** mixed: shuffle all rows; per-task: every step takes batchSize rows of each task (multi-input data). */
    batching: z.enum(['mixed', 'per-task']).default('mixed'),
    /** Gradient conflict statistics in history.jsonl: true, false, or { every: N steps }. */
    gradientStats: z.union([z.boolean(), z.strictObject({ every: positiveInt })]).optional(),
  }).prefault({}),
  baselines: z.strictObject({ stl: z.boolean().default(true) }).prefault({}),
  /** Size limits checked before anything big is allocated (defaults in src/data/limits.ts). */
  limits: z.strictObject({
    maxInputWidth: positiveInt.default(DEFAULT_LIMITS.maxInputWidth),
    maxParameters: positiveInt.default(DEFAULT_LIMITS.maxParameters),
  }).prefault({}),
});

export type ExperimentConfig = z.output<typeof configSchema>;
export type CsvDataConfig = z.output<typeof csvData>;
