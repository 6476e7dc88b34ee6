/**
 * Shared loader plumbing: the options every loader accepts, reading a dataset file from wherever it
 * is on this machine (the data folder given, the cache, the package's copy, or a verified download:
 * ../store/locate.ts), and the whole loader of a dataset that is one CSV file without an official split.
 */

import { parseCsv } from '../csv.js';
import { trainTestSplit } from '../split.js';
import { readDataText } from '../store/locate.js';
import { tableToSplit } from '../table.js';
import type { DatasetSplit, TableSchema } from '../types.js';

export interface LoadOptions {
  /** Folder holding the datasets (adult/, energy/, ...). Default: $MTL_DATA_DIR, else cache / package copy / download. */
  dataDir?: string;
  /** Seed of the train/test split for datasets without an official one. Default 0. */
  seed?: number;
  /** Keep at most this many training rows (the first ones of the training split), for fast runs. */
  limit?: number;
  /** Keep at most this many test rows. */
  testLimit?: number;
  /** Mulan: one 'multilabel' task named 'labels' instead of one binary task per label. */
  asMultilabel?: boolean;
  /** MNIST: inputShape [784] instead of [28, 28, 1]. */
  flatten?: boolean;
  /** Adult: embed the categorical columns in tables of this dimension instead of one-hot encoding them. */
  embedding?: number;
  /** Adult: the overtime → high-income funnel tasks (ESMM's click → conversion shape) instead of income and never_married. */
  funnel?: boolean;
}

/** Reads a text file of a dataset ('adult/adult.data'); a missing file is a DataError that says where to put it. */
export function readDataFile(relPath: string, dataDir?: string): Promise<string> {
  return readDataText(relPath, { dataDir });
}

/** The first `limit` elements (all when limit is undefined). */
export function applyLimit<T>(items: T[], limit: number | undefined, what = 'limit'): T[] {
  if (limit === undefined) return items;
  if (!Number.isInteger(limit) || limit < 1) throw new Error(`${what} must be a positive integer, got ${limit}`);
  return items.slice(0, limit);
}

/** 0..n-1. */
export function range(n: number, start = 0): number[] {
  return Array.from({ length: n }, (_, i) => start + i);
}

/**
 * A dataset that is one CSV file with a header row and no official split (energy, sarcos): the rows
 * split 80/20 at random (options.seed, default 0), then `limit` / `testLimit` applied, and the table
 * encoded by `schema`.
 */
export async function loadCsvDataset(name: string, relPath: string, schema: TableSchema, options: LoadOptions): Promise<DatasetSplit> {
  const source = relPath.slice(relPath.lastIndexOf('/') + 1);
  const csv = parseCsv(await readDataFile(relPath, options.dataDir), { header: true, source });
  const split = trainTestSplit(csv.rows.length, 0.2, options.seed ?? 0);
  return tableToSplit({
    name,
    table: { columns: csv.columns!, rows: csv.rows },
    schema,
    train: applyLimit(split.train, options.limit),
    test: applyLimit(split.test, options.testLimit, 'testLimit'),
  });
}
