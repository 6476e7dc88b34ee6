/**
 * The fused GRU sequence kernels (src/engine/kernels/gru-sequence.ts) on the native addon for the wasm
 * backend: outputs allocated on the wasm heap, computed in place by `gruForward` / `gruBackward`
 * (native/mtl_kernels.cc, the "GRU" block: AVX2, threads over batch rows). The JavaScript kernels stay
 * the fallback (addon switched off, non-float32 inputs).
 */
import { tf } from '../tf.js';
import { wasmBackend, wasmHeapOffset as heapOffset } from '../tfjs-internals.js';
import { GRU_ACTIVATION_CODE, GRU_SEQUENCE, GRU_SEQUENCE_GRAD, gruDims, gruSequenceKernels, type GruSequenceAttrs } from '../kernels/gru-sequence.js';
import type { NativeAddon } from './build.js';
import { countNativeCall as count, nativeKernelsEnabled } from './state.js';
import { registerOverWasm } from './custom-kernels.js';

/** The addon's GRU entry points (offsets are bytes on the heap; activation: 0 hard sigmoid, 1 sigmoid). */
export interface GruAddon {
  gruForward(heap: Uint8Array, xpOff: number, uOff: number, maskOff: number, hsOff: number, wsOff: number,
    B: number, T: number, U: number, reverse: boolean, activation: number): void;
  gruBackward(heap: Uint8Array, uOff: number, maskOff: number, hsOff: number, wsOff: number, dhsOff: number, dxpOff: number, duOff: number,
    B: number, T: number, U: number, reverse: boolean, activation: number): void;
}

const allFloat32 = (ts: Array<tf.TensorInfo | undefined>) => ts.every((t) => t != null && t.dtype === 'float32');

function attrsOf(attrs: tf.NamedAttrMap | undefined): GruSequenceAttrs {
  const a = (attrs ?? {}) as Partial<GruSequenceAttrs>;
  return { reverse: a.reverse === true, recurrentActivation: a.recurrentActivation ?? 'hardSigmoid' };
}

function forward(addon: GruAddon): tf.KernelFunc {
  return (args) => {
    const { xp, recurrentKernel, mask } = args.inputs as Record<string, tf.TensorInfo | undefined>;
    const a = attrsOf(args.attrs);
    const code = GRU_ACTIVATION_CODE[a.recurrentActivation];
    if (!nativeKernelsEnabled() || !allFloat32([xp, recurrentKernel, mask]) || code == null) return gruSequenceKernels.forward(args);
    const { B, T, U } = gruDims(xp!, recurrentKernel!, mask!);
    const backend = wasmBackend(args.backend);
    const hs = backend.makeOutput([B, T, U], 'float32');
    const ws = backend.makeOutput([B, T, 3 * U], 'float32');
    count(GRU_SEQUENCE);
    addon.gruForward(backend.wasm.HEAPU8, heapOffset(backend, xp!), heapOffset(backend, recurrentKernel!), heapOffset(backend, mask!),
      heapOffset(backend, hs), heapOffset(backend, ws), B, T, U, a.reverse, code);
    return [hs, ws];
  };
}

function backward(addon: GruAddon): tf.KernelFunc {
  return (args) => {
    const { dhs, recurrentKernel, mask, hs, ws } = args.inputs as Record<string, tf.TensorInfo | undefined>;
    const a = attrsOf(args.attrs);
    const code = GRU_ACTIVATION_CODE[a.recurrentActivation];
    if (!nativeKernelsEnabled() || !allFloat32([dhs, recurrentKernel, mask, hs, ws]) || code == null) return gruSequenceKernels.backward(args);
    const { B, T, U } = gruDims(ws!, recurrentKernel!, mask!);
    const backend = wasmBackend(args.backend);
    const dxp = backend.makeOutput([B, T, 3 * U], 'float32');
    const du = backend.makeOutput([U, 3 * U], 'float32');
    count(GRU_SEQUENCE_GRAD);
    addon.gruBackward(backend.wasm.HEAPU8, heapOffset(backend, recurrentKernel!), heapOffset(backend, mask!), heapOffset(backend, hs!),
      heapOffset(backend, ws!), heapOffset(backend, dhs!), heapOffset(backend, dxp), heapOffset(backend, du), B, T, U, a.reverse, code);
    return [dxp, du];
  };
}

/** Puts the native GRU kernels over the wasm backend's JavaScript ones (idempotent; false if the addon lacks them). */
export function registerNativeGruKernels(addon: NativeAddon): boolean {
  const gru = addon as NativeAddon & Partial<GruAddon>;
  if (typeof gru.gruForward !== 'function' || typeof gru.gruBackward !== 'function') return false;
  registerOverWasm([[GRU_SEQUENCE, forward(gru as GruAddon)], [GRU_SEQUENCE_GRAD, backward(gru as GruAddon)]]);
  return true;
}
