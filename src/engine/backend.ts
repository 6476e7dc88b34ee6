/**
 * Backend selection. In Node the default is `wasm` (SIMD, files loaded from the installed package), with
 * `cpu` as the fallback; `tensorflow` (tfjs-node) is used only when the user installed it, since its
 * install downloads a native binary we cannot ship. Choose with `--backend` or `MTL_BACKEND`.
 * wasm can run multi-threaded (opt-in: `{ threads: N }` or MTL_WASM_THREADS=N|auto; src/engine/
 * wasm-threads.ts), falling back to the single-threaded SIMD build if the threaded start fails.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { tf } from './tf.js';
import { initializedBackend } from './tfjs-internals.js';

export const BACKENDS = ['wasm', 'cpu', 'tensorflow'] as const;
export type BackendName = (typeof BACKENDS)[number];

const require = createRequire(import.meta.url);
let wasmReady: Promise<void> | null = null;

export interface BackendOptions {
  /**
   * wasm only: XNNPACK threads (the calling thread included; at most 8). Above 1 the threaded SIMD
   * build is started; this takes effect only at the first wasm start in a process. Default:
   * MTL_WASM_THREADS (a count, or `auto` for one per CPU), else 1.
   */
  threads?: number;
  /** How long the threaded start may take before falling back (default 60 s). */
  threadStartTimeoutMs?: number;
}

/** Whether the wasm backend has been initialised in this process (without starting it). */
function wasmStarted(): boolean {
  return initializedBackend('wasm') != null;
}

/** Starts wasm with `threads` threads if asked for and possible; returns false to start it plainly. */
async function startWasmThreads(threads: number | undefined, timeoutMs: number | undefined, log: (msg: string) => void): Promise<boolean> {
  if (threads == null || threads <= 1) return false;
  const { startThreadedWasm, abandonThreadedStart, wasmThreadCount } = await import('./wasm-threads.js');
  if (wasmStarted()) {
    // A process starts wasm once; setBackend then only switches to it.
    const running = wasmThreadCount();
    if (running !== threads) log(`wasm: already started with ${running} thread${running === 1 ? '' : 's'} in this process; ${threads} ignored`);
    return false;
  }
  try {
    const { threads: n } = await startThreadedWasm(threads, timeoutMs);
    log(`wasm: ${n} thread${n === 1 ? '' : 's'}`);
    return true;
  } catch (e) {
    log(`wasm: multi-threaded start failed (${e instanceof Error ? e.message : String(e)}); using the single-threaded SIMD build`);
    await abandonThreadedStart();
    return false;
  }
}

async function prepareWasm(): Promise<void> {
  if (!wasmReady) {
    wasmReady = (async () => {
      const wasm = await import('@tensorflow/tfjs-backend-wasm');
      const pkgDir = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json'));
      // setWasmPaths needs a directory ending in '/', where the .wasm binaries live.
      wasm.setWasmPaths(path.join(pkgDir, 'dist') + path.sep);
      // Kernels the wasm backend lacks for training (conv filter gradients, segment sums) are
      // registered once here, after the backend's own kernels exist.
      const { registerWasmTrainingKernels } = await import('./wasm-kernels.js');
      registerWasmTrainingKernels();
    })();
  }
  return wasmReady;
}

async function tryTensorflow(): Promise<boolean> {
  try {
    // Optional: present only when the user installed @tensorflow/tfjs-node themselves.
    const modName = '@tensorflow/tfjs-node';
    await import(/* @vite-ignore */ modName);
    return tf.findBackend('tensorflow') != null;
  } catch {
    return false;
  }
}

export function isBackendName(name: string): name is BackendName {
  return (BACKENDS as readonly string[]).includes(name);
}

/**
 * Selects and initialises a backend. `requested` falls back to `MTL_BACKEND`, then `wasm`.
 * Returns the name of the backend actually in use (wasm falls back to cpu if it cannot start).
 */
export async function initBackend(requested?: string, log: (msg: string) => void = () => {}, options: BackendOptions = {}): Promise<BackendName> {
  const name = requested ?? process.env.MTL_BACKEND ?? 'wasm';
  if (!isBackendName(name)) {
    throw new Error(`unknown backend "${name}": choose one of ${BACKENDS.join(', ')}`);
  }
  if (name === 'tensorflow') {
    if (!(await tryTensorflow())) {
      throw new Error('backend "tensorflow" needs @tensorflow/tfjs-node, which is not installed (npm i @tensorflow/tfjs-node)');
    }
    await tf.setBackend('tensorflow');
  } else if (name === 'wasm') {
    await import('@tensorflow/tfjs-backend-cpu');
    await prepareWasm();
    const { threadsFromEnv } = await import('./wasm-threads.js');
    const threaded = await startWasmThreads(options.threads ?? threadsFromEnv(), options.threadStartTimeoutMs, log);
    if (!threaded && !(await tf.setBackend('wasm'))) {
      log('wasm backend failed to start; falling back to cpu');
      await tf.setBackend('cpu');
    }
  } else {
    await import('@tensorflow/tfjs-backend-cpu');
    await tf.setBackend('cpu');
  }
  await tf.ready();
  if (tf.getBackend() === 'wasm') {
    // Native AVX2 kernels (matMul, convolutions, Adam) over the wasm backend's, built with g++ at first use;
    // pure wasm stays in place when MTL_NATIVE=0 or the addon cannot be built.
    const { registerNativeKernels } = await import('./native/register.js');
    registerNativeKernels({ log });
  }
  const active = tf.getBackend() as BackendName;
  log(`backend: ${active}`);
  return active;
}
