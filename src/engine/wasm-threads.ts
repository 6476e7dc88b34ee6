/**
 * Multi-threaded wasm in Node (opt-in; DESIGN.md, "Engine"). tfjs-backend-wasm turns threads off in
 * Node because its threaded build starts its workers from `blob:` URLs, which worker_threads refuse.
 * Without touching node_modules this module makes the threaded build start:
 *  - the worker script (shipped as a string in wasm-out/…-threaded-simd.worker.js) is written once to
 *    a temp file, and a global `Worker` (a worker_threads Worker subclass) starts workers from that
 *    file when asked for a `blob:` URL; the `load` message's main script (a Blob of the bundled glue)
 *    is replaced by the path of the package's own emscripten glue (wasm-out/…-threaded-simd.js);
 *  - the C side caps its thread pool at os.cpus().length / 2 (hyper-threading assumed) read while the
 *    module instantiates, so os.cpus() reports 2 * threads entries during initialisation only;
 *  - the pool's workers are unref'd once running, so they do not keep the process alive.
 * Any failure (missing files, a worker error, no start within the timeout) is reported to the caller,
 * which falls back to the single-threaded SIMD build. Results equal the single-threaded ones.
 * What this relies on inside tfjs-backend-wasm (its wasm-out/ files, the emscripten module's PThread
 * pool, the `load` message, the WASM_HAS_MULTITHREAD_SUPPORT flag) is reached through
 * src/engine/tfjs-internals.ts, which checks it and names the tfjs version mtljs was tested with.
 *
 * Why opt-in (measured on the 2-core machine, other processes running): matmul 1024^2 20 -> 49
 * GFLOP/s and the bench CNN 2.1 -> 3.5 steps/s with 2 threads, but the bench MLP (small matmuls,
 * many elementwise ops on the main thread) drops 57 -> 37 steps/s, and with both cores busy
 * elsewhere both get slower (the pool's threads spin waiting for a descheduled peer). Starting the
 * pool costs ~1.5-3 s (8 workers, as emscripten pre-starts them).
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { Worker as NodeWorker, type TransferListItem, type WorkerOptions } from 'node:worker_threads';
import { tf } from './tf.js';
import {
  missingThreadedWasmFile, setWasmMultithreadSupport, THREADED_WASM_FILES, threadedWasmLoadMessage, threadedWasmWorkerSource, wasmModule,
} from './tfjs-internals.js';

const require = createRequire(import.meta.url);

/** The threaded build's thread pool holds 8 pre-started workers: more threads cannot run. */
export const MAX_WASM_THREADS = 8;

let workerScriptPath: string | null = null;
let mainScriptPath: string | null = null;
/** Errors raised by our workers (a worker that fails to load would otherwise crash the process). */
const workerErrors: Error[] = [];
/** Called on a worker error while a threaded start is in progress, to fail it at once. */
let onWorkerError: ((e: Error) => void) | null = null;
/** Every worker started through the shim, to terminate them if the threaded start fails. */
const started = new Set<NodeWorker>();

/** Writes the worker script to a temp file (once per process) and finds the emscripten glue. */
function prepareScripts(): void {
  if (workerScriptPath && mainScriptPath) return;
  const pkgDir = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json'));
  const glue = path.join(pkgDir, ...THREADED_WASM_FILES.glue);
  const workerModule = path.join(pkgDir, ...THREADED_WASM_FILES.workerModule);
  if (!fs.existsSync(glue)) throw missingThreadedWasmFile(glue);
  const contents = threadedWasmWorkerSource(() => require(workerModule), workerModule);
  const version = (require('@tensorflow/tfjs-backend-wasm/package.json') as { version: string }).version;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `mtljs-wasm-${version}-`));
  const file = path.join(dir, 'tfjs-backend-wasm-threaded-simd.worker.cjs');
  // The string holds escaped newlines inside string literals that the module's template literal turned
  // into real ones; escape them again (as the bundle does before making its Blob).
  fs.writeFileSync(file, contents.replace(/\n/g, '\\n'));
  workerScriptPath = file;
  mainScriptPath = glue;
  process.once('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
}

/**
 * The global `Worker` emscripten uses: a worker_threads Worker that accepts the threaded build's blob
 * URL (started from the temp worker script instead) and hands workers the glue's path to load.
 */
class TfjsWasmWorker extends NodeWorker {
  constructor(url: string | URL, options?: WorkerOptions) {
    const blob = typeof url === 'string' ? url.startsWith('blob:') : url.protocol === 'blob:';
    super(blob && workerScriptPath ? workerScriptPath : url, options);
    const w = this as unknown as NodeWorker;
    started.add(w);
    w.once('exit', () => started.delete(w));
  }

  override postMessage(message: unknown, transferList?: readonly TransferListItem[]): void {
    super.postMessage(mainScriptPath ? threadedWasmLoadMessage(message, mainScriptPath) : message, transferList);
  }

  /** emscripten rethrows worker errors from its 'error' listener: record them instead of crashing. */
  override on(event: string | symbol, listener: (...args: any[]) => void): this {
    if (event !== 'error') return super.on(event, listener);
    return super.on('error', (e: unknown) => {
      const err = e instanceof Error ? e : new Error(String(e));
      workerErrors.push(err);
      onWorkerError?.(err);
      try {
        listener(e);
      } catch {
        // recorded above; the start-up check reports it
      }
    });
  }
}

let shimInstalled = false;

/** Installs the global Worker; emscripten's own assignment (worker_threads' Worker) is ignored. */
function installWorkerShim(): void {
  if (shimInstalled) return;
  Object.defineProperty(globalThis, 'Worker', {
    configurable: true,
    enumerable: false,
    get: () => TfjsWasmWorker,
    set: () => {},
  });
  shimInstalled = true;
}

/** os.cpus() with `n` entries (the real ones repeated) until the returned function restores it. */
function reportCpus(n: number): () => void {
  const real = os.cpus;
  const list = real.call(os);
  if (list.length >= n || list.length === 0) return () => {};
  const fake = Array.from({ length: n }, (_, i) => list[i % list.length]);
  (os as { cpus: typeof os.cpus }).cpus = () => fake;
  return () => {
    (os as { cpus: typeof os.cpus }).cpus = real;
  };
}

/** `p`, failing after `ms` or at the first worker error. */
function guarded<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const failure = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
    onWorkerError = (e) => reject(new Error(`a wasm worker failed: ${e.message}`));
  });
  return Promise.race([p, failure]).finally(() => {
    clearTimeout(timer);
    onWorkerError = null;
  });
}

/** Threads in the running wasm backend's XNNPACK pool (1 single-threaded; 0 if wasm is not started). */
export function wasmThreadCount(): number {
  const m = wasmModule();
  return m?.tfjs ? m.tfjs.getThreadsCount() : 0;
}

/** Lets the process exit while the pool's workers (blocked waiting for work) are still alive. */
function unrefWorkers(): void {
  for (const w of started) w.unref();
  const pthread = wasmModule()?.PThread;
  for (const w of [...(pthread?.runningWorkers ?? []), ...(pthread?.unusedWorkers ?? [])]) w.unref?.();
}

export interface ThreadedStart {
  /** Threads in XNNPACK's pool (the calling thread included). */
  threads: number;
}

/**
 * Starts tfjs's `wasm` backend with its threaded SIMD build and `threads` threads. Must run before the
 * wasm backend is first initialised in this process (call after the wasm package is imported and
 * setWasmPaths was called). Throws if the threaded start fails; the caller then calls
 * `abandonThreadedStart()` and starts the single-threaded build.
 */
export async function startThreadedWasm(threads: number, timeoutMs = 60_000): Promise<ThreadedStart> {
  const n = Math.max(1, Math.min(MAX_WASM_THREADS, Math.floor(threads)));
  if (typeof SharedArrayBuffer === 'undefined') throw new Error('SharedArrayBuffer is not available');
  const wasmPkg = await import('@tensorflow/tfjs-backend-wasm');
  prepareScripts();
  installWorkerShim();
  workerErrors.length = 0;
  setWasmMultithreadSupport(true);
  wasmPkg.setThreadsCount(n);
  const restoreCpus = reportCpus(2 * n);
  let ok: boolean;
  try {
    ok = await guarded(tf.setBackend('wasm'), timeoutMs, 'threaded wasm start');
  } finally {
    restoreCpus();
  }
  if (workerErrors.length > 0) throw new Error(`a wasm worker failed: ${workerErrors[0].message}`);
  if (!ok) throw new Error('the threaded wasm backend failed to initialise');
  unrefWorkers();
  return { threads: wasmPkg.getThreadsCount() };
}

/** After a failed threaded start: stops its workers and makes the next wasm start single-threaded. */
export async function abandonThreadedStart(): Promise<void> {
  setWasmMultithreadSupport(false);
  const wasmPkg = await import('@tensorflow/tfjs-backend-wasm');
  wasmPkg.setThreadsCount(-1);
  await Promise.all([...started].map((w) => w.terminate().catch(() => 0)));
  started.clear();
}

/** Threads asked for by MTL_WASM_THREADS (unset, empty or not a positive integer: undefined). */
export function threadsFromEnv(env: NodeJS.ProcessEnv = process.env): number | undefined {
  const v = env.MTL_WASM_THREADS?.trim();
  if (!v) return undefined;
  if (v === 'auto') return os.cpus().length;
  const n = Number(v);
  return Number.isInteger(n) && n > 0 ? n : undefined;
}
