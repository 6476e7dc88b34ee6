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
import { SEQUENCE_FORMATS, UNKNOWN_LABEL_POLICIES } from '../data/loaders/sequence-corpus.js';
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

/** A strict object whose unknown-key message names the allowed keys (`unknown key "sep" (allowed: train, test, …)`). */
const strictKeys = <S extends z.ZodRawShape>(shape: S) =>
  z.strictObject(shape, {
    error: (iss) => iss.code === 'unrecognized_keys'
      ? `unknown key${iss.keys.length > 1 ? 's' : ''} ${iss.keys.map((k) => `"${k}"`).join(', ')} (allowed: ${Object.keys(shape).join(', ')})`
      : undefined,
  });

/** The table formats of `data.dataset` for a user's own file (src/config/dataset.ts reads them). */
export const TABLE_FORMATS = ['csv', 'tsv', 'arff', 'jsonl'] as const;
const columnType = z.enum(['numeric', 'categorical']);

/**
 * A user's own table: csv | tsv (separator tab by default) | arff (column types from its @attribute
 * lines) | jsonl (one JSON object per line). `features: all` takes every column that is not a target,
 * the split column or in `exclude`, with types inferred from the training values unless given in `types`.
 */
const csvData = strictKeys({
  dataset: z.enum(TABLE_FORMATS),
  /** Training file (or the only file, split by testFraction). */
  train: z.string(),
  test: z.string().optional(),
  testFraction: z.number().gt(0).lt(1).default(0.2),
  /**
   * Read the files as streams, a pass per epoch, never whole (csv, tsv, jsonl): for tables larger than
   * memory (src/config/stream-data.ts). Without a test file, test rows are a seeded hash split of the
   * training file (testFraction); validation rows likewise (train.validationSplit) unless `validation`.
   */
  stream: z.boolean().optional(),
  /** stream: rows of the shuffle buffer (default 65,536); memory is this × the encoded row width. */
  shuffleBuffer: positiveInt.optional(),
  /** stream: a validation file (instead of a hash split of the training file). */
  validation: z.string().optional(),
  /** How the rows are split when there is no test file: random (default), by group, or by order. */
  split: z.discriminatedUnion('by', [
    strictKeys({ by: z.literal('random') }),
    /** Every row of a group on the same side (seeded); the group column is never a feature. */
    strictKeys({ by: z.literal('group'), column: z.string() }),
    /** The last testFraction of the rows in this column's order go to test. */
    strictKeys({ by: z.literal('order'), column: z.string() }),
  ], { error: (iss) => iss.code === 'invalid_union' ? `unknown split "${String((iss.input as { by?: unknown } | undefined)?.by)}": choose by: random, group or order` : undefined }).optional(),
  /** csv ',' / tsv tab by default; csv and tsv only. */
  separator: z.string().min(1).optional(),
  /** csv and tsv only (default true). */
  header: z.boolean().optional(),
  columns: z.array(z.string()).optional(),
  /**
   * A categorical feature with `embedding: d` is looked up in a trained d-wide table instead of one-hot
   * encoded (ids from its vocabulary, values seen fewer than minCount times out of it, or from `hash`
   * buckets); `type: ids` is a separator-joined list of such ids, averaged (src/data/feature-ids.ts).
   */
  features: z.union([z.literal('all'), z.array(strictKeys({
    column: z.string(),
    type: z.enum(['numeric', 'categorical', 'ids']),
    embedding: z.number().int().min(1).max(4096).optional(),
    hash: z.number().int().min(1).max((1 << 24) - 1).optional(),
    minCount: z.number().int().min(1).optional(),
    separator: z.string().min(1).optional(),
    maxLength: z.number().int().min(1).max(1024).optional(),
  }).superRefine((f, ctx) => {
    const issue = (message: string, key: string) => ctx.addIssue({ code: 'custom', message, path: [key] });
    if (f.type === 'numeric') for (const key of ['embedding', 'hash', 'minCount', 'separator', 'maxLength'] as const) if (f[key] !== undefined) issue(`${key} applies to categorical and ids features (this one is numeric)`, key);
    if (f.type === 'categorical') for (const key of ['separator', 'maxLength'] as const) if (f[key] !== undefined) issue(`${key} applies to ids features`, key);
    if (f.type === 'ids' && f.embedding === undefined) issue('an ids feature needs an embedding dimension (embedding: 16, say)', 'embedding');
    if (f.hash !== undefined && f.embedding === undefined) issue('hash buckets need an embedding dimension (embedding: 16, say): hashed ids are looked up, not one-hot', 'hash');
    if (f.hash !== undefined && f.minCount !== undefined) issue('give hash or minCount, not both', 'minCount');
  })).min(1)], {
    error: (iss) => iss.code === 'invalid_union' ? 'expected all, or a list of { column, type: numeric | categorical | ids, … }' : undefined,
  }).default('all'),
  /** features: all only: columns left out. */
  exclude: z.array(z.string()).optional(),
  /** features: all only: a column's type instead of the inferred one, e.g. { zip: categorical }. */
  types: z.record(z.string(), columnType).optional(),
  targets: z.array(strictKeys({
    /** Default: the column's name (a target of one column). */
    task: z.string().optional(),
    kind: z.enum(TASK_KINDS, { error: (iss) => `unknown task kind "${String(iss.input)}": choose one of ${TASK_KINDS.join(', ')}` }),
    columns: z.array(z.string()).min(1),
    /** binary / multilabel: the values that mean positive (text, numbers or true/false). */
    positive: z.array(z.union([z.string(), z.number(), z.boolean()])).min(1).optional(),
    /** binary / multilabel: a value > threshold is positive, ≤ threshold negative. */
    threshold: z.number().optional(),
    classes: z.array(z.string()).optional(),
    labelNames: z.array(z.string()).optional(),
  }).superRefine((t, ctx) => {
    const binaryLike = t.kind === 'binary' || t.kind === 'multilabel';
    if (t.positive && t.threshold !== undefined) ctx.addIssue({ code: 'custom', message: 'give positive or threshold, not both', path: ['threshold'] });
    for (const key of ['positive', 'threshold'] as const) {
      if (t[key] !== undefined && !binaryLike) ctx.addIssue({ code: 'custom', message: `${key} applies to binary and multilabel targets (this one is ${t.kind})`, path: [key] });
    }
    if (t.classes && t.kind !== 'multiclass') ctx.addIssue({ code: 'custom', message: `classes applies to multiclass targets (this one is ${t.kind})`, path: ['classes'] });
    if (t.task === undefined && t.columns.length !== 1) ctx.addIssue({ code: 'custom', message: 'name the task (task: …): it reads several columns', path: ['task'] });
    if (t.kind === 'binary' && t.labelNames && t.labelNames.length !== 2) ctx.addIssue({ code: 'custom', message: 'a binary target has 2 label names: [negative, positive]', path: ['labelNames'] });
  })).min(1),
}).superRefine((d, ctx) => {
  const text = d.dataset === 'csv' || d.dataset === 'tsv';
  for (const key of ['separator', 'header', 'columns'] as const) {
    if (d[key] !== undefined && !text) ctx.addIssue({ code: 'custom', message: `${key} applies to dataset csv or tsv (this one is ${d.dataset})`, path: [key] });
  }
  for (const key of ['exclude', 'types'] as const) {
    if (d[key] !== undefined && d.features !== 'all') ctx.addIssue({ code: 'custom', message: `${key} goes with features: all (the features are listed)`, path: [key] });
  }
  if (d.test !== undefined && d.split !== undefined) ctx.addIssue({ code: 'custom', message: 'the test file is the split: give test or split, not both', path: ['split'] });
  if (d.stream) {
    if (d.dataset === 'arff') ctx.addIssue({ code: 'custom', message: 'an ARFF file cannot be streamed: stream: true goes with dataset csv, tsv or jsonl', path: ['stream'] });
    if (d.split?.by === 'order') ctx.addIssue({ code: 'custom', message: 'split by order sorts all the rows: it cannot be streamed (use split by random or group, or a test file)', path: ['split'] });
  } else {
    for (const key of ['shuffleBuffer', 'validation'] as const) {
      if (d[key] !== undefined) ctx.addIssue({ code: 'custom', message: `${key} goes with stream: true`, path: [key] });
    }
  }
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
    /** adult: embed the categorical columns (dimension) instead of one-hot; the overtime → high-income funnel tasks. */
    embedding: z.number().int().min(1).max(4096).optional(),
    funnel: z.boolean().optional(),
  }).prefault({}),
}).superRefine((d, ctx) => {
  for (const key of ['embedding', 'funnel'] as const) {
    if (d.options[key] !== undefined && d.dataset !== 'adult') ctx.addIssue({ code: 'custom', message: `${key} is an option of dataset adult (this one is ${d.dataset})`, path: ['options', key] });
  }
});

/**
 * A sentence-classification + token-tagging corpus of the user's own (src/data/loaders/sequence-corpus.ts;
 * src/config/sequence-data.ts reads it). format seq: `dir` holds train/, test/ (dev/ optional), each with
 * seq.in, seq.out, label; format conll: `train`, `test` (`dev` optional) files of `token tag` lines with
 * `# label = X` before a sentence, relative to `dir` when given (else to the config's folder).
 */
const sequenceData = strictKeys({
  dataset: z.literal('sequence'),
  format: z.enum(SEQUENCE_FORMATS, { error: (iss) => `unknown format "${String(iss.input)}": choose seq (seq.in / seq.out / label folders) or conll (token tag lines)` }),
  /** The dataset's own name (run names, text.json sources); default: the folder's name. */
  name: z.string().min(1).optional(),
  dir: z.string().optional(),
  train: z.string().optional(),
  dev: z.string().optional(),
  test: z.string().optional(),
  /** Task names: the sentence label (multiclass) and the tags (sequence). */
  labelTask: z.string().min(1).default('intent'),
  tagTask: z.string().min(1).default('slots'),
  /** A label or tag of dev/test that the training file never has: error, skip the sentence, or map to UNK / O. */
  unknownLabel: z.enum(UNKNOWN_LABEL_POLICIES, { error: (iss) => `unknown unknownLabel "${String(iss.input)}": choose error, skip or map` }).default('error'),
  /** Lower-case the tokens (and raw text at prediction time). */
  lowercase: z.boolean().default(true),
  options: strictKeys({
    limit: positiveInt.optional(),
    testLimit: positiveInt.optional(),
    /** L: tokens per sentence (default: the longest training sentence). */
    maxLength: positiveInt.optional(),
    /** Vocabulary: words seen fewer times in training map to <unk> (default 2). */
    minCount: positiveInt.optional(),
  }).prefault({}),
}).superRefine((d, ctx) => {
  if (d.format === 'seq') {
    if (d.dir === undefined) ctx.addIssue({ code: 'custom', message: 'format seq reads the folder in dir (train/, test/ and optionally dev/, each with seq.in, seq.out, label)', path: ['dir'] });
    for (const key of ['train', 'dev', 'test'] as const) {
      if (d[key] !== undefined) ctx.addIssue({ code: 'custom', message: `${key} goes with format conll (format seq reads ${key}/ in dir)`, path: [key] });
    }
  } else {
    for (const key of ['train', 'test'] as const) {
      if (d[key] === undefined) ctx.addIssue({ code: 'custom', message: `format conll needs the ${key} file (${key}: path)`, path: [key] });
    }
  }
  if (d.labelTask === d.tagTask) ctx.addIssue({ code: 'custom', message: `labelTask and tagTask need different names (both are "${d.tagTask}")`, path: ['tagTask'] });
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
  data: z.discriminatedUnion('dataset', [csvData, namedData, sequenceData], {
    error: (iss) => iss.code === 'invalid_union'
      ? `unknown dataset "${String((iss.input as { dataset?: unknown } | undefined)?.dataset)}": choose csv, tsv, arff, jsonl (a table of your own), sequence (a tagged text corpus of your own) or one of ${DATASET_NAMES.join(', ')}`
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
export type SequenceDataConfig = z.output<typeof sequenceData>;
