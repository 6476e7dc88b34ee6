/**
 * What mtljs's own fused kernels (GRU sequence, attention, layer norm, softmax cross-entropy) share:
 * their registration — a forward and a gradient kernel in JavaScript for the cpu and wasm backends
 * (src/engine/native/ puts native ones over wasm's) and the forward's gradient config — and the test
 * of whether they may run now: the active backend has both kernels, and at most one gradient
 * computation is recording. Inside a gradient of a gradient the gradient kernels would be recorded too,
 * and they have no gradient of their own: the callers then compose tf ops instead.
 */
import { tf } from '../tf.js';
import { gradientDepth } from '../tfjs-internals.js';

export function fusedKernelUsable(forward: string, backward: string): boolean {
  const backend = tf.getBackend();
  return gradientDepth() <= 1 && tf.getKernel(forward, backend) != null && tf.getKernel(backward, backend) != null;
}

export interface FusedKernelPair {
  forward: [name: string, kernel: tf.KernelFunc];
  backward: [name: string, kernel: tf.KernelFunc];
  /** The forward kernel's gradient (kernelName is the forward's). */
  gradient: Omit<tf.GradConfig, 'kernelName'>;
}

const JS_BACKENDS = ['cpu', 'wasm'];

/** Registers the pair on cpu and wasm (where not registered yet) and the forward's gradient; idempotent. */
export function registerFusedKernels(pair: FusedKernelPair): void {
  for (const backendName of JS_BACKENDS) {
    for (const [kernelName, kernelFunc] of [pair.forward, pair.backward]) {
      if (tf.getKernel(kernelName, backendName) == null) tf.registerKernel({ kernelName, backendName, kernelFunc });
    }
  }
  if (tf.getGradient(pair.forward[0]) == null) tf.registerGradient({ ...pair.gradient, kernelName: pair.forward[0] });
}
