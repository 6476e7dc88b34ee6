/**
 * Registers the training kernels the wasm backend lacks (DESIGN.md, "Engine"): the filter gradient of
 * conv2d, both gradients of depthwise conv2d, and UnsortedSegmentSum (the gradient of gather, hence of
 * embeddings); each only if wasm has no kernel of that name, so calling this twice is harmless. Also
 * installs the transpose-first BatchMatMul/_FusedMatMul wrappers (src/engine/wasm-matmul.ts).
 * Call after `@tensorflow/tfjs-backend-wasm` is imported (initBackend does).
 */
import { tf } from './tf.js';
import { conv2DBackpropFilterKernel } from './kernels/conv2d-backprop-filter.js';
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

export function registerWasmTrainingKernels(): void {
  for (const [kernelName, kernelFunc] of TRAINING_KERNELS) {
    if (tf.getKernel(kernelName, 'wasm') == null) {
      tf.registerKernel({ kernelName, backendName: 'wasm', kernelFunc });
    }
  }
  registerFastWasmMatMul();
}
