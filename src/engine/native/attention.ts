/**
 * The fused attention kernels (src/engine/kernels/attention.ts) on the native addon for the wasm
 * backend: outputs on the wasm heap, computed in place by `attentionForward` / `attentionBackward`
 * (native/mtl_kernels.cc, the "attention" block: AVX2 dot/axpy, threads over sequences). The
 * JavaScript kernels stay the fallback (addon switched off, non-float32 inputs).
 */
import type { tf } from '../tf.js';
import { wasmBackend, wasmHeapOffset as heapOffset } from '../tfjs-internals.js';
import { ATTENTION, ATTENTION_GRAD, attentionDims, attentionKernels } from '../kernels/attention.js';
import type { NativeAddon } from './build.js';
import { countNativeCall as count, nativeKernelsEnabled } from './state.js';
import { allFloat32, registerOverWasm } from './custom-kernels.js';

/** The addon's attention entry points (offsets are bytes on the heap). */
export interface AttentionAddon {
  attentionForward(heap: Uint8Array, qOff: number, kOff: number, vOff: number, maskOff: number, oOff: number, pOff: number,
    B: number, L: number, D: number, H: number): void;
  attentionBackward(heap: Uint8Array, dyOff: number, qOff: number, kOff: number, vOff: number, pOff: number, dqOff: number, dkOff: number, dvOff: number,
    B: number, L: number, D: number, H: number): void;
}


function forward(addon: AttentionAddon): tf.KernelFunc {
  return (args) => {
    const { q, k, v, mask } = args.inputs as Record<string, tf.TensorInfo | undefined>;
    if (!nativeKernelsEnabled() || !allFloat32([q, k, v, mask])) return attentionKernels.forward(args);
    const { B, L, D, H } = attentionDims(q!, mask!, Number((args.attrs ?? {}).heads));
    const be = wasmBackend(args.backend);
    const o = be.makeOutput([B, L, D], 'float32');
    const p = be.makeOutput([B, H, L, L], 'float32');
    count(ATTENTION);
    addon.attentionForward(be.wasm.HEAPU8, heapOffset(be, q!), heapOffset(be, k!), heapOffset(be, v!), heapOffset(be, mask!), heapOffset(be, o), heapOffset(be, p), B, L, D, H);
    return [o, p];
  };
}

function backward(addon: AttentionAddon): tf.KernelFunc {
  return (args) => {
    const { dy, q, k, v, mask, p } = args.inputs as Record<string, tf.TensorInfo | undefined>;
    if (!nativeKernelsEnabled() || !allFloat32([dy, q, k, v, mask, p])) return attentionKernels.backward(args);
    const { B, L, D, H } = attentionDims(q!, mask!, Number((args.attrs ?? {}).heads));
    const be = wasmBackend(args.backend);
    const [dq, dk, dv] = [0, 1, 2].map(() => be.makeOutput([B, L, D], 'float32'));
    count(ATTENTION_GRAD);
    addon.attentionBackward(be.wasm.HEAPU8, heapOffset(be, dy!), heapOffset(be, q!), heapOffset(be, k!), heapOffset(be, v!), heapOffset(be, p!),
      heapOffset(be, dq!), heapOffset(be, dk!), heapOffset(be, dv!), B, L, D, H);
    return [dq!, dk!, dv!];
  };
}

/** Puts the native attention kernels over the wasm backend's JavaScript ones (idempotent; false if the addon lacks them). */
export function registerNativeAttentionKernels(addon: NativeAddon): boolean {
  const a = addon as NativeAddon & Partial<AttentionAddon>;
  if (typeof a.attentionForward !== 'function' || typeof a.attentionBackward !== 'function') return false;
  registerOverWasm([[ATTENTION, forward(a as AttentionAddon)], [ATTENTION_GRAD, backward(a as AttentionAddon)]]);
  return true;
}
