/**
 * Finding a dataset file: the explicit data folder (`dataDir`, $MTL_DATA_DIR) when one is given — and
 * then only there, so a user's own copy is never silently replaced —, else the cache, else the gzip copy
 * shipped in the package, else a verified download into the cache (./download.ts). Each place may hold
 * the file as it is or gzipped (`<path>.gz`). Node only.
 */
import fs from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { dataFile, type DataFile } from '../catalog.js';
import { byHandHint, DataUnavailableError, downloadFile, downloadUrl, type DownloadOptions } from './download.js';
import { dataCacheDir, explicitDataDir, shippedDataDir } from './paths.js';
import { stderrProgress } from './progress.js';

export type DataLocation = 'data-dir' | 'cache' | 'package' | 'downloaded';

export interface LocatedFile {
  path: string;
  gzip: boolean;
  where: DataLocation;
}

export interface LocateOptions extends DownloadOptions {
  /** The explicit data folder (else $MTL_DATA_DIR). */
  dataDir?: string;
  /** Download a missing file (default true). */
  download?: boolean;
}

function existing(dir: string, rel: string): { path: string; gzip: boolean } | undefined {
  const plain = path.join(dir, rel);
  if (fs.existsSync(plain)) return { path: plain, gzip: false };
  if (fs.existsSync(`${plain}.gz`)) return { path: `${plain}.gz`, gzip: true };
  return undefined;
}

/** Where `rel` is now, without downloading; undefined when it is nowhere here. */
export function findDataFile(rel: string, dataDir?: string): LocatedFile | undefined {
  const explicit = explicitDataDir(dataDir);
  if (explicit) {
    const f = existing(explicit, rel);
    return f && { ...f, where: 'data-dir' };
  }
  const cached = existing(dataCacheDir(), rel);
  if (cached) return { ...cached, where: 'cache' };
  const shipped = shippedDataDir();
  const inPackage = shipped ? existing(shipped, rel) : undefined;
  return inPackage && { ...inPackage, where: 'package' };
}

/** Where `rel` is, downloading it into the cache when it is nowhere here and the catalog knows it. */
export async function locateDataFile(rel: string, options: LocateOptions = {}): Promise<LocatedFile> {
  const found = findDataFile(rel, options.dataDir);
  if (found) return found;
  const explicit = explicitDataDir(options.dataDir);
  if (explicit) {
    throw new DataUnavailableError(
      `not found in the data folder ${explicit} (given by --data-dir / MTL_DATA_DIR); put the file there, or leave the option unset to use the cache, the package's copy or a download (\`mtl data fetch\`)`,
      rel,
    );
  }
  const entry = dataFile(rel);
  const dest = path.join(dataCacheDir(), rel);
  if (!entry) throw new DataUnavailableError(`not found at ${dest} and not in the dataset catalog`, rel);
  if (options.download === false) throw new DataUnavailableError(`not on this machine (run \`mtl data fetch ${entry.source.id}\`)`, rel);
  await fetchIntoCache(entry.file, dest, options);
  return { path: dest, gzip: false, where: 'downloaded' };
}

async function fetchIntoCache(file: DataFile, dest: string, options: DownloadOptions): Promise<void> {
  if (!downloadUrl(file, options.mirror)) {
    throw new DataUnavailableError(`not on this machine and no public copy with these exact bytes is known: ${byHandHint(file, dest, null)}`, file.path);
  }
  const progress = options.onProgress ? undefined : stderrProgress(`mtljs: downloading ${file.path}`, file.bytes);
  try {
    await downloadFile(file, dest, { ...options, onProgress: options.onProgress ?? progress?.update });
    progress?.done(true);
  } catch (e) {
    progress?.done(false);
    throw e;
  }
}

/** The bytes of a located file (gunzipped when it is a .gz). */
export function readLocated(f: LocatedFile): Buffer {
  const raw = fs.readFileSync(f.path);
  return f.gzip ? gunzipSync(raw) : raw;
}

/** The text of dataset file `rel` (e.g. 'adult/adult.data'), from wherever it is (see the module comment). */
export async function readDataText(rel: string, options: LocateOptions = {}): Promise<string> {
  return readLocated(await locateDataFile(rel, options)).toString('utf8');
}
