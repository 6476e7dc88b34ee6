/**
 * Raw table + schema → DatasetSplit.
 *
 * `tableToSplit` fits the feature preprocessing on the training rows only, encodes both splits, and
 * reads every task's labels with the conventions of TaskSpec: multiclass → class index, binary → 0/1,
 * multilabel → 0/1 per label column, regression → the raw numbers (not standardized, so metrics stay in
 * real units), box → 4 raw numbers. A missing label cell (null, '', '?', NaN) becomes NaN. A binary or
 * multilabel cell is 1 when it is one of `positive` (text, or numbers compared as numbers), or when its
 * number is > `threshold`; without either it must read 0 or 1.
 *
 * Given `locate` (row → file and 1-based line), an error about one cell is a DataError naming that file
 * line (`emotions-train.arff:342: task 'y', column 'y': expected 0 or 1, found '2'`); without it the
 * message names the row index.
 */

import { compareValues, encodeWith, fitPreprocessingWith, isMissing } from './preprocess.js';
import { TASK_KINDS } from './types.js';
import type { Dataset, DatasetSplit, RawValue, TableSchema, TargetSpec, TaskSpec } from './types.js';
import { checkInputWidth } from './limits.js';
import { DataError } from './errors.js';

/** Column names and rows of raw cells (text, numbers or null), e.g. a parsed CSV or ARFF file. */
export interface RawTable {
  columns: string[];
  rows: RawValue[][];
}

export interface TableSplitOptions {
  /** Dataset name given to both splits. */
  name: string;
  table: RawTable;
  schema: TableSchema;
  /** Row indices (into table.rows) of the training split; preprocessing statistics come from these only. */
  train: readonly number[];
  /** Row indices of the test split. */
  test: readonly number[];
  /** Refuse an encoded input wider than this (default DEFAULT_LIMITS.maxInputWidth). */
  maxInputWidth?: number;
  /** The file and 1-based line a row came from, for error messages (e.g. a CSV's `lines`). */
  locate?: (row: number) => { file: string; line: number };
}

/** At most `max` column names, then how many more: an error about a 400-column table stays readable. */
export function listColumns(columns: readonly string[], max = 30): string {
  return columns.length <= max ? columns.join(', ') : `${columns.slice(0, max).join(', ')}, … (${columns.length} in all)`;
}

/** The index of every named column, or a clear error for an unknown one. */
function columnIndices(table: RawTable, names: string[], what: string): number[] {
  const index = new Map(table.columns.map((c, i) => [c, i]));
  return names.map((n) => {
    const i = index.get(n);
    if (i === undefined) throw new Error(`${what}: unknown column '${n}' (columns: ${listColumns(table.columns)})`);
    return i;
  });
}

/** Checks a target's kind and its number of columns (throws). */
export function checkTarget(t: TargetSpec): void {
  if (!(TASK_KINDS as readonly string[]).includes(t.kind)) throw new Error(`task '${t.task}': unknown kind '${t.kind}'`);
  const n = t.columns.length;
  const ok =
    t.kind === 'binary' || t.kind === 'multiclass' ? n === 1 : t.kind === 'box' ? n === 4 : n >= 1;
  if (!ok) throw new Error(`task '${t.task}' (${t.kind}): wrong number of columns (${n})`);
}

/** Builds the TaskSpec of a target; multiclass classes default to the sorted distinct training values. */
export function resolveTask(t: TargetSpec, trainValues: () => Iterable<RawValue>): { spec: TaskSpec; classes?: string[] } {
  switch (t.kind) {
    case 'multiclass': {
      let classes = t.classes;
      if (!classes) {
        const set = new Set<string>();
        for (const v of trainValues()) if (!isMissing(v)) set.add(String(v).trim());
        classes = [...set].sort(compareValues);
      }
      if (new Set(classes).size !== classes.length) throw new Error(`task '${t.task}': duplicate class names`);
      const spec: TaskSpec = { name: t.task, kind: 'multiclass', width: 1, outputSize: classes.length, labelNames: t.labelNames ?? [...classes] };
      return { spec, classes };
    }
    case 'binary': {
      const positive = t.positive?.map(String).join('/');
      const labelNames = t.labelNames
        ?? (t.threshold !== undefined ? [`≤ ${t.threshold}`, `> ${t.threshold}`] : positive ? [`not ${positive}`, positive] : ['0', '1']);
      return { spec: { name: t.task, kind: 'binary', width: 1, outputSize: 1, labelNames } };
    }
    case 'box':
      return { spec: { name: t.task, kind: 'box', width: 4, outputSize: 4, labelNames: t.labelNames ?? ['x1', 'y1', 'x2', 'y2'] } };
    default: {
      const w = t.columns.length;
      return { spec: { name: t.task, kind: t.kind, width: w, outputSize: w, labelNames: t.labelNames ?? [...t.columns] } };
    }
  }
}

/** A cell that cannot be read: (row index, column index, the cell, what was expected, a hint) → throws. */
export type BadCell = (row: number, column: number, v: RawValue, expected: string, hint?: string) => never;

/** True for a cell that is one of `positive`: text compared trimmed, numbers compared as numbers. */
export function positiveMatcher(positive: readonly (string | number)[]): (v: RawValue) => boolean {
  const texts = new Set(positive.filter((p): p is string => typeof p === 'string').map((p) => p.trim()));
  const numbers = new Set(positive.filter((p): p is number => typeof p === 'number'));
  return (v) => {
    const text = typeof v === 'number' ? String(v) : String(v).trim();
    if (texts.has(text)) return true;
    if (numbers.size === 0 || text === '') return false;
    return numbers.has(typeof v === 'number' ? v : Number(text));
  };
}

const toNumber = (v: RawValue): number => (typeof v === 'number' ? v : Number(String(v).trim()));

/** Turns one label cell (of table row `row`, column `col`) into its number (see the file header). */
export function labelReader(t: TargetSpec, classes: string[] | undefined, bad: BadCell): (v: RawValue, row: number, col: number) => number {
  switch (t.kind) {
    case 'multiclass': {
      const map = new Map(classes!.map((c, i) => [c, i]));
      return (v, row, col) => {
        if (isMissing(v)) return NaN;
        const i = map.get(String(v).trim());
        return i ?? bad(row, col, v, `one of the classes ${classes!.join(', ')}`);
      };
    }
    case 'binary':
    case 'multilabel': {
      if (t.positive) {
        const isPositive = positiveMatcher(t.positive);
        return (v) => (isMissing(v) ? NaN : isPositive(v) ? 1 : 0);
      }
      const threshold = t.threshold;
      if (threshold !== undefined) {
        return (v, row, col) => {
          if (isMissing(v)) return NaN;
          const x = toNumber(v);
          return Number.isFinite(x) ? (x > threshold ? 1 : 0) : bad(row, col, v, `a number (threshold: ${threshold})`);
        };
      }
      return (v, row, col) => {
        if (isMissing(v)) return NaN;
        const x = toNumber(v);
        return x === 0 || x === 1 ? x : bad(row, col, v, '0 or 1', '; give the target positive: [values] or threshold: number');
      };
    }
    default:
      return (v, row, col) => {
        if (isMissing(v)) return NaN;
        const x = toNumber(v);
        return Number.isFinite(x) ? x : bad(row, col, v, 'a number');
      };
  }
}

export function tableToSplit(options: TableSplitOptions): DatasetSplit {
  const { name, table, schema } = options;
  const rows = table.rows;
  const width = table.columns.length;
  /**
   * An error about row `r`: at its file line when `locate` knows it (`what` + `joiner` + detail), else
   * naming the row index (`what, row r` + `joiner` + detail).
   */
  const rowError = (r: number, what: string, detail: string, joiner = ':'): never => {
    const at = options.locate?.(r);
    if (at) throw new DataError(`${what}${joiner} ${detail}`, at.file, at.line);
    throw new Error(`${what}, row ${r}${joiner} ${detail}`);
  };
  for (const idx of [...options.train, ...options.test]) {
    if (!Number.isInteger(idx) || idx < 0 || idx >= rows.length) throw new Error(`tableToSplit: row index ${idx} out of range`);
  }
  rows.forEach((row, r) => {
    if (row.length !== width) rowError(r, 'tableToSplit', `${row.length} cells, expected ${width}`);
  });

  const featCols = columnIndices(table, schema.features.map((f) => f.column), 'feature');
  const taskNames = new Set<string>();
  for (const t of schema.targets) {
    if (taskNames.has(t.task)) throw new Error(`duplicate task name '${t.task}'`);
    taskNames.add(t.task);
    checkTarget(t);
  }

  // Numeric feature cells must read as finite numbers (checked here, where the row's file line is known).
  const numeric = schema.features.flatMap((f, fi) => (f.type === 'numeric' ? [fi] : []));
  if (numeric.length) {
    for (const r of [...options.train, ...options.test]) {
      const row = rows[r]!;
      for (const fi of numeric) {
        const v = row[featCols[fi]!];
        if (!isMissing(v) && !Number.isFinite(toNumber(v))) rowError(r, `column '${schema.features[fi]!.column}'`, `not a number: '${String(v)}'`);
      }
    }
  }

  const train = options.train;
  const preprocessing = fitPreprocessingWith(schema.features, train.length, (r, fi) => rows[train[r]!]![featCols[fi]!]);
  checkInputWidth(preprocessing, options.maxInputWidth); // before the one-hot rows are allocated

  const resolved = schema.targets.map((t) => {
    const cols = columnIndices(table, t.columns, `task '${t.task}'`);
    const { spec, classes } = resolveTask(t, () => train.map((r) => rows[r]![cols[0]!]));
    const bad: BadCell = (r, c, v, expected, hint = '') =>
      rowError(r, `task '${t.task}'`, `column '${table.columns[c]}': expected ${expected}, found '${String(v)}'${hint}`, options.locate ? ',' : '');
    return { target: t, cols, spec, read: labelReader(t, classes, bad) };
  });

  const build = (indices: readonly number[]): Dataset => {
    const x = encodeWith(preprocessing, indices.length, (r, fi) => rows[indices[r]!]![featCols[fi]!]);
    const labels: Record<string, Float32Array> = {};
    for (const { spec, cols, read } of resolved) {
      const w = spec.width;
      const out = new Float32Array(indices.length * w);
      for (let i = 0; i < indices.length; i++) {
        const row = rows[indices[i]!]!;
        for (let k = 0; k < w; k++) {
          const c = cols[k]!;
          out[i * w + k] = read(row[c], indices[i]!, c);
        }
      }
      labels[spec.name] = out;
    }
    return {
      name,
      inputShape: [preprocessing.inputSize],
      n: indices.length,
      x,
      tasks: resolved.map((r) => structuredClone(r.spec)),
      labels,
    };
  };

  const split = { train: build(train), test: build(options.test), preprocessing };
  // A positive list that matches no training label is a typo ('Yes' for 'yes'), not a one-class task.
  for (const { target: t, spec, cols } of resolved) {
    if (t.kind !== 'binary' || !t.positive) continue;
    const y = split.train.labels[spec.name]!;
    if (y.some((v) => v === 1) || !y.some((v) => v === 0)) continue;
    const seen = [...new Set(train.map((r) => rows[r]![cols[0]!]).filter((v) => !isMissing(v)).map((v) => String(v).trim()))];
    throw new Error(`task '${t.task}': no training value of column '${t.columns[0]}' is positive (${t.positive.join(', ')}); its values: ${listColumns(seen.sort(compareValues), 12)}`);
  }
  return split;
}
