/**
 * Multi-threaded wasm (src/engine/wasm-threads.ts), each start in a child process (a process starts
 * wasm once): 2 threads start, compute what cpu computes (matMul, conv2d/maxPool gradients), and the
 * process exits by itself; a failed threaded start falls back to the single-threaded build; and
 * MTL_WASM_THREADS parsing.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/engine/backend.js';
import { threadsFromEnv } from '../../src/engine/wasm-threads.js';
import { relDiff } from '../helpers/engine.js';
import { threadsWorkload } from './fixtures/threads-workload.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const child = path.join(here, 'fixtures', 'wasm-threads-child.ts');

interface ChildResult {
  backend: string;
  threads: number;
  logs: string[];
  mm: number[];
  grads: number[][];
}

/** Runs the child (no process.exit in it); fails if it does not exit by itself within 60 s. */
function runChild(mode: string): ChildResult {
  const r = spawnSync(process.execPath, ['--import', 'tsx', child, mode], {
    cwd: path.resolve(here, '..', '..'),
    encoding: 'utf8',
    timeout: 60_000,
    maxBuffer: 64 * 1024 * 1024,
    env: { ...process.env, MTL_WASM_THREADS: '' },
  });
  expect(r.error, `child did not exit by itself: ${String(r.error)}\n${r.stderr}`).toBeUndefined();
  expect(r.status, r.stderr).toBe(0);
  const line = r.stdout.trim().split('\n').pop() ?? '';
  return JSON.parse(line) as ChildResult;
}

let ref: { mm: number[]; grads: number[][] };
beforeAll(async () => {
  await initBackend('cpu');
  ref = threadsWorkload(); // the child's computation, on cpu here
});

describe('multi-threaded wasm', () => {
  it('starts with 2 threads, matches cpu, and lets the process exit by itself', () => {
    const r = runChild('2');
    expect(r.backend).toBe('wasm');
    expect(r.threads).toBe(2);
    expect(r.logs).toContain('wasm: 2 threads');
    expect(relDiff(ref.mm, r.mm)).toBeLessThan(1e-4);
    r.grads.forEach((g, i) => expect(relDiff(ref.grads[i], g)).toBeLessThan(1e-4));
  });

  it('falls back to the single-threaded build when the threaded start fails', () => {
    const r = runChild('fail');
    expect(r.logs.some((l) => /multi-threaded start failed \(threaded wasm start did not finish within 1 ms\)/.test(l)), r.logs.join('\n')).toBe(true);
    expect(r.backend).toBe('wasm');
    expect(r.threads).toBe(1);
    expect(relDiff(ref.mm, r.mm)).toBeLessThan(1e-4);
    r.grads.forEach((g, i) => expect(relDiff(ref.grads[i], g)).toBeLessThan(1e-4));
  });

  it('threads: 1 keeps the single-threaded build', () => {
    const r = runChild('1');
    expect(r.threads).toBe(1);
    expect(r.logs.some((l) => l.includes('thread'))).toBe(false);
  });

  it('reads MTL_WASM_THREADS', () => {
    expect(threadsFromEnv({})).toBeUndefined();
    expect(threadsFromEnv({ MTL_WASM_THREADS: '' })).toBeUndefined();
    expect(threadsFromEnv({ MTL_WASM_THREADS: '2' })).toBe(2);
    expect(threadsFromEnv({ MTL_WASM_THREADS: ' 4 ' })).toBe(4);
    expect(threadsFromEnv({ MTL_WASM_THREADS: 'auto' })).toBeGreaterThanOrEqual(1);
    expect(threadsFromEnv({ MTL_WASM_THREADS: '0' })).toBeUndefined();
    expect(threadsFromEnv({ MTL_WASM_THREADS: 'x' })).toBeUndefined();
  });
});
