/**
 * A user's own table, beyond parsing: which columns are features (`features: all`) and of what type,
 * the group and order splits, and what format a file really is. Pure functions over a raw table (no
 * file access); src/config/dataset.ts wires them to the config.
 */

import { compareValues, isMissing } from './preprocess.js';
import { mulberry32, shuffled } from './split.js';
import { listColumns } from './table.js';
import type { FeatureSpec, RawValue } from './types.js';

export type ColumnType = 'numeric' | 'categorical';

/** An error about one table row; the caller turns the row into its file and line. */
export class RowError extends Error {
  constructor(readonly row: number, readonly detail: string) {
    super(`row ${row}: ${detail}`);
    this.name = 'RowError';
  }
}

/**
 * The type rule of `features: all`: a column is numeric when every non-missing training value is a
 * finite number (a JSON number, or text that reads as one) AND it has more than
 * MAX_CATEGORICAL_NUMBERS distinct values; otherwise it is categorical (text, and numeric codes such as
 * 0/1 flags or a 1–5 rating). Missing values (empty, '?', NaN, null) are ignored. `types:` overrides it.
 */
export const MAX_CATEGORICAL_NUMBERS = 10;

export interface InferFeaturesOptions {
  columns: readonly string[];
  rows: readonly (readonly RawValue[])[];
  /** Training rows: the types and the category counts come from these only. */
  train: readonly number[];
  /** Columns that are never features, with the reason (target, split column). */
  reserved: ReadonlyMap<string, string>;
  exclude?: readonly string[];
  /** Per-column type overrides. */
  types?: Readonly<Record<string, ColumnType>>;
  /** Types a file declares (ARFF numeric → numeric, nominal → categorical); undefined = infer. */
  declared?: ReadonlyMap<string, { type: ColumnType; label: string } | undefined>;
}

export interface InferredFeatures {
  features: FeatureSpec[];
  /** One line for the whole, then one per column: `age: numeric (inferred)`. */
  summary: string[];
}

function checkNames(what: string, names: readonly string[], columns: readonly string[]): void {
  const known = new Set(columns);
  for (const n of names) if (!known.has(n)) throw new Error(`${what}: unknown column '${n}' (columns: ${listColumns(columns)})`);
}

/** `features: all`: every column not reserved or excluded, typed by the rule above (or `types`, or the file). */
export function inferFeatures(o: InferFeaturesOptions): InferredFeatures {
  const exclude = new Set(o.exclude ?? []);
  const types = o.types ?? {};
  checkNames('data.exclude', [...exclude], o.columns);
  checkNames('data.types', Object.keys(types), o.columns);
  for (const c of Object.keys(types)) {
    const why = o.reserved.get(c);
    if (why) throw new Error(`data.types: '${c}' is the ${why}, not a feature`);
    if (exclude.has(c)) throw new Error(`data.types: '${c}' is also in data.exclude`);
  }

  const features: FeatureSpec[] = [];
  const lines: string[] = [];
  const skipped: string[] = [];
  o.columns.forEach((column, c) => {
    if (o.reserved.has(column) || exclude.has(column)) return;
    let allNumbers = true;
    let present = 0;
    const distinct = new Set<string>();
    for (const r of o.train) {
      const v = o.rows[r]![c];
      if (isMissing(v)) continue;
      present++;
      const text = typeof v === 'number' ? String(v) : v!.trim();
      distinct.add(text);
      if (allNumbers && !Number.isFinite(typeof v === 'number' ? v : Number(text))) allNumbers = false;
    }
    const declared = o.declared?.get(column);
    let type: ColumnType;
    let why: string;
    if (types[column]) {
      type = types[column];
      why = 'types';
    } else if (declared) {
      type = declared.type;
      why = declared.label;
    } else if (present === 0) {
      skipped.push(column);
      lines.push(`${column}: skipped, no value in the training rows`);
      return;
    } else {
      type = allNumbers && distinct.size > MAX_CATEGORICAL_NUMBERS ? 'numeric' : 'categorical';
      why = allNumbers && type === 'categorical' ? `inferred: only ${distinct.size} distinct number${distinct.size === 1 ? '' : 's'}` : 'inferred';
    }
    features.push({ column, type });
    if (type === 'numeric') {
      lines.push(`${column}: numeric (${why})`);
    } else {
      const id = distinct.size > 20 && distinct.size === present && !allNumbers ? '; every value differs: an identifier? add it to data.exclude' : '';
      lines.push(`${column}: categorical, ${distinct.size} categor${distinct.size === 1 ? 'y' : 'ies'} (${why})${id}`);
    }
  });
  if (features.length === 0) {
    throw new Error('data.features: all left no feature column (every column is a target, excluded, the split column or empty)');
  }
  const numeric = features.filter((f) => f.type === 'numeric').length;
  const notFeatures = [...o.reserved].map(([c, why]) => `${c} (${why})`).concat([...exclude].filter((c) => !o.reserved.has(c)).map((c) => `${c} (excluded)`));
  const head = `features: all → ${features.length} column${features.length === 1 ? '' : 's'} from ${o.train.length} training rows: ${numeric} numeric, ${features.length - numeric} categorical`
    + (skipped.length ? `, ${skipped.length} skipped` : '')
    + (notFeatures.length ? `; not features: ${listColumns(notFeatures, 12)}` : '');
  return { features, summary: [head, ...lines.map((l) => `  ${l}`)] };
}

export interface RowSplit {
  train: number[];
  test: number[];
  /** One line saying what the split did. */
  summary: string;
}

const keyOf = (v: RawValue): string => (isMissing(v) ? '(missing)' : typeof v === 'number' ? String(v) : v!.trim());

/**
 * Whole groups to test until it holds round(n × testFraction) rows or more (never every group): the
 * groups are sorted, then shuffled with `seed`, so the split depends on the seed and the groups only,
 * not on the row order. Rows with no group value form one group, '(missing)'. No group is on both sides.
 */
export function groupSplit(values: readonly RawValue[], testFraction: number, seed: number, column: string): RowSplit {
  const rowsOf = new Map<string, number[]>();
  values.forEach((v, r) => {
    const k = keyOf(v);
    let list = rowsOf.get(k);
    if (!list) rowsOf.set(k, (list = []));
    list.push(r);
  });
  if (rowsOf.size < 2) throw new Error(`split by group: column '${column}' has ${rowsOf.size === 0 ? 'no rows' : `one group only ('${[...rowsOf.keys()][0]}')`}; a group split needs 2 or more`);
  const order = shuffled([...rowsOf.keys()].sort(compareValues), mulberry32(seed));
  const target = Math.round(values.length * testFraction);
  const testGroups = new Set<string>();
  let nTest = 0;
  for (const g of order.slice(0, -1)) { // the last group always trains
    if (nTest >= target && testGroups.size > 0) break;
    testGroups.add(g);
    nTest += rowsOf.get(g)!.length;
  }
  const train: number[] = [];
  const test: number[] = [];
  values.forEach((v, r) => (testGroups.has(keyOf(v)) ? test : train).push(r));
  return {
    train, test,
    summary: `split by group '${column}': ${rowsOf.size} groups → ${rowsOf.size - testGroups.size} train (${train.length} rows), ${testGroups.size} test (${test.length} rows)`,
  };
}

/**
 * The last round(n × testFraction) rows in the order of `column` go to test (at least 1, and at least 1
 * row stays in train). The order is numeric when every value is a number, by time when every value is a
 * date Date.parse reads (e.g. 2024-03-01), else by text; equal values keep their file order. A missing
 * value cannot be ordered: a RowError.
 */
export function orderSplit(values: readonly RawValue[], testFraction: number, column: string): RowSplit {
  const n = values.length;
  values.forEach((v, r) => {
    if (isMissing(v)) throw new RowError(r, `split by order: column '${column}' has no value`);
  });
  const texts = values.map((v) => (typeof v === 'number' ? String(v) : v!.trim()));
  let kind: 'numeric' | 'date' | 'text';
  let keys: (number | string)[];
  if (values.every((v, r) => Number.isFinite(typeof v === 'number' ? v : Number(texts[r])))) {
    kind = 'numeric';
    keys = values.map((v, r) => (typeof v === 'number' ? v : Number(texts[r])));
  } else if (texts.every((t) => Number.isFinite(Date.parse(t)))) {
    kind = 'date';
    keys = texts.map((t) => Date.parse(t));
  } else {
    kind = 'text';
    keys = texts;
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => {
    const ka = keys[a]!;
    const kb = keys[b]!;
    return ka < kb ? -1 : ka > kb ? 1 : a - b;
  });
  const nTest = n < 2 ? 0 : Math.min(n - 1, Math.max(1, Math.round(n * testFraction)));
  const train = order.slice(0, n - nTest);
  const test = order.slice(n - nTest);
  const last = train.length ? texts[train[train.length - 1]!] : undefined;
  const first = test.length ? texts[test[0]!] : undefined;
  return {
    train, test,
    summary: `split by order of '${column}' (${kind}): ${train.length} train rows${last !== undefined ? ` up to ${last}` : ''}, ${test.length} test rows${first !== undefined ? ` from ${first}` : ''}`,
  };
}

/**
 * What a file's text looks like, judged by its first content line: 'arff' (an @relation, @attribute or
 * @data line after % comments), 'jsonl' (a JSON object), else undefined (a delimited text table).
 */
export function sniffFormat(text: string): { format: 'arff' | 'jsonl'; line: number } | undefined {
  let start = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  for (let lineNo = 1; start <= text.length; lineNo++) {
    let end = text.indexOf('\n', start);
    if (end === -1) end = text.length;
    const line = text.slice(start, end).trim();
    start = end + 1;
    if (line === '' || line.startsWith('%')) continue;
    if (/^@(relation|attribute|data)\b/i.test(line)) return { format: 'arff', line: lineNo };
    if (line.startsWith('{') && line.endsWith('}')) {
      try {
        const v: unknown = JSON.parse(line);
        if (v !== null && typeof v === 'object' && !Array.isArray(v)) return { format: 'jsonl', line: lineNo };
      } catch {
        // not JSON: a delimited table
      }
    }
    return undefined;
  }
  return undefined;
}
