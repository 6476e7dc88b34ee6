/**
 * Float32 inputs and outputs of the JavaScript kernels, without copies on the wasm backend: there the
 * arrays are views of the wasm heap (the backend's own buffers); on other backends (cpu) inputs are
 * read with readSync and outputs written once filled. Allocate every output first, then take the
 * views (`arrays()`): an allocation may grow the wasm heap and so replace the buffer under old views.
 */
import type { tf } from '../tf.js';
import { wasmBackend } from '../tfjs-internals.js';

const onWasmHeap = (backend: unknown): boolean => typeof (backend as { typedArrayFromHeap?: unknown }).typedArrayFromHeap === 'function';

export interface FloatIO {
  /** The outputs as TensorInfos (to return from the kernel, after `finish()`). */
  outputs: tf.TensorInfo[];
  /** Input arrays then output arrays, in the order given. */
  arrays(): { inputs: Float32Array[]; outputs: Float32Array[] };
  /** Writes the outputs to the backend (a no-op on wasm, where they were written in place). */
  finish(): tf.TensorInfo[];
}

/** `zero`: whether outputs start at 0 (false when the kernel writes every element). */
export function floatIO(backend: unknown, inputs: Array<tf.TensorInfo | undefined>, outputShapes: number[][], kernel: string, zero = true): FloatIO {
  inputs.forEach((t, i) => {
    if (t == null) throw new Error(`${kernel}: input ${i} is missing`);
    if (t.dtype !== 'float32') throw new Error(`${kernel}: inputs must be float32, got ${t.dtype}`);
  });
  const size = (s: number[]) => s.reduce((p, d) => p * d, 1);
  if (onWasmHeap(backend)) {
    const be = wasmBackend(backend);
    const outputs = outputShapes.map((s) => be.makeOutput(s, 'float32'));
    return {
      outputs,
      arrays: () => ({
        inputs: inputs.map((t) => be.typedArrayFromHeap(t!) as Float32Array),
        outputs: outputs.map((t) => {
          const v = be.typedArrayFromHeap(t) as Float32Array;
          return zero ? v.fill(0) : v;
        }),
      }),
      finish: () => outputs,
    };
  }
  const kb = backend as tf.KernelBackend;
  const values = outputShapes.map((s) => new Float32Array(size(s)));
  return {
    outputs: [],
    arrays: () => ({ inputs: inputs.map((t) => kb.readSync(t!.dataId) as Float32Array), outputs: values }),
    finish: () => values.map((v, i) => ({ dataId: kb.write(v, outputShapes[i]!, 'float32'), shape: outputShapes[i]!, dtype: 'float32' as const })),
  };
}
