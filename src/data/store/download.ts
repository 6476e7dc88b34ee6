/**
 * Downloading one catalog file into the cache: streamed to a temporary file beside the target while its
 * sha256 is computed, checked against the catalog's size and hash, then renamed into place (atomic: the
 * cache never holds a partial or unverified file). A server that sends nothing for `idleTimeoutMs`
 * (headers or body) is given up on. Every failure is one DataUnavailableError that says where to put
 * the file by hand. Node only (global fetch, node:fs).
 */
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { DataFile } from '../catalog.js';
import { DataError } from '../errors.js';

/** A dataset file that is not on this machine and could not be downloaded. Exit code 2 in the CLI. */
export class DataUnavailableError extends DataError {
  constructor(detail: string, file: string) {
    super(detail, file);
    this.name = 'DataUnavailableError';
  }
}

export interface DownloadOptions {
  /** Base URL that replaces each file's own URL: `${mirror}/${file.path}` ($MTL_DATA_MIRROR by default). */
  mirror?: string;
  /** Give up when the server sends nothing (headers or body) for this long. Default 30 s. */
  idleTimeoutMs?: number;
  /** Called as bytes arrive. */
  onProgress?: (received: number, total: number) => void;
}

/** The URL a file is downloaded from, or null when it has none. */
export function downloadUrl(file: DataFile, mirror = process.env['MTL_DATA_MIRROR']): string | null {
  if (mirror) return `${mirror.replace(/\/+$/, '')}/${file.path.split('/').map(encodeURIComponent).join('/')}`;
  return file.url;
}

/** What to do by hand when a file cannot be fetched. */
export function byHandHint(file: DataFile, dest: string, url: string | null): string {
  const from = url ?? 'the dataset\'s homepage (`mtl data list`)';
  return `download it from ${from} and place it at ${dest} (sha256 ${file.sha256}), or point --data-dir / MTL_DATA_DIR at a folder holding ${file.path}`;
}

/** Downloads `file` to `dest` (atomically, verified). Returns dest. */
export async function downloadFile(file: DataFile, dest: string, options: DownloadOptions = {}): Promise<string> {
  const url = downloadUrl(file, options.mirror);
  if (!url) throw new DataUnavailableError(`not on this machine and no public copy with these exact bytes is known: ${byHandHint(file, dest, null)}`, file.path);
  const idleMs = options.idleTimeoutMs ?? 30_000;
  fs.mkdirSync(path.dirname(dest), { recursive: true });
  const tmp = `${dest}.part-${process.pid}-${randomBytes(4).toString('hex')}`;
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const arm = () => {
    clearTimeout(timer);
    timer = setTimeout(() => controller.abort(new Error(`no data for ${Math.round(idleMs / 1000)} s`)), idleMs);
  };
  const fail = (why: string) => new DataUnavailableError(`download from ${url} failed (${why}); ${byHandHint(file, dest, url)}`, file.path);
  let fd: fs.promises.FileHandle | undefined;
  try {
    arm();
    let res: Response;
    try {
      res = await fetch(url, { signal: controller.signal, redirect: 'follow' });
    } catch (e) {
      throw fail(reason(e, controller));
    }
    if (!res.ok || !res.body) throw fail(`HTTP ${res.status}`);
    fd = await fs.promises.open(tmp, 'w');
    const hash = createHash('sha256');
    let received = 0;
    const reader = res.body.getReader();
    try {
      for (;;) {
        arm();
        const { done, value } = await reader.read();
        if (done) break;
        received += value.byteLength;
        if (received > file.bytes) throw fail(`more than the expected ${file.bytes} bytes`);
        hash.update(value);
        await fd.write(value);
        options.onProgress?.(received, file.bytes);
      }
    } catch (e) {
      if (e instanceof DataUnavailableError) throw e;
      throw fail(reason(e, controller));
    }
    await fd.sync();
    await fd.close();
    fd = undefined;
    if (received !== file.bytes) throw fail(`received ${received} of ${file.bytes} bytes`);
    const sha = hash.digest('hex');
    if (sha !== file.sha256) throw fail(`sha256 mismatch: expected ${file.sha256}, got ${sha}; the file was not kept`);
    fs.renameSync(tmp, dest);
    return dest;
  } finally {
    clearTimeout(timer);
    if (fd) await fd.close().catch(() => {});
    fs.rmSync(tmp, { force: true });
  }
}

function reason(e: unknown, controller: AbortController): string {
  if (controller.signal.aborted) {
    const r: unknown = controller.signal.reason;
    return r instanceof Error ? r.message : 'aborted';
  }
  const err = e as { message?: string; cause?: { code?: string; message?: string } };
  return err.cause?.code ?? err.cause?.message ?? err.message ?? String(e);
}
