/**
 * UnsortedSegmentSum for the wasm backend (which has none, so gather/embedding gradients failed):
 *   out[s, ...] = sum_{i : segmentIds[i] = s} x[i, ...]   for s in [0, numSegments),
 * where segmentIds covers the leading dims of x (TensorFlow semantics; ids outside the range are
 * dropped). A scatter-add in JS, in place on the wasm heap (other backends: over the data read from
 * the backend): O(x.size), unlike a one-hot
 * matMul, which costs O(x.size * numSegments) and is prohibitive for embedding vocabularies.
 */
import { tf } from '../tf.js';
import { wasmBackend } from '../tfjs-internals.js';

export const unsortedSegmentSumKernel: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const x = inputs.x;
  const ids = inputs.segmentIds;
  if (x == null || ids == null) throw new Error('UnsortedSegmentSum needs inputs x and segmentIds');
  const numSegments = Number((attrs ?? {}).numSegments);
  const idRank = ids.shape.length;
  for (let i = 0; i < idRank; i++) {
    if (ids.shape[i] !== x.shape[i]) {
      throw new Error(`UnsortedSegmentSum: segmentIds shape [${ids.shape}] must prefix x shape [${x.shape}]`);
    }
  }
  const innerShape = x.shape.slice(idRank);
  const inner = innerShape.reduce((p, d) => p * d, 1);
  const dtype = x.dtype === 'float32' ? 'float32' : 'int32';
  const outShape = [numSegments, ...innerShape];
  if (isWasm(backend)) {
    // In place on the wasm heap: no copies of x, ids or the (vocabulary-sized) output through JS.
    const be = wasmBackend(backend);
    const out = be.makeOutput(outShape, dtype);
    const o = be.typedArrayFromHeap(out) as Float32Array | Int32Array;
    o.fill(0);
    scatterAdd(be.typedArrayFromHeap(x) as Float32Array | Int32Array, be.typedArrayFromHeap(ids) as Int32Array | Float32Array, o, numSegments, inner);
    return out;
  }
  const rb = backend as tf.KernelBackend;
  const out = dtype === 'float32' ? new Float32Array(numSegments * inner) : new Int32Array(numSegments * inner);
  scatterAdd(rb.readSync(x.dataId) as Float32Array | Int32Array, rb.readSync(ids.dataId) as Int32Array | Float32Array, out, numSegments, inner);
  return { dataId: rb.write(out, outShape, dtype), shape: outShape, dtype };
};

const isWasm = (backend: unknown): boolean => typeof (backend as { typedArrayFromHeap?: unknown }).typedArrayFromHeap === 'function';

function scatterAdd(xs: ArrayLike<number>, is: ArrayLike<number>, out: Float32Array | Int32Array, numSegments: number, inner: number): void {
  for (let i = 0; i < is.length; i++) {
    const s = is[i]!;
    if (!(s >= 0 && s < numSegments)) continue;
    const src = i * inner;
    const dst = s * inner;
    for (let j = 0; j < inner; j++) out[dst + j] += xs[src + j]!;
  }
}
