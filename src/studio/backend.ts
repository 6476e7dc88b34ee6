/**
 * The best backend this browser has, in the worker: WebGPU, then WebGL, then wasm, then cpu. Each is
 * started and must pass a small training check (a product and its gradient, against the numbers worked
 * by hand) before it is used: a GPU that starts but computes wrongly, WebGL without float32 render
 * targets (half precision: training would drift), or WebGL drawn by a software renderer (SwiftShader,
 * llvmpipe: a browser without a usable GPU, e.g. headless; measured on the adult sample it trained at
 * ~840 rows/s where wasm did ~7,200) is passed over, and the page says why.
 *
 * wasm gets the training kernels mtljs registers in Node (src/engine/wasm-kernels.ts: convolution
 * filter gradients, segment sums, faster products); its .wasm files are served beside the worker script.
 * It runs single-threaded: the threaded build's helper workers load the script that started them as a
 * classic script and call its factory as a global, which a bundled worker does not expose (and each
 * would run the whole studio worker again).
 */
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-webgl';
import '@tensorflow/tfjs-backend-webgpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { tf } from '../engine/tf.js';
import { registerWasmTrainingKernels } from '../engine/wasm-kernels.js';
import type { BackendInfo } from './protocol.js';

export const BACKEND_ORDER = ['webgpu', 'webgl', 'wasm', 'cpu'] as const;

function timeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([p, new Promise<T>((_, reject) => { timer = setTimeout(() => reject(new Error(`${what} did not start in ${ms / 1000} s`)), ms); })]).finally(() => clearTimeout(timer));
}

/** For a = [[1, 2], [3, 4]]: a·a = [[7, 10], [15, 22]], and d/dx Σ(x·a) = ones · aᵀ = [[3, 7], [3, 7]] (x another tensor). */
function trainingCheck(): string | null {
  const out = tf.tidy(() => {
    const a = tf.tensor2d([[1, 2], [3, 4]]);
    const product = tf.matMul(a, a);
    const grad = tf.grad((x: tf.Tensor) => tf.sum(tf.matMul(x as tf.Tensor2D, a)))(tf.eye(2));
    return [product.dataSync(), grad.dataSync()].map((d) => Array.from(d));
  });
  const want = [[7, 10, 15, 22], [3, 7, 3, 7]];
  const ok = out.every((v, i) => v.length === 4 && v.every((x, j) => Math.abs(x - want[i]![j]!) < 1e-4));
  return ok ? null : `wrong numbers in the training check (${JSON.stringify(out)})`;
}

const SOFTWARE_RENDERER = /swiftshader|llvmpipe|softpipe|software/i;

/** The WebGL renderer's name (WEBGL_debug_renderer_info), where the browser tells it. */
function webglRenderer(): string | null {
  const gl = (tf.backend() as unknown as { gpgpu?: { gl?: WebGLRenderingContext } }).gpgpu?.gl;
  if (!gl) return null;
  const info = gl.getExtension('WEBGL_debug_renderer_info');
  const name: unknown = gl.getParameter(info ? info.UNMASKED_RENDERER_WEBGL : gl.RENDERER);
  return typeof name === 'string' ? name : null;
}

async function tryBackend(name: string): Promise<string | null> {
  if (name === 'webgpu' && !(globalThis as { navigator?: { gpu?: unknown } }).navigator?.gpu) return 'this browser has no WebGPU';
  if (name === 'webgl' && typeof (globalThis as { OffscreenCanvas?: unknown }).OffscreenCanvas === 'undefined') return 'no OffscreenCanvas in workers';
  let started: boolean;
  try {
    started = await timeout(tf.setBackend(name), 20_000, name);
  } catch (e) {
    return (e as Error).message;
  }
  if (!started || tf.getBackend() !== name) return 'it did not start (no adapter or context)';
  const why = usable(name);
  // A backend passed over lets go of its context and memory.
  if (why) tf.removeBackend(name);
  return why;
}

/** Why a started backend is not used (null: it is). */
function usable(name: string): string | null {
  if (name === 'webgl') {
    if (!tf.env().getBool('WEBGL_RENDER_FLOAT32_CAPABLE')) return 'no float32 render targets (half precision cannot train reliably)';
    const renderer = webglRenderer();
    if (renderer && SOFTWARE_RENDERER.test(renderer)) return `a software renderer (${renderer}), slower than wasm`;
  }
  if (name === 'wasm') registerWasmTrainingKernels();
  try {
    return trainingCheck();
  } catch (e) {
    return (e as Error).message;
  }
}

/**
 * Starts the first backend of BACKEND_ORDER that works (`preferred` first, when it names one);
 * `wasmBase` is the URL folder of the .wasm files.
 */
export async function startBestBackend(wasmBase: string, preferred?: string): Promise<BackendInfo> {
  setWasmPaths(wasmBase);
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  const tried: BackendInfo['tried'] = [];
  const order = (BACKEND_ORDER as readonly string[]).includes(preferred ?? '') ? [preferred!, ...BACKEND_ORDER.filter((b) => b !== preferred)] : BACKEND_ORDER;
  for (const name of order) {
    const why = await tryBackend(name);
    tried.push(why ? { name, ok: false, why } : { name, ok: true });
    if (!why) return { name, tried, isolated: (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true };
  }
  throw new Error(`no backend works here: ${tried.map((t) => `${t.name}: ${t.why}`).join('; ')}`);
}
