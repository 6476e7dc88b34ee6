/**
 * Crash-safe file writes. A file is written to a temporary sibling and renamed over the target (rename
 * is atomic on POSIX), and a folder of files is built under a temporary name and swapped in by two
 * renames, so a kill at any moment leaves either the old or the new version, never a torn one.
 */
import fs from 'node:fs';
import path from 'node:path';

export function writeFileAtomic(file: string, data: string | Uint8Array): void {
  const tmp = `${file}.tmp-${process.pid}-${Date.now()}`;
  const fd = fs.openSync(tmp, 'w');
  try {
    fs.writeSync(fd, typeof data === 'string' ? Buffer.from(data) : data);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
}

/**
 * Writes the files of `dir` as one unit: `fill(tmpDir)` writes them into a temporary folder, which then
 * replaces `dir`. The previous version is kept as `<dir>.old` until the new one is in place.
 */
export async function writeDirAtomic(dir: string, fill: (tmpDir: string) => void | Promise<void>): Promise<void> {
  const parent = path.dirname(dir);
  fs.mkdirSync(parent, { recursive: true });
  const prefix = `.${path.basename(dir)}.tmp-`;
  // Leftovers of a writer killed mid-save (one writer per run folder, so none is in use).
  for (const f of fs.readdirSync(parent)) if (f.startsWith(prefix)) fs.rmSync(path.join(parent, f), { recursive: true, force: true });
  const tmp = path.join(parent, `${prefix}${process.pid}-${Date.now()}`);
  fs.mkdirSync(tmp);
  await fill(tmp);
  const old = `${dir}.old`;
  fs.rmSync(old, { recursive: true, force: true });
  if (fs.existsSync(dir)) fs.renameSync(dir, old);
  fs.renameSync(tmp, dir);
  fs.rmSync(old, { recursive: true, force: true });
}

/** The folder written by writeDirAtomic, or its previous version if a kill fell between the renames. */
export function resolveAtomicDir(dir: string): string | null {
  if (fs.existsSync(dir)) return dir;
  if (fs.existsSync(`${dir}.old`)) return `${dir}.old`;
  return null;
}
