/**
 * The first pass over a streamed table: everything the later passes and the model need, gathered one
 * training row at a time with memory that does not grow with the rows (only with the distinct values
 * of categorical columns and multiclass targets):
 *   - the preprocessing: numeric mean / population std in one pass (./running-stats.ts, the same
 *     conventions as fitPreprocessingWith), category vocabularies with their minCount cut-off, or hash
 *     buckets (idFeatureStat of ./preprocess.ts);
 *   - the tasks: the TaskSpec of every target exactly as tableToSplit builds it (./table.ts resolveTask:
 *     multiclass classes = the sorted distinct training values unless given), each label read with
 *     tableToSplit's labelReader, so a bad label of a training row fails here at its file line;
 *   - the label statistics a task is created with (regression target scaling, createTask `state`) and
 *     those of the sanity checks (./sanity.ts checkDataset's rules, same wording): labelled rows,
 *     classes seen, constant targets, non-finite standardised inputs.
 * Rows of the validation and test sides (a hash split of the same file) are only counted. A cell that
 * cannot be read is a RowError naming the row's index among the file's data rows: the reader
 * (src/data/stream/, which feeds this) turns it into the file line. Pure code (no Node APIs).
 */
import { DataError } from './errors.js';
import { RowError } from './own-table.js';
import { checkInputWidth } from './limits.js';
import { compareValues, featureWidth, idFeatureStat, isMissing, type IdFeatureStat } from './preprocess.js';
import { numericStat, RunningMoments, type NumericFeatureStat } from './running-stats.js';
import { checkTarget, labelReader, listColumns, resolveTask, type BadCell } from './table.js';
import type { FeatureState, PreprocessingState, RawValue, TableSchema, TargetSpec, TaskSpec } from './types.js';
import type { SanityReport } from './sanity.js';
import type { Side } from './hash-split.js';

/** More distinct values than this in a multiclass target is not a class set (an id column?). */
export const MAX_STREAM_CLASSES = 10_000;

/** A target with its columns, spec and (multiclass) classes, as the encoder of later passes reads it. */
export interface FittedTarget {
  target: TargetSpec;
  /** Indices of its columns in the table's columns. */
  cols: number[];
  spec: TaskSpec;
  classes?: string[];
}

/** What a training task's labels looked like in the first pass. */
export interface LabelSummary {
  /** Training rows with at least one label value. */
  labelled: number;
  /** Up to 3 distinct label values (a single one = one class / a constant). */
  distinct: number[];
  min: number;
  max: number;
  /** Rows with a label on the validation / test sides of a hash split. */
  labelledValidation: number;
  labelledTest: number;
}

/** The result of the first pass. */
export interface FittedTable {
  columns: string[];
  /** Indices of the feature columns, in preprocessing order. */
  featureColumns: number[];
  preprocessing: PreprocessingState;
  targets: FittedTarget[];
  /** Rows seen on each side (the whole file for a training file without a hash split). */
  rows: Record<Side, number>;
  labels: Record<string, LabelSummary>;
  /** createTask's fitted state per task (regression: the target scaling { mean, std }). */
  taskState: Record<string, Record<string, unknown>>;
  /** Inputs whose standardised value would not be a finite float32 (checked like checkDataset). */
  nonFinite: string[];
}

interface TargetStat {
  fitted: Omit<FittedTarget, 'spec' | 'classes'>;
  read?: (v: RawValue, row: number, col: number) => number;
  /** multiclass without given classes: count per distinct value. */
  classCounts?: Map<string, number>;
  moments?: RunningMoments[];
  summary: LabelSummary;
  /** binary with positive: values seen (for the typo message), capped. */
  seen?: Set<string>;
  positives: number;
}

const FLOAT32_MAX = 3.4028234663852886e38;

export class TableStats {
  private readonly featureColumns: number[];
  private readonly features: (NumericFeatureStat | IdFeatureStat)[];
  private readonly targets: TargetStat[];
  private readonly rows: Record<Side, number> = { train: 0, validation: 0, test: 0 };

  constructor(private readonly file: string, private readonly columns: string[], schema: TableSchema) {
    const index = new Map(columns.map((c, i) => [c, i]));
    const col = (name: string, what: string): number => {
      const i = index.get(name);
      if (i === undefined) throw new DataError(`${what}: unknown column '${name}' (columns: ${listColumns(columns)})`, file);
      return i;
    };
    const seenColumns = new Set<string>();
    this.featureColumns = schema.features.map((f) => {
      if (seenColumns.has(f.column)) throw new DataError(`feature column '${f.column}' listed twice`, file);
      seenColumns.add(f.column);
      return col(f.column, 'feature');
    });
    this.features = schema.features.map((f) => (f.type === 'numeric' ? numericStat(f.column) : idFeatureStat(f)));
    const names = new Set<string>();
    this.targets = schema.targets.map((t) => {
      if (names.has(t.task)) throw new DataError(`duplicate task name '${t.task}'`, file);
      names.add(t.task);
      checkTarget(t);
      const cols = t.columns.map((c) => col(c, `task '${t.task}'`));
      const stat: TargetStat = {
        fitted: { target: t, cols },
        summary: { labelled: 0, distinct: [], min: Infinity, max: -Infinity, labelledValidation: 0, labelledTest: 0 },
        positives: 0,
      };
      if (t.kind === 'multiclass' && !t.classes) stat.classCounts = new Map();
      else stat.read = labelReader(t, t.classes, this.badCell(t));
      if (t.kind === 'regression') stat.moments = t.columns.map(() => new RunningMoments());
      if (t.kind === 'binary' && t.positive) stat.seen = new Set();
      return stat;
    });
  }

  /** A label cell that cannot be read, in data row `row` (tableToSplit's wording). */
  private badCell(t: TargetSpec): BadCell {
    return (row, c, v, expected, hint = '') => {
      throw new RowError(row, `task '${t.task}', column '${this.columns[c]}': expected ${expected}, found '${String(v)}'${hint}`);
    };
  }

  /**
   * Adds one row (cells in `columns` order; `row` its 0-based index among the file's data rows) on
   * `side`. A cell that cannot be read is a RowError naming `row` (the reader turns it into a file line).
   */
  add(cells: readonly RawValue[], row: number, side: Side = 'train'): void {
    if (cells.length !== this.columns.length) throw new RowError(row, `${cells.length} cells, expected ${this.columns.length}`);
    this.rows[side]++;
    if (side !== 'train') {
      for (const s of this.targets) {
        if (s.fitted.cols.some((c) => !isMissing(cells[c]))) s.summary[side === 'test' ? 'labelledTest' : 'labelledValidation']++;
      }
      return;
    }
    for (let fi = 0; fi < this.features.length; fi++) {
      try {
        this.features[fi]!.add(cells[this.featureColumns[fi]!]);
      } catch (e) {
        throw new RowError(row, (e as Error).message);
      }
    }
    for (const s of this.targets) this.addLabels(s, cells, row);
  }

  private addLabels(s: TargetStat, cells: readonly RawValue[], row: number): void {
    const sum = s.summary;
    if (s.classCounts) {
      const v = cells[s.fitted.cols[0]!];
      if (isMissing(v)) return;
      const key = String(v).trim();
      s.classCounts.set(key, (s.classCounts.get(key) ?? 0) + 1);
      if (s.classCounts.size > MAX_STREAM_CLASSES) {
        throw new RowError(row, `task '${s.fitted.target.task}': more than ${MAX_STREAM_CLASSES} distinct values in column '${s.fitted.target.columns[0]}': not a set of classes (give them in classes: […] if they are)`);
      }
      sum.labelled++;
      return;
    }
    let any = false;
    s.fitted.cols.forEach((c, k) => {
      const raw = cells[c];
      const y = s.read!(raw, row, c);
      if (Number.isNaN(y)) return;
      any = true;
      if (sum.distinct.length < 3 && !sum.distinct.includes(y)) sum.distinct.push(y);
      if (y < sum.min) sum.min = y;
      if (y > sum.max) sum.max = y;
      s.moments?.[k]!.add(y);
      if (s.seen) {
        if (y === 1) s.positives++;
        if (s.seen.size < 1000) s.seen.add(String(raw).trim());
      }
    });
    if (any) sum.labelled++;
  }

  /** The fitted preprocessing and tasks; throws (naming the file) what cannot be trained on. */
  finish(maxInputWidth?: number): FittedTable {
    const states: FeatureState[] = this.features.map((f) => f.finish());
    const preprocessing: PreprocessingState = { features: states, inputSize: states.reduce((s, f) => s + featureWidth(f), 0) };
    try {
      checkInputWidth(preprocessing, maxInputWidth);
    } catch (e) {
      throw new DataError((e as Error).message, this.file);
    }
    const nonFinite: string[] = [];
    this.features.forEach((f, fi) => {
      const st = states[fi]!;
      if (!('moments' in f) || st.type !== 'numeric' || f.moments.n === 0) return;
      const worst = Math.max(Math.abs((f.moments.max - st.mean) / st.std), Math.abs((f.moments.min - st.mean) / st.std));
      if (!(worst <= FLOAT32_MAX)) nonFinite.push(`feature '${st.column}': a training value encodes to ${worst > 0 ? 'Infinity' : worst} (not a finite number; values this large overflow the standardisation)`);
    });
    const labels: Record<string, LabelSummary> = {};
    const taskState: Record<string, Record<string, unknown>> = {};
    const targets = this.targets.map((s) => {
      const t = s.fitted.target;
      const { spec, classes } = resolveTask(t, () => s.classCounts?.keys() ?? []);
      if (s.classCounts) s.summary.distinct = [...s.classCounts.keys()].slice(0, 3).map((k) => classes!.indexOf(k));
      if (t.kind === 'binary' && t.positive && s.positives === 0 && s.summary.labelled > 0) {
        const seen = [...s.seen!].sort(compareValues);
        throw new DataError(`task '${t.task}': no training value of column '${t.columns[0]}' is positive (${t.positive.join(', ')}); its values: ${listColumns(seen, 12)}`, this.file);
      }
      if (s.moments) {
        taskState[t.task] = {
          mean: s.moments.map((m) => (m.n ? m.mean : 0)),
          std: s.moments.map((m) => (m.n && m.std > 1e-12 ? m.std : 1)),
        };
      }
      labels[t.task] = s.summary;
      return { ...s.fitted, spec, ...(classes ? { classes } : {}) };
    });
    return { columns: this.columns, featureColumns: this.featureColumns, preprocessing, targets, rows: { ...this.rows }, labels, taskState, nonFinite };
  }
}

/** checkDataset's rules (./sanity.ts), on a first pass's counts: errors stop the run, warnings are logged. */
export function checkFittedTable(t: FittedTable, taskNames: string[], options: { batchSize?: number; hasTest?: boolean } = {}): SanityReport {
  const errors: string[] = [];
  const warnings: string[] = [];
  const n = t.rows.train;
  if (n === 0) return { errors: ['the training split has no rows'], warnings };
  if (n === 1) errors.push('the training split has 1 row: at least 2 are needed');
  errors.push(...t.nonFinite);
  for (const name of taskNames) {
    const target = t.targets.find((x) => x.spec.name === name);
    const s = t.labels[name];
    if (!target || !s) continue;
    const spec = target.spec;
    if (s.labelled === 0) {
      errors.push(`task '${name}': no training row has a label (every value is missing)`);
      continue;
    }
    if ((spec.kind === 'binary' || spec.kind === 'multiclass') && s.distinct.length === 1) {
      const only = s.distinct[0]!;
      errors.push(`task '${name}': every training label is the same class ('${spec.labelNames?.[only] ?? String(only)}'): there is nothing to learn`);
    }
    if (spec.kind === 'regression' && s.min === s.max) errors.push(`task '${name}': the target is constant (${s.min}) in the training split`);
    if (t.rows.test > 0 && s.labelledTest === 0) warnings.push(`task '${name}': no test row has a label; its test metrics will be missing`);
  }
  if (options.batchSize && n < options.batchSize) warnings.push(`${n} training rows, fewer than one batch (${options.batchSize})`);
  return { errors, warnings };
}
