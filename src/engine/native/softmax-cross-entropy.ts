/**
 * The fused softmax cross-entropy kernels (src/engine/kernels/softmax-cross-entropy.ts) on the native
 * addon for the wasm backend: in place on the wasm heap, exp vectorised (AVX2). The JavaScript kernels
 * stay the fallback (addon switched off, non-float32 inputs).
 */
import type { tf } from '../tf.js';
import { wasmBackend, wasmHeapOffset as heapOffset } from '../tfjs-internals.js';
import { SOFTMAX_CE, SOFTMAX_CE_GRAD, softmaxCrossEntropyKernels } from '../kernels/softmax-cross-entropy.js';
import type { NativeAddon } from './build.js';
import { countNativeCall as count, nativeKernelsEnabled } from './state.js';
import { allFloat32, registerOverWasm } from './custom-kernels.js';

/** The addon's entry points (offsets are bytes on the heap). */
export interface SoftmaxCrossEntropyAddon {
  softmaxCrossEntropy(heap: Uint8Array, zOff: number, labelsOff: number, maskOff: number, nllOff: number, lseOff: number, N: number, K: number): void;
  softmaxCrossEntropyGrad(heap: Uint8Array, dyOff: number, zOff: number, labelsOff: number, maskOff: number, lseOff: number, dzOff: number, N: number, K: number): void;
}


function forward(addon: SoftmaxCrossEntropyAddon): tf.KernelFunc {
  return (args) => {
    const { logits, labels, mask } = args.inputs as Record<string, tf.TensorInfo | undefined>;
    if (!nativeKernelsEnabled() || !allFloat32([logits, labels, mask]) || logits!.shape.length !== 2) return softmaxCrossEntropyKernels.forward(args);
    const [N, K] = logits!.shape as [number, number];
    const be = wasmBackend(args.backend);
    const nll = be.makeOutput([N], 'float32');
    const lse = be.makeOutput([N], 'float32');
    count(SOFTMAX_CE);
    addon.softmaxCrossEntropy(be.wasm.HEAPU8, heapOffset(be, logits!), heapOffset(be, labels!), heapOffset(be, mask!), heapOffset(be, nll), heapOffset(be, lse), N, K);
    return [nll, lse];
  };
}

function backward(addon: SoftmaxCrossEntropyAddon): tf.KernelFunc {
  return (args) => {
    const { dy, logits, labels, mask, lse } = args.inputs as Record<string, tf.TensorInfo | undefined>;
    if (!nativeKernelsEnabled() || !allFloat32([dy, logits, labels, mask, lse]) || logits!.shape.length !== 2) return softmaxCrossEntropyKernels.backward(args);
    const [N, K] = logits!.shape as [number, number];
    const be = wasmBackend(args.backend);
    const dz = be.makeOutput([N, K], 'float32');
    count(SOFTMAX_CE_GRAD);
    addon.softmaxCrossEntropyGrad(be.wasm.HEAPU8, heapOffset(be, dy!), heapOffset(be, logits!), heapOffset(be, labels!), heapOffset(be, mask!),
      heapOffset(be, lse!), heapOffset(be, dz), N, K);
    return dz;
  };
}

/** Puts the native kernels over the wasm backend's JavaScript ones (idempotent; false if the addon lacks them). */
export function registerNativeSoftmaxCrossEntropyKernels(addon: NativeAddon): boolean {
  const a = addon as NativeAddon & Partial<SoftmaxCrossEntropyAddon>;
  if (typeof a.softmaxCrossEntropy !== 'function' || typeof a.softmaxCrossEntropyGrad !== 'function') return false;
  registerOverWasm([[SOFTMAX_CE, forward(a as SoftmaxCrossEntropyAddon)], [SOFTMAX_CE_GRAD, backward(a as SoftmaxCrossEntropyAddon)]]);
  return true;
}
