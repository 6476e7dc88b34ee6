/**
 * Schema-driven encoding of raw records into model inputs.
 *
 * `fitPreprocessing` learns, from the TRAINING rows only, the mean and population standard deviation
 * (divide by n) of each numeric column (std 0 → 1) and the sorted set of categories seen in each
 * categorical column (those seen at least `minCount` times). `encodeRows` / `encodeRow` then turn records
 * keyed by column name into one dense Float32Array: numeric → (v - mean) / std, missing → 0 (the mean);
 * categorical → a one-hot block in category order, missing or unseen → all zeros; an embedded
 * categorical (`embedding`) → one id slot, an `ids` list → maxLength id slots (-1 = none), ids as in
 * ./feature-ids.ts (the model looks them up: src/models/feature-embedding.ts). Missing = null,
 * undefined, NaN, '', '?' or the text 'NaN' / 'nan'.
 * The state is plain JSON, so a server can reload it and encode JSON records the same way.
 */

import {
  DEFAULT_MAX_LENGTH, DEFAULT_SEPARATOR, idLookup, MAX_TABLE_ROWS, splitIds, vocabulary,
} from './feature-ids.js';
import type { FeatureSpec, FeatureState, PreprocessingState, RawRecord, RawValue } from './types.js';

export interface EncodeOptions {
  /** What to do with record keys that are not feature columns (e.g. labels): 'error' (default) or 'ignore'. */
  extraColumns?: 'error' | 'ignore';
}

/** True for the values treated as missing: null, undefined, NaN, and (after trimming) '', '?', 'NaN', 'nan'. */
export function isMissing(v: RawValue): boolean {
  if (v === null || v === undefined) return true;
  if (typeof v === 'number') return Number.isNaN(v);
  if (v.length === 0 || v === '?' || v === 'NaN' || v === 'nan') return true;
  // Fast path: no surrounding whitespace to strip.
  if (v.charCodeAt(0) > 32 && v.charCodeAt(v.length - 1) > 32) return false;
  const t = v.trim();
  return t === '' || t === '?' || t === 'NaN' || t === 'nan';
}

/** Orders values numerically when both read as numbers, else by code unit (locale-independent). */
export function compareValues(a: string, b: string): number {
  const na = Number(a);
  const nb = Number(b);
  if (a.trim() !== '' && b.trim() !== '' && Number.isFinite(na) && Number.isFinite(nb) && na !== nb) return na - nb;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Number of input values a feature expands to. */
export function featureWidth(f: FeatureState): number {
  if (f.type === 'numeric') return 1;
  if (f.type === 'ids') return f.maxLength;
  return f.embedding !== undefined ? 1 : f.categories.length;
}

/** A name per encoded input value: the column for numeric ones, `column=category` for one-hot ones. */
export function featureNames(state: PreprocessingState): string[] {
  const names: string[] = [];
  for (const f of state.features) {
    if (f.type === 'numeric' || (f.type === 'categorical' && f.embedding !== undefined)) names.push(f.column);
    else if (f.type === 'ids') for (let i = 0; i < f.maxLength; i++) names.push(`${f.column}[${i}]`);
    else for (const c of f.categories) names.push(`${f.column}=${c}`);
  }
  return names;
}

export function categoryKey(v: string | number): string {
  if (typeof v === 'number') return String(v);
  return v.charCodeAt(0) > 32 && v.charCodeAt(v.length - 1) > 32 ? v : v.trim();
}

function toNumber(v: string | number, column: string, where: string): number {
  const x = typeof v === 'number' ? v : Number(v); // Number() ignores surrounding whitespace
  if (!Number.isFinite(x)) throw new Error(`column '${column}'${where}: not a number: '${String(v)}'`);
  return x;
}

const isInt = (v: unknown, min: number, max = Number.MAX_SAFE_INTEGER): v is number => typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;

/** Checks a categorical or ids feature's options; throws naming the column. */
export function checkIdSpec(spec: FeatureSpec): void {
  const at = `feature '${spec.column}'`;
  if (spec.embedding !== undefined && !isInt(spec.embedding, 1, 4096)) throw new Error(`${at}: embedding must be an integer from 1 to 4096, got ${String(spec.embedding)}`);
  if (spec.hash !== undefined && !isInt(spec.hash, 1, MAX_TABLE_ROWS - 1)) throw new Error(`${at}: hash must be an integer from 1 to ${MAX_TABLE_ROWS - 1} buckets, got ${String(spec.hash)}`);
  if (spec.minCount !== undefined && !isInt(spec.minCount, 1)) throw new Error(`${at}: minCount must be an integer ≥ 1, got ${String(spec.minCount)}`);
  if (spec.hash !== undefined && spec.minCount !== undefined) throw new Error(`${at}: give hash or minCount, not both (hashed ids have no vocabulary)`);
  if (spec.hash !== undefined && spec.embedding === undefined) throw new Error(`${at}: hash needs an embedding dimension (embedding: 16, say): hashed ids are looked up, not one-hot encoded`);
  if (spec.type === 'ids') {
    if (spec.embedding === undefined) throw new Error(`${at}: an ids feature needs an embedding dimension (embedding: 16, say)`);
    if (spec.maxLength !== undefined && !isInt(spec.maxLength, 1, 1024)) throw new Error(`${at}: maxLength must be an integer from 1 to 1024, got ${String(spec.maxLength)}`);
    if (spec.separator !== undefined && (typeof spec.separator !== 'string' || spec.separator === '')) throw new Error(`${at}: separator must be a non-empty string`);
  } else if (spec.maxLength !== undefined || spec.separator !== undefined) {
    throw new Error(`${at}: maxLength and separator apply to type ids`);
  }
}

/** Collects, value by value, what a categorical or ids feature's state needs (its vocabulary counts). */
export interface IdFeatureStat {
  add(v: RawValue): void;
  finish(): FeatureState;
}

/** The statistics of one categorical (one-hot or embedded) or ids feature, fed one training value at a time. */
export function idFeatureStat(spec: FeatureSpec): IdFeatureStat {
  checkIdSpec(spec);
  const counts = new Map<string, number>();
  const hashed = spec.hash !== undefined;
  const separator = spec.separator ?? DEFAULT_SEPARATOR;
  const count = (key: string) => counts.set(key, (counts.get(key) ?? 0) + 1);
  return {
    add(v) {
      if (hashed || isMissing(v)) return;
      if (spec.type === 'ids') for (const item of splitIds(String(v), separator)) count(item);
      else count(categoryKey(v!));
    },
    finish() {
      const source = hashed ? { hash: spec.hash! } : { categories: vocabulary(counts, spec.minCount ?? 1, compareValues) };
      if (source.categories && source.categories.length >= MAX_TABLE_ROWS) {
        throw new Error(`feature '${spec.column}': ${source.categories.length} distinct values, over the ${MAX_TABLE_ROWS - 1} an embedding table holds: use hash buckets or a minCount`);
      }
      if (spec.type === 'ids') return { column: spec.column, type: 'ids', embedding: spec.embedding!, separator, maxLength: spec.maxLength ?? DEFAULT_MAX_LENGTH, ...source };
      if (spec.embedding !== undefined) return { column: spec.column, type: 'categorical', embedding: spec.embedding, ...source };
      return { column: spec.column, type: 'categorical', categories: source.categories! };
    },
  };
}

/** Reads cell (row, feature) of some row container; used by the record and table front ends. */
export type CellGetter = (row: number, feature: number) => RawValue;

/** Fits the preprocessing from `n` training rows read through `get`. */
export function fitPreprocessingWith(features: FeatureSpec[], n: number, get: CellGetter): PreprocessingState {
  const seenColumns = new Set<string>();
  const states: FeatureState[] = features.map((spec, fi) => {
    if (seenColumns.has(spec.column)) throw new Error(`feature column '${spec.column}' listed twice`);
    seenColumns.add(spec.column);
    if (spec.type === 'numeric') {
      let sum = 0;
      let count = 0;
      for (let r = 0; r < n; r++) {
        const v = get(r, fi);
        if (isMissing(v)) continue;
        sum += toNumber(v!, spec.column, `, training row ${r}`);
        count++;
      }
      const mean = count > 0 ? sum / count : 0;
      let ss = 0;
      for (let r = 0; r < n; r++) {
        const v = get(r, fi);
        if (isMissing(v)) continue;
        const d = toNumber(v!, spec.column, '') - mean;
        ss += d * d;
      }
      const std = count > 0 ? Math.sqrt(ss / count) : 0;
      return { column: spec.column, type: 'numeric', mean, std: std > 0 && Number.isFinite(std) ? std : 1 };
    }
    if (spec.type === 'categorical' || spec.type === 'ids') {
      const stat = idFeatureStat(spec);
      for (let r = 0; r < n; r++) stat.add(get(r, fi));
      return stat.finish();
    }
    throw new Error(`feature '${(spec as FeatureSpec).column}': unknown type '${(spec as { type: string }).type}'`);
  });
  return { features: states, inputSize: states.reduce((s, f) => s + featureWidth(f), 0) };
}

/** Encodes `n` rows read through `get` (feature index = position in state.features) into `out`. */
export function encodeWith(
  state: PreprocessingState,
  n: number,
  get: CellGetter,
  out: Float32Array = new Float32Array(n * state.inputSize),
  offset = 0,
): Float32Array {
  return encoderFor(state)(n, get, out, offset);
}

/** encodeWith with its lookup tables built once, for callers that encode many small chunks (a streamed file). */
export type RowsEncoder = (n: number, get: CellGetter, out?: Float32Array, offset?: number) => Float32Array;

export function encoderFor(state: PreprocessingState): RowsEncoder {
  const feats = state.features;
  const lookups = feats.map((f) => (f.type === 'numeric' ? null : f.embedding !== undefined ? idLookup(f) : null));
  const oneHot = feats.map((f) => (f.type === 'categorical' && f.embedding === undefined ? new Map(f.categories.map((c, i) => [c, i])) : null));
  const size = state.inputSize;
  return (n, get, out = new Float32Array(n * size), offset = 0) => {
    for (let r = 0; r < n; r++) {
      let o = offset + r * size;
      for (let fi = 0; fi < feats.length; fi++) {
        const f = feats[fi]!;
        const v = get(r, fi);
        if (f.type === 'numeric') {
          out[o] = isMissing(v) ? 0 : (toNumber(v!, f.column, ` (row ${r})`) - f.mean) / f.std;
          o += 1;
        } else if (f.type === 'ids') {
          // The list's first maxLength items; the rest of the slots hold -1 (none).
          out.fill(-1, o, o + f.maxLength);
          if (!isMissing(v)) {
            const items = splitIds(String(v), f.separator);
            const id = lookups[fi]!;
            for (let k = 0; k < items.length && k < f.maxLength; k++) out[o + k] = id(items[k]!);
          }
          o += f.maxLength;
        } else if (f.embedding !== undefined) {
          out[o] = isMissing(v) ? 0 : lookups[fi]!(categoryKey(v!));
          o += 1;
        } else {
          const width = f.categories.length;
          out.fill(0, o, o + width);
          if (!isMissing(v)) {
            const idx = oneHot[fi]!.get(categoryKey(v!));
            if (idx !== undefined) out[o + idx] = 1;
          }
          o += width;
        }
      }
    }
    return out;
  };
}

function checkRecord(record: RawRecord, r: number, columns: string[], known: Set<string>, options: EncodeOptions): void {
  if (record === null || typeof record !== 'object' || Array.isArray(record)) {
    throw new Error(`record ${r}: expected an object keyed by column name`);
  }
  for (const c of columns) {
    if (!Object.prototype.hasOwnProperty.call(record, c)) {
      throw new Error(`record ${r}: missing column '${c}' (expected columns: ${columns.join(', ')}; use null for a missing value)`);
    }
  }
  if ((options.extraColumns ?? 'error') === 'error') {
    for (const k of Object.keys(record)) {
      if (!known.has(k)) throw new Error(`record ${r}: unknown column '${k}' (expected columns: ${columns.join(', ')})`);
    }
  }
}

/** Learns the preprocessing from training records (keys other than the feature columns are ignored). */
export function fitPreprocessing(columns: FeatureSpec[], trainRows: RawRecord[]): PreprocessingState {
  trainRows.forEach((rec, r) => {
    for (const spec of columns) {
      if (!Object.prototype.hasOwnProperty.call(rec, spec.column)) {
        throw new Error(`training row ${r}: missing column '${spec.column}'`);
      }
    }
  });
  return fitPreprocessingWith(columns, trainRows.length, (r, fi) => trainRows[r]![columns[fi]!.column]);
}

/** Encodes records keyed by column name into n × inputSize values; unknown or absent columns throw. */
export function encodeRows(state: PreprocessingState, rows: RawRecord[], options: EncodeOptions = {}): Float32Array {
  const columns = state.features.map((f) => f.column);
  const known = new Set(columns);
  rows.forEach((rec, r) => checkRecord(rec, r, columns, known, options));
  return encodeWith(state, rows.length, (r, fi) => rows[r]![columns[fi]!]);
}

/** Encodes one record into inputSize values. */
export function encodeRow(state: PreprocessingState, row: RawRecord, options: EncodeOptions = {}): Float32Array {
  return encodeRows(state, [row], options);
}
