/**
 * Flattening gradients: a list of tensors ↔ one Float32Array row of the T×P matrix that gradient
 * aggregators work on. The order is the order of the variables given, fixed for a run.
 */
import { tf } from '../engine/tf.js';

export function flatten(tensors: tf.Tensor[]): Float32Array {
  const size = tensors.reduce((s, t) => s + t.size, 0);
  const out = new Float32Array(size);
  let offset = 0;
  for (const t of tensors) {
    out.set(t.dataSync() as Float32Array, offset);
    offset += t.size;
  }
  return out;
}

export function unflatten(vector: Float32Array, shapes: number[][]): tf.Tensor[] {
  const out: tf.Tensor[] = [];
  let offset = 0;
  for (const shape of shapes) {
    const size = shape.reduce((a, b) => a * b, 1);
    out.push(tf.tensor(vector.subarray(offset, offset + size), shape));
    offset += size;
  }
  if (offset !== vector.length) throw new Error(`unflatten: vector of ${vector.length} values for ${offset} parameters`);
  return out;
}
