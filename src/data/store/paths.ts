/**
 * Where dataset files may live on this machine: the explicit data folder, the user's cache, and the
 * copy shipped inside the package. Node only.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));

/** The explicit data folder: the `dataDir` option, else $MTL_DATA_DIR, else none. */
export function explicitDataDir(dataDir?: string): string | undefined {
  if (dataDir) return path.resolve(dataDir);
  const env = process.env['MTL_DATA_DIR'];
  return env ? path.resolve(env) : undefined;
}

/** The download cache: $MTL_CACHE_DIR, else $XDG_CACHE_HOME/mtljs, else ~/.cache/mtljs. */
export function dataCacheDir(): string {
  const own = process.env['MTL_CACHE_DIR'];
  if (own) return path.resolve(own);
  const xdg = process.env['XDG_CACHE_HOME'];
  return path.join(xdg ? path.resolve(xdg) : path.join(os.homedir(), '.cache'), 'mtljs');
}

/**
 * The package's own data/ folder (gzip copies of the small licensed sets): src/data/store and
 * dist/data/store are both three levels below the package root.
 */
export function shippedDataDir(): string | undefined {
  const dir = path.resolve(here, '..', '..', '..', 'data');
  return fs.existsSync(path.join(dir, 'README.md')) ? dir : undefined;
}
