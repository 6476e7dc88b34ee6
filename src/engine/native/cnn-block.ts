/**
 * The pool and the elementwise gradients of a CNN block on the native addon (wasm backend), in place on
 * the wasm heap:
 * - `MaxPool` of the 2×2 / stride-2 / unpadded pool: one AVX2 pass, all threads (wasm's XNNPACK kernel:
 *   1.3 ms for the bench CNN's [64, 24, 24, 64]), with tfjs cpu's semantics (a strict `>` scan from −∞:
 *   NaN never wins, of tied values the first). wasm's kernel stays the fallback for other pools.
 * - `MaxPoolGrad` of the common 2×2 / stride-2 / unpadded pool, from the forward output (each window's
 *   maximum): one pass, all threads. The JavaScript kernel it stands over (src/engine/kernels/
 *   max-pool-grad.ts, 5–8 ms for the bench CNN's [64, 24, 24, 64]) stays the fallback for every other
 *   geometry, dtype, and for a window whose values are not as the output says (then the scan decides).
 *   Same semantics bit for bit: a window's gradient goes to its first maximum in row-major order.
 * - `MtlReluGrad` (dy, y) → dy·step(y): the relu gradient of the fused dense / convolution ops
 *   (src/engine/fused.ts) in one pass instead of wasm's Step and Multiply (two passes, a temporary).
 *   Registered on wasm only; fused.ts asks `nativeReluGradUsable()` and composes tf ops otherwise.
 * Per-task backward passes (PCGrad and the other gradient methods in `param` mode) run both once per
 * task, so they weigh twice in those steps (bench:profile, `--model cnn`).
 */
import { tf } from '../tf.js';
import { wasmBackend, wasmHeapOffset as heapOffset } from '../tfjs-internals.js';
import type { NativeAddon } from './build.js';
import { countNativeCall as count, nativeKernelsEnabled } from './state.js';

/** The addon's entry points (offsets are bytes on the heap). */
export interface CnnBlockAddon {
  /** false: some window is not as y says (dx is then undefined; the caller recomputes it). */
  maxPoolGrad2x2(heap: Uint8Array, xOff: number, yOff: number, dyOff: number, dxOff: number, B: number, H: number, W: number, C: number, OH: number, OW: number): boolean;
  maxPool2x2(heap: Uint8Array, xOff: number, yOff: number, B: number, H: number, W: number, C: number, OH: number, OW: number): void;
  reluGrad(heap: Uint8Array, dyOff: number, yOff: number, dxOff: number, n: number): void;
}

export const RELU_GRAD = 'MtlReluGrad';

const NATIVE = Symbol.for('mtljs.nativeCnnBlock');
type MarkedKernel = tf.KernelFunc & { [NATIVE]?: true };

type Pair = number | [number, number];
const pair = (v: unknown): [number, number] => (Array.isArray(v) ? [Number(v[0]), Number(v[1])] : [Number(v), Number(v)]);

/** [B, H, W, C] → [OH, OW] when a pool is the 2×2 / stride-2 one whose windows start at 0 and stay inside, else null. */
function pool2x2(shape: readonly number[], attrs: tf.NamedAttrMap): { B: number; H: number; W: number; C: number; OH: number; OW: number } | null {
  if (shape.length !== 4) return null;
  const [fh, fw] = pair(attrs.filterSize as Pair);
  const [sh, sw] = pair(attrs.strides as Pair);
  const [B, H, W, C] = shape as [number, number, number, number];
  if (fh !== 2 || fw !== 2 || sh !== 2 || sw !== 2 || attrs.dimRoundingMode != null) return null;
  // 'valid' (or 'same' on even sizes, which pads nothing).
  if (attrs.pad !== 'valid' && !(attrs.pad === 'same' && H % 2 === 0 && W % 2 === 0)) return null;
  return { B, H, W, C, OH: Math.floor(H / 2), OW: Math.floor(W / 2) };
}

function maxPool(addon: CnnBlockAddon, original: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { x } = args.inputs as Record<string, tf.TensorInfo | undefined>;
    const g = x != null && x.dtype === 'float32' && nativeKernelsEnabled() ? pool2x2(x.shape, args.attrs ?? {}) : null;
    if (g == null || g.OH === 0 || g.OW === 0) return original(args);
    const be = wasmBackend(args.backend);
    const out = be.makeOutput([g.B, g.OH, g.OW, g.C], 'float32');
    count('MaxPool');
    addon.maxPool2x2(be.wasm.HEAPU8, heapOffset(be, x!), heapOffset(be, out), g.B, g.H, g.W, g.C, g.OH, g.OW);
    return out;
  };
}

function maxPoolGrad(addon: CnnBlockAddon, original: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { dy, input, output } = args.inputs as Record<string, tf.TensorInfo | undefined>;
    if (!nativeKernelsEnabled() || dy == null || input == null || output == null) return original(args);
    if (input.dtype !== 'float32' || dy.dtype !== 'float32' || output.dtype !== 'float32' || output.shape.join() !== dy.shape.join()) return original(args);
    const g = pool2x2(input.shape, args.attrs ?? {});
    if (g == null || dy.shape.join() !== [g.B, g.OH, g.OW, g.C].join()) return original(args);
    const be = wasmBackend(args.backend);
    const out = be.makeOutput(input.shape.slice(), 'float32');
    count('MaxPoolGrad');
    const ok = addon.maxPoolGrad2x2(be.wasm.HEAPU8, heapOffset(be, input), heapOffset(be, output), heapOffset(be, dy), heapOffset(be, out), g.B, g.H, g.W, g.C, g.OH, g.OW);
    if (ok) return out;
    be.disposeData(out.dataId);
    return original(args);
  };
}

function reluGrad(addon: CnnBlockAddon): tf.KernelFunc {
  return (args) => {
    const { dy, y } = args.inputs as Record<string, tf.TensorInfo | undefined>;
    if (dy == null || y == null || dy.dtype !== 'float32' || y.dtype !== 'float32' || dy.shape.join() !== y.shape.join()) {
      throw new Error(`${RELU_GRAD}: dy and y must be float32 tensors of one shape`);
    }
    const be = wasmBackend(args.backend);
    const out = be.makeOutput(dy.shape.slice(), 'float32');
    count(RELU_GRAD);
    addon.reluGrad(be.wasm.HEAPU8, heapOffset(be, dy), heapOffset(be, y), heapOffset(be, out), dy.shape.reduce((p, d) => p * d, 1));
    return out;
  };
}

/** Whether the relu gradient may run as the native kernel now (wasm backend, addon loaded and on). */
export function nativeReluGradUsable(): boolean {
  return nativeKernelsEnabled() && tf.getBackend() === 'wasm' && tf.getKernel(RELU_GRAD, 'wasm') != null;
}

/** Puts the three kernels over the wasm backend (idempotent; false if the addon lacks them). */
export function registerNativeCnnBlockKernels(addon: NativeAddon): boolean {
  const a = addon as NativeAddon & Partial<CnnBlockAddon>;
  if (typeof a.maxPool2x2 !== 'function' || typeof a.maxPoolGrad2x2 !== 'function' || typeof a.reluGrad !== 'function') return false;
  const addonCnn = a as CnnBlockAddon;
  for (const [name, make] of [['MaxPool', maxPool], ['MaxPoolGrad', maxPoolGrad]] as const) {
    const cfg = tf.getKernel(name, 'wasm');
    if (cfg == null || (cfg.kernelFunc as MarkedKernel)[NATIVE]) continue;
    const kernel: MarkedKernel = make(addonCnn, cfg.kernelFunc);
    kernel[NATIVE] = true;
    // wasm-kernels.ts recognises its own MaxPoolGrad replacement by this marker: keep it, so its re-registration leaves this in place.
    if (name === 'MaxPoolGrad') (kernel as unknown as Record<symbol, unknown>)[Symbol.for('mtljs.replacedWasmKernel')] = 'MaxPoolGrad';
    tf.unregisterKernel(name, 'wasm');
    // Keep the previous config's setupFunc: wasm's own binds its C entry point there.
    tf.registerKernel({ ...cfg, kernelFunc: kernel });
  }
  if (tf.getKernel(RELU_GRAD, 'wasm') == null) tf.registerKernel({ kernelName: RELU_GRAD, backendName: 'wasm', kernelFunc: reluGrad(a as CnnBlockAddon) });
  return true;
}
