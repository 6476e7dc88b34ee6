/**
 * A user's own table streamed from disk (`data: { dataset: csv | tsv | jsonl, train: FILE, stream: true }`),
 * for tables larger than memory: src/data/stream/streamed-table.ts makes a first pass for the statistics
 * and then one pass per epoch through a bounded shuffle buffer. This file turns the config into its
 * options and checks what it can before the long first pass:
 *   - the columns: the header (csv / tsv) or the keys of the first rows (jsonl);
 *   - `features: all`: types inferred from the first SAMPLE_ROWS rows of the training file (the
 *     in-memory path looks at every training row; the log says so), vocabularies and statistics from
 *     all of its training rows;
 *   - the split: a test / validation file, or a seeded hash split of the training file's rows (by
 *     group: of the group column's values) with data.testFraction and train.validationSplit. Split by
 *     order needs every row at once: the schema refuses it with stream.
 * Errors read as the in-memory path's: a missing file is a UsageError, bad data a DataError at its line.
 */
import fs from 'node:fs';
import path from 'node:path';
import { DataError } from '../data/errors.js';
import { inferFeatures } from '../data/own-table.js';
import type { BatchSource } from '../data/batch-source.js';
import { sampleTable, type TableFileOptions } from '../data/stream/table-file.js';
import { DEFAULT_SHUFFLE_BUFFER, openStreamedTable, sideOf } from '../data/stream/streamed-table.js';
import type { FittedTable } from '../data/table-stats.js';
import type { FeatureSpec, PreprocessingState } from '../data/types.js';
import { UsageError } from './errors.js';
import type { CsvDataConfig, ExperimentConfig } from './schema.js';
import { headerHint, targetSpecs } from './table-data.js';

/** Rows of the training file that `features: all` infers the column types from. */
export const SAMPLE_ROWS = 10_000;

/** A streamed table's splits: sources instead of Datasets, and what the first pass found. */
export interface StreamedSplit {
  streamed: true;
  train: BatchSource;
  val?: BatchSource;
  test: BatchSource;
  preprocessing: PreprocessingState;
  fitted: FittedTable;
}

/** True for a config whose data is a table to stream. */
export function isStreamData(d: ExperimentConfig['data']): d is CsvDataConfig & { stream: true } {
  return 'features' in d && d.stream === true;
}

export function isStreamedSplit(s: object): s is StreamedSplit {
  return (s as Partial<StreamedSplit>).streamed === true;
}

function checkFile(file: string): void {
  if (!fs.existsSync(file)) throw new UsageError(`data file not found: ${file}`);
  if (fs.statSync(file).isDirectory()) throw new UsageError(`${file} is a folder, not a data file`);
}

const fmt = (n: number) => n.toLocaleString('en-US');

/**
 * Opens a streamed table: reads the header and the first rows, makes the first pass (the statistics),
 * and returns the sources. `log` gets the feature summary and a line on the first pass.
 */
export async function loadStreamData(config: ExperimentConfig, baseDir: string, log: (line: string) => void): Promise<StreamedSplit> {
  const c = config.data as CsvDataConfig;
  if (c.dataset === 'arff') throw new UsageError('an ARFF file cannot be streamed: stream: true goes with dataset csv, tsv or jsonl');
  const trainFile = path.resolve(baseDir, c.train);
  const testFile = c.test ? path.resolve(baseDir, c.test) : undefined;
  const validationFile = c.validation ? path.resolve(baseDir, c.validation) : undefined;
  for (const f of [trainFile, testFile, validationFile]) if (f) checkFile(f);
  const name = path.basename(trainFile);
  const file: TableFileOptions = { format: c.dataset, separator: c.separator, header: c.header, columns: c.columns };
  let columns: string[] = [];
  try {
    const sample = await sampleTable(trainFile, file, SAMPLE_ROWS);
    columns = sample.columns;
    const targets = targetSpecs(c, undefined);
    const groupColumn = c.split?.by === 'group' ? c.split.column : undefined;
    // JSON lines: a key the first rows lack may still be named (it appears later in the file).
    if (c.dataset === 'jsonl') {
      const named = [...targets.flatMap((t) => t.columns), ...(c.features === 'all' ? [] : c.features.map((f) => f.column)), ...(groupColumn ? [groupColumn] : [])];
      for (const n of named) if (!columns.includes(n)) columns.push(n);
    }
    const split = {
      seed: config.seed,
      testFraction: testFile ? 0 : c.testFraction,
      validationFraction: validationFile ? 0 : config.train.validationSplit,
    };
    const columnIndex = (col: string, what: string): number => {
      const i = columns.indexOf(col);
      if (i === -1) throw new DataError(`${what}: unknown column '${col}' (columns: ${columns.join(', ')})${headerHint(columns, c)}`, name);
      return i;
    };
    if (groupColumn !== undefined) columnIndex(groupColumn, 'data.split (by group)');
    const side = sideOf({ split, groupColumn, columns });

    let features: FeatureSpec[];
    if (c.features === 'all') {
      const reserved = new Map<string, string>();
      for (const t of targets) for (const col of t.columns) reserved.set(col, `target of task '${t.task}'`);
      if (groupColumn && !reserved.has(groupColumn)) reserved.set(groupColumn, 'group split column');
      // The sample's training rows, by the same hash as the passes.
      const rows = sample.rows.map((r) => (r.length < columns.length ? [...r, ...new Array<null>(columns.length - r.length).fill(null)] : r));
      const train = rows.flatMap((r, i) => {
        return side(r, sample.index[i]!) === 'train' ? [i] : [];
      });
      const inferred = inferFeatures({ columns, rows, train, reserved, exclude: c.exclude, types: c.types });
      for (const line of inferred.summary) log(line);
      log(`  (stream: the types and the category counts above are from the first ${fmt(sample.rows.length)} rows of ${name}; the statistics and vocabularies come from all its training rows)`);
      features = inferred.features;
    } else {
      features = c.features;
      if (groupColumn && features.some((f) => f.column === groupColumn)) {
        throw new DataError(`the group column '${groupColumn}' cannot be a feature (a group split keeps each of its values on one side)`, name);
      }
    }

    const t0 = performance.now();
    const table = await openStreamedTable({
      train: trainFile, validation: validationFile, test: testFile, file, columns,
      schema: { features, targets }, split, groupColumn,
      shuffleBuffer: c.shuffleBuffer, maxInputWidth: config.limits.maxInputWidth,
    });
    const r = table.fitted.rows;
    log(`stream: first pass over ${name}: ${fmt(r.train + r.validation + r.test)} rows (${fmt(r.train)} train${validationFile ? '' : `, ${fmt(r.validation)} validation`}${testFile ? '' : `, ${fmt(r.test)} test`}) in ${((performance.now() - t0) / 1000).toFixed(1)} s; shuffle buffer ${fmt(Math.min(c.shuffleBuffer ?? DEFAULT_SHUFFLE_BUFFER, r.train))} rows`);
    if (!table.test) throw new UsageError('stream: no test rows: give data.test or a testFraction');
    return { streamed: true, train: table.train, val: table.validation, test: table.test, preprocessing: table.fitted.preprocessing, fitted: table.fitted };
  } catch (e) {
    if (e instanceof DataError && c.features === 'all' && /not a number/.test(e.detail)) {
      throw new DataError(`${e.detail} (its type was inferred from the first ${fmt(SAMPLE_ROWS)} rows: give it in data.types)`, e.file, e.line);
    }
    if (!(e instanceof Error) || e instanceof DataError || e instanceof UsageError) throw e;
    throw new DataError(`${e.message}${/unknown column/.test(e.message) ? headerHint(columns, c) : ''}`, name);
  }
}
