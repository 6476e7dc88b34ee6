/**
 * Backend selection. In Node the default is `wasm` (SIMD, files loaded from the installed package), with
 * `cpu` as the fallback; `tensorflow` (tfjs-node) is used only when the user installed it, since its
 * install downloads a native binary we cannot ship. Choose with `--backend` or `MTL_BACKEND`.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { tf } from './tf.js';

export const BACKENDS = ['wasm', 'cpu', 'tensorflow'] as const;
export type BackendName = (typeof BACKENDS)[number];

const require = createRequire(import.meta.url);
let wasmReady: Promise<void> | null = null;

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
export async function initBackend(requested?: string, log: (msg: string) => void = () => {}): Promise<BackendName> {
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
    if (!(await tf.setBackend('wasm'))) {
      log('wasm backend failed to start; falling back to cpu');
      await tf.setBackend('cpu');
    }
  } else {
    await import('@tensorflow/tfjs-backend-cpu');
    await tf.setBackend('cpu');
  }
  await tf.ready();
  const active = tf.getBackend() as BackendName;
  log(`backend: ${active}`);
  return active;
}
