/**
 * The fused GRU sequence kernels (src/engine/kernels/gru-sequence.ts) on the native addon for the wasm
 * backend: outputs allocated on the wasm heap, computed in place by `gruForward` / `gruBackward`
 * (native/mtl_kernels.cc, the "GRU" block: AVX2, threads over batch rows). The JavaScript kernels stay
 * the fallback (addon switched off, non-float32 inputs).
 */
import { tf } from '../tf.js';
import { wasmBackend, wasmHeapOffset as heapOffset } from '../tfjs-internals.js';
import { GRU_ACTIVATION_CODE, GRU_SEQUENCE, GRU_SEQUENCE_GRAD, gruDims, gruSequenceKernels, type GruRecurrentActivation } from '../kernels/gru-sequence.js';
import type { NativeAddon } from './build.js';
import { countNativeCall as count, nativeKernelsEnabled } from './state.js';
import { allFloat32, registerOverWasm } from './custom-kernels.js';

/** The addon's GRU entry points (offsets are bytes on the heap; activation: 0 hard sigmoid, 1 sigmoid). */
export interface GruAddon {
  gruForward(heap: Uint8Array, xpOff: number, uOff: number, maskOff: number, hsOff: number, wsOff: number,
    B: number, T: number, U: number, reverse: boolean, activation: number, hsStride: number): void;
  gruBackward(heap: Uint8Array, uOff: number, maskOff: number, hsOff: number, wsOff: number, dhsOff: number, dxpOff: number, duOff: number,
    B: number, T: number, U: number, reverse: boolean, activation: number, hsStride: number): void;
}


const activationCode = (attrs: tf.NamedAttrMap | undefined): number | undefined =>
  GRU_ACTIVATION_CODE[((attrs ?? {}) as { recurrentActivation?: GruRecurrentActivation }).recurrentActivation ?? 'hardSigmoid'];

/** Both directions into one hs [B, T, 2U]: the backward direction's columns start U floats (4U bytes) in. */
function forward(addon: GruAddon): tf.KernelFunc {
  return (args) => {
    const t = args.inputs as Record<string, tf.TensorInfo | undefined>;
    const code = activationCode(args.attrs);
    if (!nativeKernelsEnabled() || !allFloat32([t.xpForward, t.xpBackward, t.uForward, t.uBackward, t.mask]) || code == null) return gruSequenceKernels.forward(args);
    const { B, T, U } = gruDims(t.xpForward!, t.uForward!, t.mask!);
    gruDims(t.xpBackward!, t.uBackward!, t.mask!);
    const be = wasmBackend(args.backend);
    const hs = be.makeOutput([B, T, 2 * U], 'float32');
    const wsf = be.makeOutput([B, T, 3 * U], 'float32');
    const wsb = be.makeOutput([B, T, 3 * U], 'float32');
    count(GRU_SEQUENCE);
    const heap = be.wasm.HEAPU8, hsOff = heapOffset(be, hs), mask = heapOffset(be, t.mask!);
    addon.gruForward(heap, heapOffset(be, t.xpForward!), heapOffset(be, t.uForward!), mask, hsOff, heapOffset(be, wsf), B, T, U, false, code, 2 * U);
    addon.gruForward(heap, heapOffset(be, t.xpBackward!), heapOffset(be, t.uBackward!), mask, hsOff + 4 * U, heapOffset(be, wsb), B, T, U, true, code, 2 * U);
    return [hs, wsf, wsb];
  };
}

function backward(addon: GruAddon): tf.KernelFunc {
  return (args) => {
    const t = args.inputs as Record<string, tf.TensorInfo | undefined>;
    const code = activationCode(args.attrs);
    if (!nativeKernelsEnabled() || !allFloat32([t.dhs, t.uForward, t.uBackward, t.mask, t.hs, t.wsForward, t.wsBackward]) || code == null) {
      return gruSequenceKernels.backward(args);
    }
    const { B, T, U } = gruDims(t.wsForward!, t.uForward!, t.mask!);
    const be = wasmBackend(args.backend);
    const dxf = be.makeOutput([B, T, 3 * U], 'float32');
    const dxb = be.makeOutput([B, T, 3 * U], 'float32');
    const duf = be.makeOutput([U, 3 * U], 'float32');
    const dub = be.makeOutput([U, 3 * U], 'float32');
    count(GRU_SEQUENCE_GRAD);
    const heap = be.wasm.HEAPU8, mask = heapOffset(be, t.mask!), hs = heapOffset(be, t.hs!), dhs = heapOffset(be, t.dhs!);
    addon.gruBackward(heap, heapOffset(be, t.uForward!), mask, hs, heapOffset(be, t.wsForward!), dhs, heapOffset(be, dxf), heapOffset(be, duf), B, T, U, false, code, 2 * U);
    addon.gruBackward(heap, heapOffset(be, t.uBackward!), mask, hs + 4 * U, heapOffset(be, t.wsBackward!), dhs + 4 * U, heapOffset(be, dxb), heapOffset(be, dub), B, T, U, true, code, 2 * U);
    return [dxf, dxb, duf, dub];
  };
}

/** Puts the native GRU kernels over the wasm backend's JavaScript ones (idempotent; false if the addon lacks them). */
export function registerNativeGruKernels(addon: NativeAddon): boolean {
  const gru = addon as NativeAddon & Partial<GruAddon>;
  if (typeof gru.gruForward !== 'function' || typeof gru.gruBackward !== 'function') return false;
  registerOverWasm([[GRU_SEQUENCE, forward(gru as GruAddon)], [GRU_SEQUENCE_GRAD, backward(gru as GruAddon)]]);
  return true;
}
