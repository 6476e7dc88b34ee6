/**
 * Puts native versions of mtljs's own fused kernels (GRU sequence, attention: src/engine/kernels/)
 * over their JavaScript wasm kernels, once (a marker makes it idempotent). Each native kernel falls
 * back to the JavaScript one itself when the addon is switched off or the inputs do not fit.
 */
import { tf } from '../tf.js';

const NATIVE_CUSTOM = Symbol.for('mtljs.nativeCustomKernel');
type MarkedKernel = tf.KernelFunc & { [NATIVE_CUSTOM]?: true };

export function registerOverWasm(kernels: ReadonlyArray<[string, tf.KernelFunc]>): void {
  for (const [name, kernelFunc] of kernels) {
    const cfg = tf.getKernel(name, 'wasm');
    if (cfg != null && (cfg.kernelFunc as MarkedKernel)[NATIVE_CUSTOM]) continue;
    const kernel: MarkedKernel = (args) => kernelFunc(args);
    kernel[NATIVE_CUSTOM] = true;
    if (cfg != null) tf.unregisterKernel(name, 'wasm');
    tf.registerKernel({ kernelName: name, backendName: 'wasm', kernelFunc: kernel });
  }
}

/** Whether every input is present and float32 (what the native kernels take). */
export const allFloat32 = (ts: Array<tf.TensorInfo | undefined>): boolean => ts.every((t) => t != null && t.dtype === 'float32');
