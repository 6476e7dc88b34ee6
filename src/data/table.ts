/**
 * Raw table + schema → DatasetSplit.
 *
 * `tableToSplit` fits the feature preprocessing on the training rows only, encodes both splits, and
 * reads every task's labels with the conventions of TaskSpec: multiclass → class index, binary → 0/1,
 * multilabel → 0/1 per label column, regression → the raw numbers (not standardized, so metrics stay in
 * real units), box → 4 raw numbers. A missing label cell (null, '', '?', NaN) becomes NaN.
 */

import { compareValues, encodeWith, fitPreprocessingWith, isMissing } from './preprocess.js';
import { TASK_KINDS } from './types.js';
import type { Dataset, DatasetSplit, RawValue, TableSchema, TargetSpec, TaskSpec } from './types.js';
import { checkInputWidth } from './limits.js';

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
}

/** The index of every named column, or a clear error for an unknown one. */
function columnIndices(table: RawTable, names: string[], what: string): number[] {
  const index = new Map(table.columns.map((c, i) => [c, i]));
  return names.map((n) => {
    const i = index.get(n);
    if (i === undefined) throw new Error(`${what}: unknown column '${n}' (columns: ${table.columns.join(', ')})`);
    return i;
  });
}

function checkTarget(t: TargetSpec): void {
  if (!(TASK_KINDS as readonly string[]).includes(t.kind)) throw new Error(`task '${t.task}': unknown kind '${t.kind}'`);
  const n = t.columns.length;
  const ok =
    t.kind === 'binary' || t.kind === 'multiclass' ? n === 1 : t.kind === 'box' ? n === 4 : n >= 1;
  if (!ok) throw new Error(`task '${t.task}' (${t.kind}): wrong number of columns (${n})`);
}

/** Builds the TaskSpec of a target; multiclass classes default to the sorted distinct training values. */
function resolveTask(t: TargetSpec, trainValues: () => RawValue[]): { spec: TaskSpec; classes?: string[] } {
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
      const labelNames = t.labelNames ?? (t.positive?.length ? [`not ${t.positive[0]}`, t.positive[0]!] : ['0', '1']);
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

/** Turns one label cell into its number (see the file header); throws on an unreadable value. */
function labelReader(t: TargetSpec, classes: string[] | undefined): (v: RawValue, where: () => string) => number {
  const bad = (where: () => string, v: RawValue, expected: string): never => {
    throw new Error(`task '${t.task}', ${where()}: expected ${expected}, found '${String(v)}'`);
  };
  switch (t.kind) {
    case 'multiclass': {
      const map = new Map(classes!.map((c, i) => [c, i]));
      return (v, where) => {
        if (isMissing(v)) return NaN;
        const i = map.get(String(v).trim());
        return i ?? bad(where, v, `one of the classes ${classes!.join(', ')}`);
      };
    }
    case 'binary':
    case 'multilabel': {
      if (t.positive) {
        const pos = new Set(t.positive);
        return (v) => (isMissing(v) ? NaN : pos.has(String(v).trim()) ? 1 : 0);
      }
      return (v, where) => {
        if (isMissing(v)) return NaN;
        const x = Number(typeof v === 'string' ? v.trim() : v);
        return x === 0 || x === 1 ? x : bad(where, v, '0 or 1');
      };
    }
    default:
      return (v, where) => {
        if (isMissing(v)) return NaN;
        const x = Number(typeof v === 'string' ? v.trim() : v);
        return Number.isFinite(x) ? x : bad(where, v, 'a number');
      };
  }
}

export function tableToSplit(options: TableSplitOptions): DatasetSplit {
  const { name, table, schema } = options;
  const rows = table.rows;
  const width = table.columns.length;
  for (const idx of [...options.train, ...options.test]) {
    if (!Number.isInteger(idx) || idx < 0 || idx >= rows.length) throw new Error(`tableToSplit: row index ${idx} out of range`);
  }
  rows.forEach((row, r) => {
    if (row.length !== width) throw new Error(`tableToSplit: row ${r} has ${row.length} cells, expected ${width}`);
  });

  const featCols = columnIndices(table, schema.features.map((f) => f.column), 'feature');
  const taskNames = new Set<string>();
  for (const t of schema.targets) {
    if (taskNames.has(t.task)) throw new Error(`duplicate task name '${t.task}'`);
    taskNames.add(t.task);
    checkTarget(t);
  }

  const train = options.train;
  const preprocessing = fitPreprocessingWith(schema.features, train.length, (r, fi) => rows[train[r]!]![featCols[fi]!]);
  checkInputWidth(preprocessing, options.maxInputWidth); // before the one-hot rows are allocated

  const resolved = schema.targets.map((t) => {
    const cols = columnIndices(table, t.columns, `task '${t.task}'`);
    const { spec, classes } = resolveTask(t, () => train.map((r) => rows[r]![cols[0]!]));
    return { target: t, cols, spec, read: labelReader(t, classes) };
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
          out[i * w + k] = read(row[c], () => `row ${indices[i]} column '${table.columns[c]}'`);
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

  return { train: build(train), test: build(options.test), preprocessing };
}
