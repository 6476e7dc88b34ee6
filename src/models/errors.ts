/**
 * ModelFileError: a saved model folder (model.json, weights.bin, manifest.json, checkpoint tensors) that
 * is wrong — a weight path leaving the folder, a truncated or corrupt weight file, a non-finite weight, a
 * JSON field missing or of the wrong type, a manifest that does not fit the model. It is a DataError, so
 * the CLI prints its one message and exits 2, like any other bad input file. The message starts with the
 * file (or folder) at fault, which names the folder, then the field, then what is wrong:
 *   runs/adult/model/model.json: weightsManifest[0].paths[0]: '../../etc/passwd' leaves the model folder
 *   runs/adult/model/weights.bin: holds 2500 bytes but the 6 weights model.json lists need 2632
 *
 * Also here: `schemaProblem`, a zod error turned into "field: expected X, got Y" for such messages.
 */
import type { z } from 'zod';
import { DataError } from '../data/errors.js';

export class ModelFileError extends DataError {
  /** `where`: the file (or folder) at fault; `detail`: the field and what is wrong with it. */
  constructor(detail: string, where: string) {
    super(detail, where);
    this.name = 'ModelFileError';
  }
}

/** A user's (or a file's) string in a message: at most `max` characters, then an ellipsis. */
export function clip(s: string, max = 100): string {
  return s.length > max ? `${s.slice(0, max)}…` : s;
}

/** `a.b[0].c` for a zod path. */
export function fieldPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const k of path) out += typeof k === 'number' ? `[${k}]` : out ? `.${String(k)}` : String(k);
  return out;
}

function describeValue(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return `'${clip(v, 60)}'`;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return typeof v === 'object' ? 'an object' : typeof v;
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let v: unknown = root;
  for (const k of path) {
    if (v === null || typeof v !== 'object') return undefined;
    if (!Object.prototype.hasOwnProperty.call(v, k as string)) return undefined;
    v = (v as Record<PropertyKey, unknown>)[k];
  }
  return v;
}

/** The first issue of a failed zod parse of `data`, as "field: expected …, got …" (or "field: is missing"). */
export function schemaProblem(error: z.ZodError, data: unknown): string {
  const issue = error.issues[0]!;
  const where = fieldPath(issue.path);
  const got = valueAt(data, issue.path);
  const at = where ? `${where}: ` : '';
  if (issue.code === 'invalid_type') {
    if (got === undefined) return `${at}is missing (expected ${issue.expected})`;
    return `${at}expected ${issue.expected}, got ${describeValue(got)}`;
  }
  if (issue.code === 'invalid_value') return `${at}expected ${issue.values.map((v) => String(v)).join(' or ')}, got ${describeValue(got)}`;
  if (issue.code === 'unrecognized_keys') return `${at}unknown field(s) ${issue.keys.map((k) => `'${clip(k, 60)}'`).join(', ')}`;
  return `${at}${issue.message}${got !== undefined && typeof got !== 'object' ? ` (got ${describeValue(got)})` : ''}`;
}
