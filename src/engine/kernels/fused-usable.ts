/**
 * Whether mtljs's fused kernels (GRU sequence, attention, layer norm, softmax cross-entropy) may run
 * now: the active backend has the forward and the gradient kernel, and at most one gradient
 * computation is recording. Inside a gradient of a gradient the fused gradient kernels would be
 * recorded too, and they have no gradient of their own: the callers then compose tf ops instead.
 */
import { tf } from '../tf.js';
import { gradientDepth } from '../tfjs-internals.js';

export function fusedKernelUsable(forward: string, backward: string): boolean {
  const backend = tf.getBackend();
  return gradientDepth() <= 1 && tf.getKernel(forward, backend) != null && tf.getKernel(backward, backend) != null;
}
