/**
 * Datasets as a whole, for `mtl data list|fetch|path`: where each catalog source's files are on this
 * machine now, and fetching every file of a source into the cache. Node only.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { DATA_SOURCES, DATASET_SOURCES, dataSource, type DataSource } from '../catalog.js';
import { DataUnavailableError, downloadUrl, type DownloadOptions } from './download.js';
import { findDataFile, locateDataFile, readLocated, type DataLocation } from './locate.js';
import { dataCacheDir } from './paths.js';

export interface SourceStatus {
  source: DataSource;
  bytes: number;
  /** Where the files are: one place, 'mixed', or 'missing' when at least one is not here. */
  where: DataLocation | 'mixed' | 'missing';
  /** The folder holding the files (when they are all in one place). */
  dir?: string;
  /** The missing files can be downloaded (each has a URL, or a mirror is set). */
  downloadable: boolean;
}

/** The catalog sources a name stands for: a dataset name, a source id, or 'all'. */
export function sourcesNamed(name: string): DataSource[] {
  if (name === 'all') return [...DATA_SOURCES];
  if (Object.hasOwn(DATASET_SOURCES, name)) return DATASET_SOURCES[name]!.map((id) => dataSource(id)!);
  const s = dataSource(name);
  if (s) return [s];
  const known = [...new Set([...Object.keys(DATASET_SOURCES), ...DATA_SOURCES.map((x) => x.id)])];
  throw new DataUnavailableError(`unknown dataset (known: ${known.join(', ')}, or all)`, name);
}

export function sourceStatus(source: DataSource, dataDir?: string): SourceStatus {
  const found = source.files.map((f) => findDataFile(f.path, dataDir));
  const bytes = source.files.reduce((s, f) => s + f.bytes, 0);
  const downloadable = source.files.every((f, i) => found[i] || downloadUrl(f) !== null);
  if (found.some((f) => !f)) return { source, bytes, where: 'missing', downloadable };
  const places = new Set(found.map((f) => f!.where));
  const dirs = new Set(found.map((f, i) => f!.path.slice(0, f!.path.length - source.files[i]!.path.length - (f!.gzip ? 3 : 0))));
  const where = places.size === 1 ? [...places][0]! : 'mixed';
  const root = dirs.size === 1 ? [...dirs][0]! : undefined;
  return { source, bytes, where, dir: root === undefined ? undefined : path.join(root, source.files[0]!.path.split('/')[0]!), downloadable };
}

function sha256(buf: Buffer): string {
  return createHash('sha256').update(buf).digest('hex');
}

/**
 * Makes every file of `source` available: files already in the data folder or the package are left as
 * they are; a cached file whose checksum no longer matches is downloaded again. Returns the status after.
 */
export async function fetchSource(source: DataSource, options: DownloadOptions & { dataDir?: string } = {}): Promise<SourceStatus> {
  for (const f of source.files) {
    const found = findDataFile(f.path, options.dataDir);
    if (found?.where === 'cache' && sha256(readLocated(found)) !== f.sha256) fs.rmSync(found.path);
    await locateDataFile(f.path, options);
  }
  return sourceStatus(source, options.dataDir);
}

export { dataCacheDir };
