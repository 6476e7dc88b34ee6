/**
 * Ids of embedded features (`embedding` on a categorical feature, or an `ids` list feature): how a raw
 * value becomes a row of the feature's embedding table, the same in training, `mtl predict`, the server
 * and the browser runtime.
 *
 *   vocabulary:  id(v) = 1 + position of v in the sorted vocabulary (values seen ≥ minCount times in the
 *                training rows); any other value → 0
 *   hash:        id(v) = 1 + (FNV-1a-32(UTF-16 code units of v) mod hash)
 *   missing      → 0 (a categorical slot), or no slot at all (an ids list: its slots hold -1 = none)
 *
 * Table rows = vocabulary size + 1 or hash + 1, row 0 being the missing / out-of-vocabulary row (trained
 * like the others: "unknown" is a value of its own). Ids are stored as float32 input values, exact up to
 * 2^24: tables are limited to MAX_TABLE_ROWS.
 *
 * FNV-1a (Fowler, Noll, Vo): h = 2166136261; for each unit c: h = (h XOR c) · 16777619 mod 2^32. Chosen
 * because it is tiny, has no dependency and is exactly the same in every JavaScript engine.
 */
import type { EmbeddedFeatureState, FeatureState, IdSource } from './types.js';

/** Largest embedding table: ids must stay exact in float32 (2^24) and a table must fit in memory. */
export const MAX_TABLE_ROWS = 1 << 24;

/** Default longest list of an `ids` feature and its separator. */
export const DEFAULT_MAX_LENGTH = 20;
export const DEFAULT_SEPARATOR = '|';

/** FNV-1a over the string's UTF-16 code units (32-bit, unsigned). */
export function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export function isEmbedded(f: FeatureState): f is EmbeddedFeatureState {
  return f.type !== 'numeric' && f.embedding !== undefined;
}

/** Rows of the feature's embedding table (row 0: missing or out of vocabulary). */
export function tableRows(f: IdSource): number {
  return (f.hash ?? f.categories!.length) + 1;
}

/** A function from a (trimmed, present) value to its id; `lookup` is built once per feature. */
export function idLookup(f: IdSource): (value: string) => number {
  if (f.hash !== undefined) {
    const n = f.hash;
    return (v) => 1 + (fnv1a(v) % n);
  }
  const index = new Map(f.categories!.map((c, i) => [c, i + 1]));
  return (v) => index.get(v) ?? 0;
}

/** The items of an `ids` cell: split on the separator, trimmed, empty items dropped. */
export function splitIds(cell: string, separator: string): string[] {
  const out: string[] = [];
  for (const part of cell.split(separator)) {
    const t = part.trim();
    if (t !== '') out.push(t);
  }
  return out;
}

/**
 * The vocabulary of counted values: those seen at least `minCount` times, sorted by `compare` (the
 * same order as one-hot categories, so a vocabulary reads like them).
 */
export function vocabulary(counts: Map<string, number>, minCount: number, compare: (a: string, b: string) => number): string[] {
  const kept: string[] = [];
  for (const [v, c] of counts) if (c >= minCount) kept.push(v);
  return kept.sort(compare);
}
