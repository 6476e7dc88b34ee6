/**
 * The studio's training settings: what the page's form produces and the worker checks (zod) before it
 * touches the data — a setting the worker rejects comes back as one message naming it, and the page
 * stays usable. ./cli-config.ts writes the same settings as an `mtl train` config.
 */
import { z } from 'zod';
import { aggregatorNames } from '../aggregators/index.js';
import { architectureNames } from '../models/registry.js';
import { weightingNames } from '../weighting/registry.js';

/** Tabular architectures the page offers (text-hps and fusion need other data). */
export function studioArchitectures(): string[] {
  return architectureNames().filter((a) => a !== 'text-hps' && a !== 'fusion');
}

/** A target kind the page offers for a table column. */
export const STUDIO_KINDS = ['binary', 'multiclass', 'regression'] as const;
export type StudioKind = (typeof STUDIO_KINDS)[number];

const name = z.string().min(1).max(200);
const oneOf = (what: string, names: () => string[]) =>
  z.string().superRefine((v, ctx) => {
    if (!names().includes(v)) ctx.addIssue({ code: 'custom', message: `unknown ${what} '${v}' (one of ${names().join(', ')})` });
  });

export const studioConfigSchema = z.strictObject({
  /** The file's name (the manifest's dataset, the report's name). */
  name: name.default('table'),
  seed: z.number().int().min(0).default(0),
  targets: z.array(z.strictObject({
    column: name,
    /** The task's name; default: the column's. */
    task: name.optional(),
    kind: z.enum(STUDIO_KINDS),
    /** binary: the value that is the positive class (else the column must read 0/1). */
    positive: z.string().optional(),
  })).min(1, { error: 'pick at least one target column' }),
  /** Feature columns (the page's default: every column that is not a target). */
  features: z.array(name).min(1, { error: 'pick at least one feature column' }),
  /** Per-column type overrides of the inferred ones. */
  types: z.record(z.string(), z.enum(['numeric', 'categorical'])).default({}),
  model: z.strictObject({
    architecture: oneOf('architecture', studioArchitectures).default('hps'),
    hidden: z.array(z.number().int().min(1).max(4096)).min(1).max(8).default([64]),
    head: z.array(z.number().int().min(1).max(4096)).max(4).default([]),
  }).prefault({}),
  train: z.strictObject({
    epochs: z.number().int().min(1).max(1000).default(10),
    batchSize: z.number().int().min(1).max(65536).default(128),
    lr: z.number().positive().max(10).default(1e-3),
    weighting: oneOf('weighting', weightingNames).default('ew'),
    aggregator: oneOf('aggregator', aggregatorNames).nullable().default(null),
    mode: z.enum(['param', 'rep']).default('param'),
    /** Early stopping patience in epochs; 0 = off. */
    patience: z.number().int().min(0).default(3),
    validationSplit: z.number().min(0).max(0.5).default(0.1),
    testFraction: z.number().gt(0).max(0.9).default(0.2),
  }).prefault({}),
  /** Train each task's single-task baseline beside the multi-task model (for Δm%). */
  baselines: z.boolean().default(true),
}).superRefine((c, ctx) => {
  const targets = new Set(c.targets.map((t) => t.column));
  const tasks = new Set<string>();
  c.targets.forEach((t, i) => {
    const task = t.task ?? t.column;
    if (tasks.has(task)) ctx.addIssue({ code: 'custom', path: ['targets', i, 'task'], message: `task '${task}' is named twice` });
    tasks.add(task);
  });
  c.features.forEach((f, i) => {
    if (targets.has(f)) ctx.addIssue({ code: 'custom', path: ['features', i], message: `'${f}' is a target: it cannot also be a feature` });
  });
  if (c.train.patience > 0 && c.train.validationSplit === 0) {
    ctx.addIssue({ code: 'custom', path: ['train', 'patience'], message: 'early stopping needs a validation split: set one, or patience 0' });
  }
});

export type StudioConfig = z.input<typeof studioConfigSchema>;
export type CheckedStudioConfig = z.output<typeof studioConfigSchema>;

/** The config, checked; a problem is one Error naming the setting (`train.lr: …`). */
export function checkStudioConfig(config: unknown): CheckedStudioConfig {
  const r = studioConfigSchema.safeParse(config);
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  const at = issue.path.length ? `${issue.path.join('.')}: ` : '';
  throw new Error(`settings: ${at}${issue.message}`);
}
