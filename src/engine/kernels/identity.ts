/**
 * Identity (tf.clone) for the wasm backend without a copy: the output shares the input's buffer, with
 * one more reference on it, as wasm's own Reshape does and as the cpu and webgl backends' Identity do
 * (wasm's built-in copies the data). tfjs runs Identity for every tensor a gradient function saves
 * (engine.saveTensorsForBackwardMode clones it), so each recorded op copied its inputs and outputs:
 * 63 copies per step of the bench MLP, the batch and every activation among them.
 *
 * Tensors are immutable in tfjs, so sharing is invisible — except to code that writes a buffer in
 * place: mtljs's fused Adam (src/engine/native/adam.ts) gives a variable a private copy of its buffer
 * before updating it when the buffer is shared (a clone taken by early stopping, for instance).
 * Strings keep the built-in kernel.
 */
import type { tf } from '../tf.js';

export function makeSharedIdentityKernel(original: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const x = args.inputs.x;
    if (x == null || x.dtype === 'string') return original(args);
    (args.backend as tf.KernelBackend).incRef(x.dataId);
    return { dataId: x.dataId, shape: x.shape.slice(), dtype: x.dtype };
  };
}
