/**
 * Registers the training kernels the wasm backend lacks (DESIGN.md, "Engine"): the filter gradient of
 * conv2d, both gradients of depthwise conv2d, and UnsortedSegmentSum (the gradient of gather, hence of
 * embeddings); each only if wasm has no kernel of that name, so calling this twice is harmless. Also
 * installs the transpose-first BatchMatMul/_FusedMatMul wrappers (src/engine/wasm-matmul.ts), and
 * replaces built-in kernels that are much slower than a formulation on wasm's fast kernels
 * (Conv2DBackpropInput: a forward convolution on XNNPACK; MaxPoolGrad: a JS loop over the wasm heap;
 * GatherV2 of whole rows, i.e. embedding lookups: row copies on the heap; Identity: the buffer shared,
 * not copied).
 * Call after `@tensorflow/tfjs-backend-wasm` is imported (initBackend does).
 */
import { tf } from './tf.js';
import { conv2DBackpropFilterKernel } from './kernels/conv2d-backprop-filter.js';
import { conv2DBackpropInputKernel } from './kernels/conv2d-backprop-input.js';
import { makeMaxPoolGradKernel } from './kernels/max-pool-grad.js';
import { makeSharedIdentityKernel } from './kernels/identity.js';
import { makeGatherRowsKernel } from './kernels/gather-rows.js';
import { depthwiseBackpropFilterKernel } from './kernels/depthwise-backprop-filter.js';
import { depthwiseBackpropInputKernel } from './kernels/depthwise-backprop-input.js';
import { unsortedSegmentSumKernel } from './kernels/unsorted-segment-sum.js';
import { registerFastWasmMatMul } from './wasm-matmul.js';

const TRAINING_KERNELS: ReadonlyArray<[string, tf.KernelFunc]> = [
  ['Conv2DBackpropFilter', conv2DBackpropFilterKernel],
  ['DepthwiseConv2dNativeBackpropInput', depthwiseBackpropInputKernel],
  ['DepthwiseConv2dNativeBackpropFilter', depthwiseBackpropFilterKernel],
  ['UnsortedSegmentSum', unsortedSegmentSumKernel],
];

/**
 * Built-in wasm kernels replaced by faster ones: each factory gets the built-in's kernelFunc (for
 * inputs the replacement leaves to it); the built-in's setupFunc is kept, so its C binding still exists.
 */
const REPLACEMENTS: ReadonlyArray<[string, (original: tf.KernelFunc) => tf.KernelFunc]> = [
  ['Conv2DBackpropInput', () => conv2DBackpropInputKernel],
  ['MaxPoolGrad', (original) => makeMaxPoolGradKernel(original)],
  ['GatherV2', (original) => makeGatherRowsKernel(original)],
  ['Identity', (original) => makeSharedIdentityKernel(original)],
];

/** Marks a replacement so re-registration is idempotent, also across duplicate module instances. */
const REPLACED = Symbol.for('mtljs.replacedWasmKernel');
type MarkedKernel = tf.KernelFunc & { [REPLACED]?: string };

function replaceWasmKernel(kernelName: string, make: (original: tf.KernelFunc) => tf.KernelFunc): void {
  const cfg = tf.getKernel(kernelName, 'wasm');
  // Absent: wasm is not loaded yet (its own registration would then overwrite this one), so wait.
  if (cfg == null || (cfg.kernelFunc as MarkedKernel)[REPLACED] === kernelName) return;
  const fast = make(cfg.kernelFunc);
  const marked: MarkedKernel = (args) => fast(args);
  marked[REPLACED] = kernelName;
  tf.unregisterKernel(kernelName, 'wasm');
  tf.registerKernel({ ...cfg, kernelFunc: marked });
}

export function registerWasmTrainingKernels(): void {
  for (const [kernelName, kernelFunc] of REPLACEMENTS) replaceWasmKernel(kernelName, kernelFunc);
  for (const [kernelName, kernelFunc] of TRAINING_KERNELS) {
    if (tf.getKernel(kernelName, 'wasm') == null) {
      tf.registerKernel({ kernelName, backendName: 'wasm', kernelFunc });
    }
  }
  registerFastWasmMatMul();
}
