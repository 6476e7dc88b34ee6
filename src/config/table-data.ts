/**
 * A user's own table through the config (`data.dataset: csv | tsv | arff | jsonl`): read the file(s),
 * split (a test file, or random / by group / by order), pick and type the features (`features: all`,
 * inferred from the training rows and summarised through `log`), and encode with tableToSplit.
 *
 * Every problem in the data is a DataError naming the file, and the 1-based file line where one row is
 * at fault (`data.csv:342: column 'age': not a number: 'n/a'`); a missing file is a UsageError.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArff, type ArffAttribute } from '../data/arff.js';
import { parseCsv } from '../data/csv.js';
import { DataError } from '../data/errors.js';
import { parseJsonl } from '../data/jsonl.js';
import { groupSplit, inferFeatures, orderSplit, RowError, sniffFormat, type ColumnType } from '../data/own-table.js';
import { trainTestSplit } from '../data/split.js';
import { listColumns, tableToSplit } from '../data/table.js';
import type { DatasetSplit, FeatureSpec, RawValue, TargetSpec } from '../data/types.js';
import { UsageError } from './errors.js';
import type { CsvDataConfig } from './schema.js';

/** One file read into columns and rows, with each row's file line. */
interface FileTable {
  /** The file's base name, as errors name it. */
  file: string;
  columns: string[];
  rows: RawValue[][];
  lines: number[];
  /** ARFF: the declared attributes by name. */
  attributes?: Map<string, ArffAttribute>;
}

const separatorOf = (c: CsvDataConfig): string => c.separator ?? (c.dataset === 'tsv' ? '\t' : ',');
const showSep = (s: string): string => (s === '\t' ? '\\t' : s);

/** What a header that names none of the configured columns probably means. */
export function headerHint(columns: string[], c: CsvDataConfig): string {
  if (c.dataset !== 'csv' && c.dataset !== 'tsv') return '';
  const separator = separatorOf(c);
  const seps = [';', '\t', '|', ','].filter((s) => s !== separator);
  const only = columns.length === 1 ? columns[0]! : '';
  const sep = seps.find((s) => only.includes(s));
  if (sep) {
    const format = c.separator === undefined && sep === ',' ? ' (dataset: csv)' : c.separator === undefined && sep === '\t' ? ' (dataset: tsv)' : ' (data.separator)';
    return `; the header is one column '${only.slice(0, 60)}': is the separator '${showSep(sep)}'?${format}`;
  }
  if (c.header !== false && columns.length > 0 && columns.filter((x) => x.trim() !== '' && Number.isFinite(Number(x))).length * 2 >= columns.length) {
    return '; the first row looks like data, not a header: set data.header: false and name the columns in data.columns';
  }
  return '';
}

function readText(file: string): string {
  if (!fs.existsSync(file)) throw new UsageError(`data file not found: ${file}`);
  if (fs.statSync(file).isDirectory()) throw new UsageError(`${file} is a folder, not a data file`);
  return fs.readFileSync(file, 'utf8');
}

/** The first line that is neither blank nor a % comment, and its 1-based number. */
function firstContentLine(text: string): { text: string; line: number } | undefined {
  const lines = text.split(/\r\n|\n|\r/, 200);
  for (let i = 0; i < lines.length; i++) {
    const t = lines[i]!.trim();
    if (t !== '' && !t.startsWith('%')) return { text: t, line: i + 1 };
  }
  return undefined;
}

function readDelimited(text: string, file: string, c: CsvDataConfig): FileTable {
  const sniffed = sniffFormat(text);
  if (sniffed) {
    throw new DataError(sniffed.format === 'arff'
      ? `this is an ARFF file (it has an @relation header), not ${c.dataset}: use dataset: arff`
      : `this is a JSON lines file (a JSON object per line), not ${c.dataset}: use dataset: jsonl`, file, sniffed.line);
  }
  const separator = separatorOf(c);
  const header = c.header ?? true;
  let t: ReturnType<typeof parseCsv>;
  try {
    t = parseCsv(text, { separator, header, source: file });
  } catch (e) {
    // A header row that is really data (numbers repeat, so "duplicate column name '0'") or in another
    // separator (then the first data row has more fields than the header) deserves the hint.
    if (e instanceof DataError && header && (e.line === 1 || /^expected 1 fields/.test(e.detail))) {
      const hint = headerHint(text.split(/\r?\n/, 1)[0]!.split(separator), c);
      if (hint) throw new DataError(`${e.detail}${hint}`, e.file, e.line);
    }
    throw e;
  }
  const columns = c.columns ?? t.columns;
  if (!columns) throw new UsageError(`${file}: no header row; give data.columns in the config`);
  if (c.columns && t.rows.length > 0 && t.rows[0]!.length !== columns.length) {
    throw new DataError(`data.columns names ${columns.length} columns, the file has ${t.rows[0]!.length}`, file, t.lines[0]);
  }
  return { file, columns, rows: t.rows, lines: t.lines };
}

function readArff(text: string, file: string): FileTable {
  let a: ReturnType<typeof parseArff>;
  try {
    a = parseArff(text, file);
  } catch (e) {
    const first = firstContentLine(text);
    if (e instanceof DataError && first && e.line === first.line && !first.text.startsWith('@')) {
      const what = sniffFormat(text)?.format === 'jsonl' ? 'it is JSON lines: use dataset: jsonl'
        : first.text.includes('\t') ? 'is it a TSV? use dataset: tsv' : 'is it a CSV? use dataset: csv';
      throw new DataError(`not an ARFF file (no @relation header before the data): ${what}`, file, first.line);
    }
    throw e;
  }
  return { file, columns: a.attributes.map((x) => x.name), rows: a.rows, lines: a.lines, attributes: new Map(a.attributes.map((x) => [x.name, x])) };
}

function readFileTable(fullPath: string, c: CsvDataConfig): FileTable {
  const text = readText(fullPath);
  const file = path.basename(fullPath);
  switch (c.dataset) {
    case 'arff':
      return readArff(text, file);
    case 'jsonl': {
      const t = parseJsonl(text, file);
      if (t.rows.length === 0) throw new DataError('no rows (a JSON object per line)', file);
      return { file, ...t };
    }
    default:
      return readDelimited(text, file, c);
  }
}

/**
 * The test file's rows in the training file's column order. A column the training file has and the
 * test file lacks is an error (JSON lines: a missing key is a missing value); extra columns are ignored.
 */
function alignTest(train: FileTable, test: FileTable, c: CsvDataConfig): RawValue[][] {
  if (train.attributes && test.attributes) {
    for (const [name, a] of train.attributes) {
      const b = test.attributes.get(name);
      if (b && a.type !== b.type) throw new DataError(`attribute '${name}' is ${b.type} here, ${a.type} in ${train.file}`, test.file);
    }
  }
  const same = train.columns.length === test.columns.length && train.columns.every((x, i) => x === test.columns[i]);
  if (same) return test.rows;
  const index = new Map(test.columns.map((x, i) => [x, i]));
  const missing = train.columns.filter((x) => !index.has(x));
  if (missing.length && c.dataset !== 'jsonl') {
    throw new DataError(`lacks column${missing.length > 1 ? 's' : ''} ${missing.slice(0, 10).map((x) => `'${x}'`).join(', ')}${missing.length > 10 ? ', …' : ''} of ${train.file}`, test.file);
  }
  const at = train.columns.map((x) => index.get(x));
  return test.rows.map((row) => at.map((i) => (i === undefined ? null : row[i]!)));
}

/** The config's targets as TargetSpecs: a task named after its column by default, true/false as text. */
export function targetSpecs(c: CsvDataConfig, attributes: Map<string, ArffAttribute> | undefined): TargetSpec[] {
  return c.targets.map((t) => {
    const spec: TargetSpec = { task: t.task ?? t.columns[0]!, kind: t.kind, columns: t.columns };
    if (t.positive) spec.positive = t.positive.map((p) => (typeof p === 'boolean' ? String(p) : p));
    if (t.threshold !== undefined) spec.threshold = t.threshold;
    if (t.labelNames) spec.labelNames = t.labelNames;
    const attr = attributes?.get(t.columns[0]!);
    // A nominal ARFF target: its classes are the declared values, in declared order.
    const classes = t.classes ?? (t.kind === 'multiclass' && attr?.type === 'nominal' ? attr.values : undefined);
    if (classes) spec.classes = classes;
    return spec;
  });
}

/** ARFF attribute types as feature types: numeric → numeric, nominal → categorical; others inferred. */
function declaredTypes(attributes: Map<string, ArffAttribute> | undefined): Map<string, { type: ColumnType; label: string } | undefined> | undefined {
  if (!attributes) return undefined;
  return new Map([...attributes].map(([name, a]) => [name,
    a.type === 'numeric' ? { type: 'numeric' as const, label: 'ARFF numeric' }
      : a.type === 'nominal' ? { type: 'categorical' as const, label: 'ARFF nominal' } : undefined]));
}

async function loadTables(c: CsvDataConfig, baseDir: string, seed: number, maxInputWidth: number, log: (line: string) => void): Promise<DatasetSplit> {
  const train = readFileTable(path.resolve(baseDir, c.train), c);
  const test = c.test ? readFileTable(path.resolve(baseDir, c.test), c) : undefined;
  const n = train.rows.length;
  const rows = test ? train.rows.concat(alignTest(train, test, c)) : train.rows;
  const locate = (r: number) => (r < n ? { file: train.file, line: train.lines[r]! } : { file: test!.file, line: test!.lines[r - n]! });
  const table = { columns: train.columns, rows };
  const columnIndex = (name: string, what: string): number => {
    const i = train.columns.indexOf(name);
    if (i === -1) throw new DataError(`${what}: unknown column '${name}' (columns: ${listColumns(train.columns)})`, train.file);
    return i;
  };

  // The split: the test file, or the rows of the one file at random, by group or by order.
  const split = c.split ?? { by: 'random' as const };
  let trainRows: number[];
  let testRows: number[];
  if (test) {
    trainRows = Array.from({ length: n }, (_, i) => i);
    testRows = Array.from({ length: test.rows.length }, (_, i) => n + i);
  } else if (split.by === 'random') {
    ({ train: trainRows, test: testRows } = trainTestSplit(n, c.testFraction, seed));
  } else {
    const col = columnIndex(split.column, `data.split (by ${split.by})`);
    const values = rows.map((row) => row[col]);
    try {
      const s = split.by === 'group' ? groupSplit(values, c.testFraction, seed, split.column) : orderSplit(values, c.testFraction, split.column);
      ({ train: trainRows, test: testRows } = s);
      log(s.summary);
    } catch (e) {
      if (e instanceof RowError) throw new DataError(e.detail, locate(e.row).file, locate(e.row).line);
      throw new DataError((e as Error).message, train.file);
    }
  }

  // The features: listed, or every column that is not a target, the split column or excluded.
  const targets = targetSpecs(c, train.attributes);
  const splitColumn = c.split && c.split.by !== 'random' ? c.split.column : undefined;
  let features: FeatureSpec[];
  if (c.features === 'all') {
    const reserved = new Map<string, string>();
    for (const t of targets) for (const col of t.columns) reserved.set(col, `target of task '${t.task}'`);
    if (splitColumn && !reserved.has(splitColumn)) reserved.set(splitColumn, `${c.split!.by} split column`);
    const inferred = inferFeatures({ columns: train.columns, rows, train: trainRows, reserved, exclude: c.exclude, types: c.types, declared: declaredTypes(train.attributes) });
    for (const line of inferred.summary) log(line);
    features = inferred.features;
  } else {
    features = c.features;
    if (c.split?.by === 'group' && features.some((f) => f.column === splitColumn)) {
      throw new DataError(`the group column '${splitColumn}' cannot be a feature (a group split keeps each of its values on one side)`, train.file);
    }
  }

  return tableToSplit({ name: train.file, table, schema: { features, targets }, train: trainRows, test: testRows, maxInputWidth, locate });
}

/** Errors of the table → dataset step as DataErrors naming the file (exit 2), with a hint where one helps. */
function asDataError(e: unknown, file: string, columns: string[], c: CsvDataConfig): unknown {
  if (!(e instanceof Error) || e instanceof DataError || e instanceof UsageError) return e;
  const hint = /unknown column/.test(e.message) ? headerHint(columns, c) : '';
  return new DataError(`${e.message}${hint}`, file);
}

/** A user's own table (csv, tsv, arff, jsonl) as a DatasetSplit; `log` gets the feature and split summaries. */
export async function loadTableData(c: CsvDataConfig, baseDir: string, seed: number, maxInputWidth: number, log: (line: string) => void): Promise<DatasetSplit> {
  let columns: string[] = [];
  try {
    return await loadTables(c, baseDir, seed, maxInputWidth, log);
  } catch (e) {
    if (e instanceof Error && !(e instanceof DataError) && !(e instanceof UsageError) && /unknown column/.test(e.message)) {
      // The hint needs the header: read again only on this (rare) path.
      try {
        columns = readFileTable(path.resolve(baseDir, c.train), c).columns;
      } catch {
        columns = [];
      }
    }
    throw asDataError(e, path.basename(path.resolve(baseDir, c.train)), columns, c);
  }
}
