/**
 * Native kernels over the wasm backend (src/engine/native/build.ts builds the addon): re-registers
 * wasm's `BatchMatMul`, `_FusedMatMul`, `Conv2D`, `FusedConv2D`, `Conv2DBackpropInput` and
 * `Conv2DBackpropFilter` with kernels that allocate the output on the wasm heap (`makeOutput`) and
 * let the addon compute in place on that heap, at the tensors' byte offsets. The kernel registered
 * before (wasm's own, or mtljs's wasm replacements) stays the fallback for what the addon does not
 * cover (other dtypes, NCHW, PReLU, tiny products) and whenever the native
 * kernels are switched off (`setNativeKernelsEnabled(false)`). The fused Adam update is not installed
 * here: it is an optimizer class of its own (src/engine/native/adam.ts), which the trainer creates; the
 * addon, the switch and the call counters both use live in state.ts. The wasm backend's heap is reached
 * through src/engine/tfjs-internals.ts.
 *
 * `registerNativeKernels()` returns false (changing nothing) when MTL_NATIVE=0, when the addon cannot
 * be built or loaded, or when the wasm backend's kernels are not registered yet (call it after
 * `initBackend`). Threads: MTL_NATIVE_THREADS (default: one per available CPU, at most 8).
 */
import { tf } from '../tf.js';
import { wasmBackend, wasmHeapOffset as heapOffset } from '../tfjs-internals.js';
import { convAttrs, type ConvAttrs, type Pair } from '../kernels/kernel-util.js';
import { loadNativeAddon, type NativeAddon } from './build.js';
import { countNativeCall as count, nativeKernelsEnabled, setNativeAddon } from './state.js';
import { registerNativeGruKernels } from './gru.js';
import { registerNativeAttentionKernels } from './attention.js';
import { registerNativeSoftmaxCrossEntropyKernels } from './softmax-cross-entropy.js';
import { registerNativeLayerNormKernels } from './layer-norm.js';
import { registerNativeCnnBlockKernels } from './cnn-block.js';

const NATIVE = Symbol.for('mtljs.nativeKernel');
type MarkedKernel = tf.KernelFunc & { [NATIVE]?: string };

/** Tunables; exported for tests and benches. */
export const nativeKernelOptions = {
  /**
   * Products (and convolutions) below this many multiply-adds stay on the previous kernel. Measured
   * with bench/native-bench.ts (--part small) on the 2-core AVX2 machine: the native call is as fast
   * as wasm's from 4x4x4 up (both ~5-10 µs through tfjs), so only trivial products stay on wasm.
   */
  minMacs: 256,
};

const size = (shape: readonly number[]) => shape.reduce((p, d) => p * d, 1);

/** FusableActivation codes of tfjs-backend-wasm (kernels/types.ts); prelu is left to the fallback. */
const ACTIVATIONS: Record<string, number> = { linear: 0, relu: 1, relu6: 2, leakyrelu: 4, sigmoid: 5, elu: 6 };

interface MatMulPlan {
  batch: number;
  m: number;
  n: number;
  k: number;
  strideA: number;
  strideB: number;
  outShape: number[];
  /** Two-sided broadcasting: the (A item, B item) of each output item, computed one by one. */
  pairs?: Array<[number, number]>;
}

/** For each output batch index, the linear item index in an operand with batch dims `dims`. */
function broadcastItems(dims: number[], outDims: number[]): number[] {
  const out: number[] = [];
  const rank = outDims.length;
  const padded = [...Array(rank - dims.length).fill(1), ...dims];
  const total = size(outDims);
  const idx = new Array(rank).fill(0);
  for (let i = 0; i < total; i++) {
    let item = 0;
    for (let d = 0; d < rank; d++) item = item * padded[d] + (padded[d] === 1 ? 0 : idx[d]);
    out.push(item);
    for (let d = rank - 1; d >= 0; d--) {
      if (++idx[d] < outDims[d]) break;
      idx[d] = 0;
    }
  }
  return out;
}

/** Shapes the native product handles: float32, rank >= 2, batches equal or one side a single matrix. */
function planMatMul(a: tf.TensorInfo, b: tf.TensorInfo, ta: boolean, tb: boolean): MatMulPlan | null {
  if (a.dtype !== 'float32' || b.dtype !== 'float32') return null;
  const ra = a.shape.length;
  const rb = b.shape.length;
  if (ra < 2 || rb < 2) return null;
  const k = ta ? a.shape[ra - 2] : a.shape[ra - 1];
  const kb = tb ? b.shape[rb - 1] : b.shape[rb - 2];
  const m = ta ? a.shape[ra - 1] : a.shape[ra - 2];
  const n = tb ? b.shape[rb - 2] : b.shape[rb - 1];
  if (k !== kb) return null; // the fallback reports the error
  const batchA = size(a.shape.slice(0, -2));
  const batchB = size(b.shape.slice(0, -2));
  let outBatch: number[];
  try {
    outBatch = tf.broadcast_util.assertAndGetBroadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2));
  } catch {
    return null;
  }
  const batch = size(outBatch);
  if (batch === 0 || m === 0 || n === 0 || k === 0) return null;
  const matA = m * k;
  const matB = k * n;
  let strideA: number;
  let strideB: number;
  let pairs: Array<[number, number]> | undefined;
  if (batchA === batch && batchB === batch && size(a.shape.slice(0, -2)) === batch) {
    strideA = matA;
    strideB = matB;
  } else if (batchA === 1 && batchB === batch) {
    strideA = 0;
    strideB = matB;
  } else if (batchB === 1 && batchA === batch) {
    strideA = matA;
    strideB = 0;
  } else {
    // Both sides broadcast ([2, 1] x [1, 3]): one product per output item.
    strideA = matA;
    strideB = matB;
    const ia = broadcastItems(a.shape.slice(0, -2), outBatch);
    const ib = broadcastItems(b.shape.slice(0, -2), outBatch);
    pairs = ia.map((x, i) => [x, ib[i]]);
  }
  return { batch, m, n, k, strideA, strideB, outShape: [...outBatch, m, n], pairs };
}

/** Bias length for a fused epilogue over `channels` output columns, or null if not per-column. */
function biasLength(bias: tf.TensorInfo | undefined, channels: number): number | null {
  if (bias == null) return 0;
  if (bias.dtype !== 'float32') return null;
  const s = size(bias.shape);
  if (s === 1) return 1;
  if (s === channels && bias.shape[bias.shape.length - 1] === channels) return channels;
  return null;
}

/**
 * wasm's own _FusedMatMul reads rank-3 operands only (tfjs's fused matMul op always passes them; the
 * fused dense op of src/engine/fused.ts passes rank 2 to the native kernel): rank-2 operands it falls
 * back on are viewed as a batch of one, and the result as rank 2 again (same data, no copy).
 */
function rank3Fallback(original: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { a, b } = args.inputs as { a?: tf.TensorInfo; b?: tf.TensorInfo };
    if (a == null || b == null || a.shape.length !== 2 || b.shape.length !== 2) return original(args);
    const view = (t: tf.TensorInfo): tf.TensorInfo => ({ dataId: t.dataId, shape: [1, ...t.shape], dtype: t.dtype });
    const out = original({ ...args, inputs: { ...args.inputs, a: view(a), b: view(b) } }) as tf.TensorInfo;
    return { dataId: out.dataId, shape: out.shape.slice(1), dtype: out.dtype };
  };
}

function makeMatMul(addon: NativeAddon, wasmKernel: tf.KernelFunc, fused: boolean): tf.KernelFunc {
  const original = fused ? rank3Fallback(wasmKernel) : wasmKernel;
  return (args) => {
    if (!nativeKernelsEnabled()) return original(args);
    const inputs = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo; bias?: tf.TensorInfo; preluActivationWeights?: tf.TensorInfo };
    const attrs = (args.attrs ?? {}) as { transposeA?: boolean; transposeB?: boolean; activation?: string; leakyreluAlpha?: number };
    const ta = attrs.transposeA === true;
    const tb = attrs.transposeB === true;
    const plan = planMatMul(inputs.a, inputs.b, ta, tb);
    if (plan == null || plan.batch * plan.m * plan.n * plan.k < nativeKernelOptions.minMacs) return original(args);
    let act = 0;
    let biasLen = 0;
    if (fused) {
      act = ACTIVATIONS[attrs.activation ?? 'linear'] ?? -1;
      const bl = biasLength(inputs.bias, plan.n);
      if (act < 0 || bl == null || inputs.preluActivationWeights != null) return original(args);
      biasLen = bl;
    }
    const backend = wasmBackend(args.backend);
    const out = backend.makeOutput(plan.outShape, 'float32');
    count(fused ? '_FusedMatMul' : 'BatchMatMul');
    // Read the heap after allocating: a grown wasm memory replaces the buffer.
    const heap = backend.wasm.HEAPU8;
    const aOff = heapOffset(backend, inputs.a);
    const bOff = heapOffset(backend, inputs.b);
    const cOff = heapOffset(backend, out);
    const biasOff = biasLen > 0 ? heapOffset(backend, inputs.bias!) : -1;
    const alpha = attrs.leakyreluAlpha ?? 0;
    if (plan.pairs == null) {
      addon.sgemm(heap, aOff, bOff, cOff, plan.batch, plan.m, plan.n, plan.k, ta, tb, plan.strideA, plan.strideB, 1, 0, biasOff, biasLen, act, alpha);
    } else {
      const { m, n, k } = plan;
      plan.pairs.forEach(([ia, ib], i) => {
        addon.sgemm(heap, aOff + 4 * ia * m * k, bOff + 4 * ib * k * n, cOff + 4 * i * m * n, 1, m, n, k, ta, tb, 0, 0, 1, 0, biasOff, biasLen, act, alpha);
      });
    }
    return out;
  };
}

/** The addon's 15 geometry numbers: B,H,W,Ci,KH,KW,Co,OH,OW,sh,sw,dh,dw,padTop,padLeft. */
function geometry(ci: tf.backend_util.Conv2DInfo, outHeight = ci.outHeight, outWidth = ci.outWidth): number[] {
  return [
    ci.batchSize, ci.inHeight, ci.inWidth, ci.inChannels, ci.filterHeight, ci.filterWidth, ci.outChannels, outHeight, outWidth,
    ci.strideHeight, ci.strideWidth, ci.dilationHeight, ci.dilationWidth, ci.padInfo.top, ci.padInfo.left,
  ];
}

function convInfoOf(xShape: number[], filterShape: number[], a: ConvAttrs, dilations: Pair): tf.backend_util.Conv2DInfo | null {
  if (a.dataFormat != null && a.dataFormat !== 'NHWC' && a.dataFormat !== 'channelsLast') return null;
  if (xShape.length !== 4 || filterShape.length !== 4) return null;
  try {
    const ci = tf.backend_util.computeConv2DInfo(
      xShape as [number, number, number, number], filterShape as [number, number, number, number],
      a.strides, dilations, a.pad, a.dimRoundingMode, false, 'channelsLast',
    );
    if (ci.padInfo.top < 0 || ci.padInfo.left < 0) return null;
    return ci;
  } catch {
    return null;
  }
}

const convMacs = (ci: tf.backend_util.Conv2DInfo, oh = ci.outHeight, ow = ci.outWidth) =>
  ci.batchSize * oh * ow * ci.outChannels * ci.filterHeight * ci.filterWidth * ci.inChannels;

/**
 * Whether a gradient kernel's dy fits the geometry, with the output size taken from dy itself (tfjs's
 * gradient does not pass the forward's rounding mode on), and the product is worth the addon.
 */
function gradientFits(ci: tf.backend_util.Conv2DInfo, dy: tf.TensorInfo): boolean {
  if (dy.shape.length !== 4 || dy.shape[0] !== ci.batchSize || dy.shape[3] !== ci.outChannels) return false;
  return convMacs(ci, dy.shape[1], dy.shape[2]) >= nativeKernelOptions.minMacs;
}

function makeConv2D(addon: NativeAddon, original: tf.KernelFunc, fused: boolean): tf.KernelFunc {
  return (args) => {
    if (!nativeKernelsEnabled()) return original(args);
    const { x, filter, bias, preluActivationWeights } = args.inputs as Record<string, tf.TensorInfo | undefined>;
    const a = convAttrs(args.attrs);
    if (x == null || filter == null || x.dtype !== 'float32' || filter.dtype !== 'float32') return original(args);
    const ci = convInfoOf(x.shape, filter.shape, a, a.dilations);
    if (ci == null || convMacs(ci) < nativeKernelOptions.minMacs || size(ci.outShape) === 0) return original(args);
    let act = 0;
    let biasLen = 0;
    if (fused) {
      act = ACTIVATIONS[a.activation ?? 'linear'] ?? -1;
      const bl = biasLength(bias, ci.outChannels);
      if (act < 0 || bl == null || preluActivationWeights != null) return original(args);
      biasLen = bl;
    }
    const backend = wasmBackend(args.backend);
    const out = backend.makeOutput(ci.outShape as number[], 'float32');
    count(fused ? 'FusedConv2D' : 'Conv2D');
    addon.conv2d(
      backend.wasm.HEAPU8, heapOffset(backend, x), heapOffset(backend, filter), heapOffset(backend, out), ...geometry(ci),
      biasLen > 0 ? heapOffset(backend, bias!) : -1, biasLen, act, a.leakyreluAlpha ?? 0,
    );
    return out;
  };
}

function makeConv2DBackpropInput(addon: NativeAddon, original: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    if (!nativeKernelsEnabled()) return original(args);
    const { dy, filter } = args.inputs as Record<string, tf.TensorInfo | undefined>;
    const a = convAttrs(args.attrs);
    if (dy == null || filter == null || dy.dtype !== 'float32' || filter.dtype !== 'float32' || a.inputShape == null) return original(args);
    const ci = convInfoOf(a.inputShape, filter.shape, a, 1);
    if (ci == null || !gradientFits(ci, dy) || size(ci.inShape) === 0) return original(args);
    const backend = wasmBackend(args.backend);
    const out = backend.makeOutput(ci.inShape as number[], 'float32');
    count('Conv2DBackpropInput');
    addon.conv2dBackpropInput(
      backend.wasm.HEAPU8, heapOffset(backend, dy), heapOffset(backend, filter), heapOffset(backend, out), ...geometry(ci, dy.shape[1], dy.shape[2]),
    );
    return out;
  };
}

function makeConv2DBackpropFilter(addon: NativeAddon, original: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    if (!nativeKernelsEnabled()) return original(args);
    const { x, dy } = args.inputs as Record<string, tf.TensorInfo | undefined>;
    const a = convAttrs(args.attrs);
    if (x == null || dy == null || x.dtype !== 'float32' || dy.dtype !== 'float32' || a.filterShape == null) return original(args);
    const ci = convInfoOf(x.shape, a.filterShape, a, a.dilations);
    if (ci == null || !gradientFits(ci, dy) || size(a.filterShape) === 0) return original(args);
    const backend = wasmBackend(args.backend);
    const out = backend.makeOutput([...a.filterShape], 'float32');
    count('Conv2DBackpropFilter');
    addon.conv2dBackpropFilter(
      backend.wasm.HEAPU8, heapOffset(backend, x), heapOffset(backend, dy), heapOffset(backend, out), ...geometry(ci, dy.shape[1], dy.shape[2]),
    );
    return out;
  };
}

type Factory = (addon: NativeAddon, original: tf.KernelFunc) => tf.KernelFunc;

/**
 * The markers by which src/engine/wasm-matmul.ts and wasm-kernels.ts recognise their own replacements:
 * set on the native kernels (which wrap those replacements) so that re-running that registration
 * leaves the native kernels in place instead of wrapping or replacing them.
 */
const WASM_MARKERS: Record<string, [symbol, unknown]> = {
  BatchMatMul: [Symbol.for('mtljs.fastWasmMatMul'), true],
  _FusedMatMul: [Symbol.for('mtljs.fastWasmMatMul'), true],
  Conv2DBackpropInput: [Symbol.for('mtljs.replacedWasmKernel'), 'Conv2DBackpropInput'],
};

const KERNELS: ReadonlyArray<[string, Factory]> = [
  ['BatchMatMul', (addon, original) => makeMatMul(addon, original, false)],
  ['_FusedMatMul', (addon, original) => makeMatMul(addon, original, true)],
  ['Conv2D', (addon, original) => makeConv2D(addon, original, false)],
  ['FusedConv2D', (addon, original) => makeConv2D(addon, original, true)],
  ['Conv2DBackpropInput', makeConv2DBackpropInput],
  ['Conv2DBackpropFilter', makeConv2DBackpropFilter],
];

/**
 * Registers the native kernels over the wasm backend's (idempotent). Returns whether they are in
 * place. A kernel wasm lacks entirely is left alone (there is nothing to fall back to).
 */
export function registerNativeKernels(options: { log?: (msg: string) => void } = {}): boolean {
  if (tf.getKernel('BatchMatMul', 'wasm') == null) return false; // wasm not imported yet
  const addon = loadNativeAddon({ log: options.log });
  if (addon == null) return false;
  setNativeAddon(addon);
  for (const [name, make] of KERNELS) {
    const cfg = tf.getKernel(name, 'wasm');
    if (cfg == null || (cfg.kernelFunc as MarkedKernel)[NATIVE] === name) continue;
    const kernel: MarkedKernel = make(addon, cfg.kernelFunc);
    kernel[NATIVE] = name;
    const marker = WASM_MARKERS[name];
    if (marker) (kernel as unknown as Record<symbol, unknown>)[marker[0]] = marker[1];
    tf.unregisterKernel(name, 'wasm');
    // Keep the previous config's setupFunc/disposeFunc: wasm's own binds its C entry points there.
    tf.registerKernel({ ...cfg, kernelFunc: kernel });
  }
  registerNativeGruKernels(addon);
  registerNativeAttentionKernels(addon);
  registerNativeSoftmaxCrossEntropyKernels(addon);
  registerNativeLayerNormKernels(addon);
  registerNativeCnnBlockKernels(addon);
  return true;
}
