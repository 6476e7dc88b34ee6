/**
 * The mtljs manifest saved beside a tfjs model: what a reader needs to turn its raw outputs into task
 * answers (task kinds, label names, target scaling) and raw records into inputs (preprocessing).
 * A browser needs only model.json, weights.bin and this file.
 *
 * `parseManifest` trusts nothing of the file: a manifest edited by hand or corrupted must stop the load
 * with one ModelFileError naming the field, never serve wrong answers silently. It checks the schema
 * (zod: every field, its type, known task kinds) and the manifest's own consistency: task names unique,
 * regression scaling finite with one mean/std per output, every feature column named once, every
 * categorical feature with a non-empty list of distinct categories (an emptied list would turn a column
 * into all zeros), numeric mean/std finite, preprocessing.inputSize = the encoded width of the features =
 * the product of inputShape. What needs the model too (its input shape, its outputs' count, names and
 * units) is checked by ./saved.ts once both are read.
 */
import { z } from 'zod';
import { featureWidth } from '../data/preprocess.js';
import { MAX_TABLE_ROWS } from '../data/feature-ids.js';
import type { PreprocessingState, TaskSpec } from '../data/types.js';
import { createTask, taskKindNames } from '../tasks/registry.js';
import { clip, ModelFileError, schemaProblem } from './errors.js';
import type { Task } from '../tasks/types.js';

export interface TaskManifest extends TaskSpec {
  primary: string;
  higherIsBetter: boolean;
  state: Record<string, unknown>;
}

export interface Manifest {
  format: 'mtljs-manifest';
  version: 1;
  architecture: string;
  inputShape: number[];
  /** Output i of model.json is the logits of tasks[i]. */
  tasks: TaskManifest[];
  preprocessing?: PreprocessingState;
  dataset?: { name: string; options?: Record<string, unknown> };
  createdAt: string;
}

export function buildManifest(args: {
  architecture: string;
  inputShape: number[];
  tasks: Task[];
  preprocessing?: PreprocessingState;
  dataset?: Manifest['dataset'];
}): Manifest {
  return {
    format: 'mtljs-manifest',
    version: 1,
    architecture: args.architecture,
    inputShape: args.inputShape,
    tasks: args.tasks.map((t) => ({ ...t.spec, primary: t.primary, higherIsBetter: t.higherIsBetter, state: t.state() })),
    preprocessing: args.preprocessing,
    dataset: args.dataset,
    createdAt: new Date().toISOString(),
  };
}

export function tasksFromManifest(manifest: Manifest): Task[] {
  return manifest.tasks.map((t) => {
    const { primary: _p, higherIsBetter: _h, state, ...spec } = t;
    return createTask(spec, { state });
  });
}

const positiveInt = z.number().int().positive();

const taskSchema = z.looseObject({
  name: z.string().min(1),
  kind: z.string(),
  width: positiveInt,
  outputSize: positiveInt,
  labelNames: z.array(z.string()).optional(),
  primary: z.string(),
  higherIsBetter: z.boolean(),
  state: z.record(z.string(), z.unknown()),
});

const featureSchema = z.discriminatedUnion('type', [
  z.looseObject({ column: z.string().min(1), type: z.literal('numeric'), mean: z.number(), std: z.number().positive() }),
  z.looseObject({
    column: z.string().min(1), type: z.literal('categorical'), categories: z.array(z.string()).optional(),
    embedding: positiveInt.optional(), hash: positiveInt.max(MAX_TABLE_ROWS - 1).optional(),
  }),
  z.looseObject({
    column: z.string().min(1), type: z.literal('ids'), categories: z.array(z.string()).optional(), embedding: positiveInt,
    hash: positiveInt.max(MAX_TABLE_ROWS - 1).optional(), separator: z.string().min(1), maxLength: positiveInt,
  }),
]);

const manifestSchema = z.looseObject({
  format: z.literal('mtljs-manifest'),
  version: z.literal(1),
  architecture: z.string(),
  inputShape: z.array(positiveInt).min(1),
  tasks: z.array(taskSchema).min(1),
  preprocessing: z.looseObject({ features: z.array(featureSchema).min(1), inputSize: positiveInt }).optional(),
  dataset: z.looseObject({ name: z.string(), options: z.record(z.string(), z.unknown()).optional() }).optional(),
  createdAt: z.string(),
});

/** The first inconsistency of a schema-valid manifest, as "field: problem", or null. */
function inconsistency(m: Manifest): string | null {
  const names = new Set<string>();
  for (const [i, t] of m.tasks.entries()) {
    if (names.has(t.name)) return `tasks[${i}].name: task '${clip(t.name)}' is listed twice`;
    names.add(t.name);
    const kinds = taskKindNames() as string[];
    if (!kinds.includes(t.kind)) return `tasks[${i}].kind: unknown task kind '${clip(t.kind)}' (expected one of ${kinds.join(', ')})`;
    if (t.kind === 'regression' && t.state.mean !== undefined) {
      for (const key of ['mean', 'std'] as const) {
        const v = t.state[key];
        const ok = Array.isArray(v) && v.length === t.width && v.every((x) => typeof x === 'number' && Number.isFinite(x) && (key === 'mean' || x > 0));
        if (!ok) return `tasks[${i}].state.${key}: task '${clip(t.name)}' needs ${t.width} finite ${key === 'std' ? 'positive ' : ''}number(s), one per output`;
      }
    }
  }
  const inputs = m.inputShape.reduce((a, b) => a * b, 1);
  const pre = m.preprocessing;
  if (!pre) return null;
  const columns = new Set<string>();
  for (const [i, f] of pre.features.entries()) {
    const at = `preprocessing.features[${i}] ('${clip(f.column)}')`;
    if (columns.has(f.column)) return `${at}: column listed twice`;
    columns.add(f.column);
    if (f.type !== 'numeric') {
      if ((f.categories === undefined) === (f.hash === undefined)) return `${at}: give the feature's categories or its hash buckets (one of the two)`;
      if (f.hash !== undefined && f.embedding === undefined) return `${at}: hash buckets need an embedding dimension`;
      if (!f.categories) continue;
      if (f.categories.length === 0 && f.embedding === undefined) return `${at}: categorical feature with an empty category list (the column would be encoded as nothing)`;
      const seen = new Set<string>();
      for (const c of f.categories) {
        if (seen.has(c)) return `${at}: category '${clip(c)}' is listed twice`;
        seen.add(c);
      }
    }
  }
  const width = pre.features.reduce((a, f) => a + featureWidth(f), 0);
  if (width !== pre.inputSize) return `preprocessing.inputSize: ${pre.inputSize}, but the features encode to ${width} values`;
  if (pre.inputSize !== inputs) return `preprocessing.inputSize: ${pre.inputSize}, but inputShape [${m.inputShape.join(', ')}] holds ${inputs} values`;
  return null;
}

/** Validates a parsed manifest.json (`source`: its path, for the message); see the header. */
export function parseManifest(json: unknown, source: string): Manifest {
  const r = manifestSchema.safeParse(json);
  if (!r.success) {
    const notOurs = json === null || typeof json !== 'object' || (json as { format?: unknown }).format !== 'mtljs-manifest';
    if (notOurs) throw new ModelFileError(`not an mtljs manifest (${schemaProblem(r.error, json)})`, source);
    throw new ModelFileError(schemaProblem(r.error, json), source);
  }
  const m = r.data as unknown as Manifest;
  const problem = inconsistency(m);
  if (problem) throw new ModelFileError(problem, source);
  return m;
}
