/**
 * Parsers of flag values, shared by every `mtl` command: each checks the value with a zod schema and
 * turns a bad one into a UsageError (exit 2) naming the flag, what it expects and what it got — so
 * `--epochs abc`, `--epochs 1.5`, `--epochs 0` or `--progress foo` never reach a run.
 */
import { z } from 'zod';
import { UsageError } from '../config/errors.js';
import { BACKENDS } from '../engine/backend.js';

/** A user's value in a message: at most 60 characters. */
export function shown(v: string): string {
  return v.length > 60 ? `${v.slice(0, 57)}...` : v;
}

function parser<T>(schema: z.ZodType<T>, expected: string) {
  return (flag: string) => (v: string): T => {
    const r = schema.safeParse(v);
    if (!r.success) throw new UsageError(`${flag}: expected ${expected}, got '${shown(v)}'`);
    return r.data;
  };
}

const numeric = z.string().trim().min(1).pipe(z.coerce.number());

export const positiveInt = parser(numeric.pipe(z.number().int().positive()), 'a positive integer');
export const nonNegativeInt = parser(numeric.pipe(z.number().int().nonnegative()), 'a non-negative integer');
export const positiveNumber = parser(numeric.pipe(z.number().positive()), 'a positive number');
export const nonNegativeNumber = parser(numeric.pipe(z.number().nonnegative()), 'a non-negative number');

/** One of `values`. */
export function choice<const T extends string>(flag: string, values: readonly T[]) {
  return parser(z.enum(values as [T, ...T[]]), `one of ${values.join(', ')}`)(flag);
}

export const PROGRESS_MODES = ['auto', 'bar', 'lines', 'silent'] as const;
export const progressFlag = choice('--progress', PROGRESS_MODES);
export const backendFlag = choice('--backend', BACKENDS);

/** `--seeds 0,1,2`: distinct non-negative integers. */
export function seedList(flag: string) {
  return (v: string): number[] => {
    const parts = v.split(',').map((s) => s.trim()).filter(Boolean);
    const seeds = parts.map((p) => nonNegativeInt(flag)(p));
    if (!seeds.length) throw new UsageError(`${flag}: expected a comma-separated list of seeds, got '${shown(v)}'`);
    if (new Set(seeds).size !== seeds.length) throw new UsageError(`${flag}: a seed is listed twice in '${shown(v)}'`);
    return seeds;
  };
}
