/**
 * The fused layer norm kernels (src/engine/kernels/layer-norm.ts) on the native addon for the wasm
 * backend, in place on the wasm heap (the JavaScript kernels cost ~6 ns per element, ~0.5 ms for a
 * [64, 20, 64] batch; native ~20× less). The JavaScript kernels stay the fallback.
 */
import type { tf } from '../tf.js';
import { wasmBackend, wasmHeapOffset as heapOffset } from '../tfjs-internals.js';
import { LAYER_NORM, LAYER_NORM_GRAD, layerNormKernels } from '../kernels/layer-norm.js';
import type { NativeAddon } from './build.js';
import { countNativeCall as count, nativeKernelsEnabled } from './state.js';
import { allFloat32, registerOverWasm } from './custom-kernels.js';

/** The addon's entry points (offsets are bytes on the heap). */
export interface LayerNormAddon {
  layerNorm(heap: Uint8Array, xOff: number, gammaOff: number, betaOff: number, yOff: number, meanOff: number, rstdOff: number, rows: number, D: number, eps: number): void;
  layerNormGrad(heap: Uint8Array, dyOff: number, xOff: number, gammaOff: number, meanOff: number, rstdOff: number, dxOff: number, dgammaOff: number, dbetaOff: number,
    rows: number, D: number): void;
}

const geometry = (x: tf.TensorInfo): { rows: number; D: number } => {
  const D = x.shape[x.shape.length - 1]!;
  return { rows: x.shape.reduce((p, d) => p * d, 1) / Math.max(D, 1), D };
};

function forward(addon: LayerNormAddon): tf.KernelFunc {
  return (args) => {
    const { x, gamma, beta } = args.inputs as Record<string, tf.TensorInfo | undefined>;
    if (!nativeKernelsEnabled() || !allFloat32([x, gamma, beta]) || x!.shape.length < 1) return layerNormKernels.forward(args);
    const { rows, D } = geometry(x!);
    if (gamma!.shape.length !== 1 || gamma!.shape[0] !== D) return layerNormKernels.forward(args); // the JavaScript kernel reports it
    const be = wasmBackend(args.backend);
    const y = be.makeOutput(x!.shape.slice(), 'float32');
    const mean = be.makeOutput([rows], 'float32');
    const rstd = be.makeOutput([rows], 'float32');
    count(LAYER_NORM);
    addon.layerNorm(be.wasm.HEAPU8, heapOffset(be, x!), heapOffset(be, gamma!), heapOffset(be, beta!), heapOffset(be, y), heapOffset(be, mean), heapOffset(be, rstd),
      rows, D, Number((args.attrs ?? {}).epsilon));
    return [y, mean, rstd];
  };
}

function backward(addon: LayerNormAddon): tf.KernelFunc {
  return (args) => {
    const { dy, x, gamma, mean, rstd } = args.inputs as Record<string, tf.TensorInfo | undefined>;
    if (!nativeKernelsEnabled() || !allFloat32([dy, x, gamma, mean, rstd])) return layerNormKernels.backward(args);
    const { rows, D } = geometry(x!);
    const be = wasmBackend(args.backend);
    const dx = be.makeOutput(x!.shape.slice(), 'float32');
    const dgamma = be.makeOutput([D], 'float32');
    const dbeta = be.makeOutput([D], 'float32');
    count(LAYER_NORM_GRAD);
    addon.layerNormGrad(be.wasm.HEAPU8, heapOffset(be, dy!), heapOffset(be, x!), heapOffset(be, gamma!), heapOffset(be, mean!), heapOffset(be, rstd!),
      heapOffset(be, dx), heapOffset(be, dgamma), heapOffset(be, dbeta), rows, D);
    return [dx, dgamma, dbeta];
  };
}

/** Puts the native kernels over the wasm backend's JavaScript ones (idempotent; false if the addon lacks them). */
export function registerNativeLayerNormKernels(addon: NativeAddon): boolean {
  const a = addon as NativeAddon & Partial<LayerNormAddon>;
  if (typeof a.layerNorm !== 'function' || typeof a.layerNormGrad !== 'function') return false;
  registerOverWasm([[LAYER_NORM, forward(a as LayerNormAddon)], [LAYER_NORM_GRAD, backward(a as LayerNormAddon)]]);
  return true;
}
