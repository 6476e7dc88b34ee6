/**
 * Shared loader plumbing: the options every loader accepts and where the data directory is.
 * Default data directory: $MTL_DATA_DIR, else `../shared/data` relative to the working directory.
 */

import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';

export interface LoadOptions {
  /** Folder holding the datasets (adult/, energy/, ...). Default: $MTL_DATA_DIR or ../shared/data. */
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
}

export function resolveDataDir(dataDir?: string): string {
  if (dataDir) return resolve(dataDir);
  const env = process.env['MTL_DATA_DIR'];
  if (env) return resolve(env);
  return resolve(process.cwd(), '../shared/data');
}

/** Reads a text file of the data directory, with an error that says how to point at the data. */
export async function readDataFile(dataDir: string, relPath: string): Promise<string> {
  const path = resolve(dataDir, relPath);
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new Error(`dataset file not found: ${path} (pass dataDir / --data-dir or set MTL_DATA_DIR)`);
    }
    throw err;
  }
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
