/**
 * The dataset a config names: a built-in loader (adult, energy, …) or a CSV file with a schema.
 * Relative CSV paths are resolved against the config file's folder; a missing file is a UsageError.
 */
import fs from 'node:fs';
import path from 'node:path';
import { readCsvFile } from '../data/csv.js';
import { loadDataset } from '../data/loaders/index.js';
import { trainTestSplit } from '../data/split.js';
import { DataError } from '../data/errors.js';
import { tableToSplit } from '../data/table.js';
import type { DatasetSplit } from '../data/types.js';
import { UsageError } from './errors.js';
import type { CsvDataConfig, ExperimentConfig } from './schema.js';

async function readTable(file: string, c: CsvDataConfig) {
  if (!fs.existsSync(file)) throw new UsageError(`data file not found: ${file}`);
  let t: Awaited<ReturnType<typeof readCsvFile>>;
  try {
    t = await readCsvFile(file, { separator: c.separator, header: c.header, source: path.basename(file) });
  } catch (e) {
    // A header row that is really data (numbers repeat, so "duplicate column name '0'") deserves the hint.
    if (e instanceof DataError && e.line === 1 && c.header) {
      const first = fs.readFileSync(file, 'utf8').split(/\r?\n/, 1)[0]!.split(c.separator);
      const hint = headerHint(first, c);
      if (hint) throw new DataError(`${e.detail}${hint}`, e.file, e.line);
    }
    throw e;
  }
  const columns = c.columns ?? t.columns;
  if (!columns) throw new UsageError(`${file}: no header row; give data.columns in the config`);
  return { columns, rows: t.rows };
}

/** What a header that names none of the configured columns probably means. */
function headerHint(columns: string[], c: CsvDataConfig): string {
  const seps = [';', '\t', '|', ','].filter((s) => s !== c.separator);
  const only = columns.length === 1 ? columns[0]! : '';
  const sep = seps.find((s) => only.includes(s));
  if (sep) return `; the header is one column '${only.slice(0, 60)}': is the separator '${sep === '\t' ? '\\t' : sep}'? (data.separator)`;
  if (c.header && columns.length > 0 && columns.filter((x) => x.trim() !== '' && Number.isFinite(Number(x))).length * 2 >= columns.length) {
    return '; the first row looks like data, not a header: set data.header: false and name the columns in data.columns';
  }
  return '';
}

/** Errors of the table → dataset step as DataErrors naming the file (exit 2), with a hint where one helps. */
function asDataError(e: unknown, file: string, columns: string[], c: CsvDataConfig): unknown {
  if (!(e instanceof Error) || e instanceof DataError || e instanceof UsageError) return e;
  const hint = /unknown column/.test(e.message) ? headerHint(columns, c) : '';
  return new DataError(`${e.message}${hint}`, file);
}

async function loadCsv(c: CsvDataConfig, baseDir: string, seed: number, maxInputWidth: number): Promise<DatasetSplit> {
  try {
    return await loadCsvTables(c, baseDir, seed, maxInputWidth);
  } catch (e) {
    const cols = (e as { columns?: string[] }).columns ?? [];
    throw asDataError(e, path.basename(path.resolve(baseDir, c.train)), cols, c);
  }
}

async function loadCsvTables(c: CsvDataConfig, baseDir: string, seed: number, maxInputWidth: number): Promise<DatasetSplit> {
  const trainFile = path.resolve(baseDir, c.train);
  const train = await readTable(trainFile, c);
  const withColumns = (e: unknown) => Object.assign(e as object, { columns: train.columns });
  const schema = { features: c.features, targets: c.targets };
  if (c.test) {
    const test = await readTable(path.resolve(baseDir, c.test), c);
    const rows = [...train.rows, ...test.rows];
    const n = train.rows.length;
    try {
      return tableToSplit({ name: path.basename(trainFile), table: { columns: train.columns, rows }, schema,
        train: Array.from({ length: n }, (_, i) => i), test: Array.from({ length: test.rows.length }, (_, i) => n + i), maxInputWidth });
    } catch (e) {
      throw withColumns(e);
    }
  }
  const split = trainTestSplit(train.rows.length, c.testFraction, seed);
  try {
    return tableToSplit({ name: path.basename(trainFile), table: train, schema, train: split.train, test: split.test, maxInputWidth });
  } catch (e) {
    throw withColumns(e);
  }
}

export async function loadConfigDataset(config: ExperimentConfig, baseDir: string, dataDirOverride?: string): Promise<DatasetSplit> {
  const d = config.data;
  if ('features' in d) return loadCsv(d, baseDir, config.seed, config.limits.maxInputWidth);
  const dataDir = dataDirOverride ?? (d.dir ? path.resolve(baseDir, d.dir) : undefined);
  return loadDataset(d.dataset, { ...d.options, dataDir });
}
