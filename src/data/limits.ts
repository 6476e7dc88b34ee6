/**
 * Size limits checked before anything big is allocated, so that a categorical column with 50,000 values
 * or a layer of ten million units is refused with a message instead of exhausting memory. Both limits
 * are generous defaults that a config can raise (`limits:` in the config).
 */
import type { PreprocessingState } from './types.js';

export interface SizeLimits {
  /** Width of the encoded input vector (numeric columns + one-hot blocks). */
  maxInputWidth: number;
  /** Trainable parameters of the model (an estimate made before building it). */
  maxParameters: number;
}

export const DEFAULT_LIMITS: SizeLimits = { maxInputWidth: 20_000, maxParameters: 50_000_000 };

const fmt = (n: number) => n.toLocaleString('en-US');

/** Throws when the encoded input would be wider than `max`, naming the widest categorical columns. */
export function checkInputWidth(state: PreprocessingState, max = DEFAULT_LIMITS.maxInputWidth): void {
  if (state.inputSize <= max) return;
  const wide = state.features
    .filter((f): f is Extract<typeof f, { type: 'categorical'; embedding?: undefined }> => f.type === 'categorical' && f.embedding === undefined)
    .sort((a, b) => b.categories.length - a.categories.length)
    .slice(0, 3)
    .map((f) => `'${f.column}' (${fmt(f.categories.length)} categories)`);
  throw new Error(
    `the encoded input would be ${fmt(state.inputSize)} values wide, over the limit of ${fmt(max)}` +
      (wide.length ? `; the widest categorical columns: ${wide.join(', ')}` : '') +
      '. Embed such columns instead of one-hot encoding them ({ column, type: categorical, embedding: 16 }, with minCount or hash buckets), drop them, or raise limits.maxInputWidth in the config',
  );
}
