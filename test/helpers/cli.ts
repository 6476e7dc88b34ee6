/**
 * Runs the real `mtl` command (bin/mtl.js) in a child process, asynchronously — so that a server the
 * test itself runs (a local HTTP server, say) keeps answering — and collects exit code, stdout, stderr.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';

export interface MtlResult {
  code: number | null;
  out: string;
  err: string;
}

const BIN = path.resolve('bin/mtl.js');

export function runMtl(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<MtlResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: options.cwd, env: options.env ?? process.env });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d));
    child.stderr.on('data', (d: Buffer) => (err += d));
    child.on('close', (code) => resolve({ code, out, err }));
  });
}
