/**
 * Fused Adam for the wasm backend: tfjs's AdamOptimizer.applyGradients runs ~12 kernels per variable
 * (mul, add, square, div, sqrt, ... and three assigns), each a pass over the parameter. With the
 * native addon loaded, FusedAdamOptimizer replaces them by one pass (`adamUpdate`) that updates the
 * parameter and both moments in place on the wasm heap, with the same float32 operations in the same
 * order, so the results equal tfjs's bit for bit.
 *
 * It is mtljs's own class, a subclass of tf.AdamOptimizer that src/train/optimizer.ts creates for the
 * trainer; tfjs's classes are left untouched (this used to be a patch of
 * `tf.AdamOptimizer.prototype.applyGradients`, which made every Adam in the process, a user's own
 * `tf.train.adam` included, silently run this kernel). Being a tf.AdamOptimizer, it keeps tfjs's state
 * layout, so getWeights/setWeights, serialisation (class name 'Adam'), dispose and checkpoints are
 * tfjs's own and unchanged.
 *
 * tfjs's own applyGradients (super) runs whenever the backend is not wasm or the native kernels are
 * not loaded or switched off (`setNativeKernelsEnabled(false)`), decided at each step; per variable,
 * tfjs's own op sequence runs when a tensor is not float32 or not on the wasm heap. A parameter or
 * moment whose buffer is shared with another tensor (refCount > 1: a clone — wasm's Identity shares
 * buffers, src/engine/kernels/identity.ts —, a reshape, the tensor it was made from), which an
 * in-place update would change too, is first given a private copy of its buffer (copy on write: the
 * other tensor keeps the old values, as after tfjs's own assign). Adam's private state and the wasm
 * heap are reached through src/engine/tfjs-internals.ts.
 */
import { tf } from '../tf.js';
import {
  adamInternals, registeredVariable, tensorFromTensorInfo, wasmBackend, wasmHeapOffsetOrNull, wasmValuesChangedInPlace, type AdamInternals, type WasmBackendInternals,
} from '../tfjs-internals.js';
import type { NativeAddon } from './build.js';
import { countNativeCall, nativeAddon, nativeKernelsEnabled } from './state.js';

type VariableGradients = Parameters<tf.AdamOptimizer['applyGradients']>[0];

/** Offset of t's data on the wasm heap when t is float32 and there, else null. */
function offsetOf(backend: WasmBackendInternals, t: tf.Tensor): number | null {
  if (t.dtype !== 'float32') return null;
  return wasmHeapOffsetOrNull(backend, t);
}

/**
 * Gives a float32 variable on the wasm heap a buffer of its own when its buffer is shared (refCount > 1):
 * a copy, assigned to the variable; the other holders keep the old buffer. Returns false when the
 * variable is not on the heap.
 */
function ownBuffer(backend: WasmBackendInternals, v: tf.Variable): boolean {
  if (offsetOf(backend, v) == null) return false;
  if (backend.refCount(v.dataId) <= 1) return true;
  const out = backend.makeOutput(v.shape.slice(), 'float32');
  // Views after the allocation, which may grow (and so replace) the heap's buffer.
  (backend.typedArrayFromHeap(out) as Float32Array).set(backend.typedArrayFromHeap(v) as Float32Array);
  const copy = tensorFromTensorInfo(out);
  v.assign(copy);
  copy.dispose();
  return backend.refCount(v.dataId) === 1;
}

/** One Adam step of every variable (tfjs's applyGradients, with the fused update where it applies); not the iteration count. */
function fusedApply(opt: AdamInternals, variableGradients: VariableGradients, addon: NativeAddon): void {
  const backend = wasmBackend(tf.backend());
  const varNames = Array.isArray(variableGradients) ? variableGradients.map((v) => v.name) : Object.keys(variableGradients);
  const b1 = opt.beta1;
  const b2 = opt.beta2;
  tf.tidy(() => {
    // The scalar arithmetic of tfjs's step (1 − β₁ᵗ, β₁ᵗ·β₁, …) in JavaScript, rounded to float32 after
    // each operation: a float32 operation's exact result rounded once, so the same bits, without a kernel.
    const f = Math.fround;
    const acc1 = opt.accBeta1.dataSync()[0]!;
    const acc2 = opt.accBeta2.dataSync()[0]!;
    const omab1 = f(1 - acc1);
    const omab2 = f(1 - acc2);
    let omabTensors: [tf.Tensor, tf.Tensor] | null = null;
    const oneMinusAccBetas = () => (omabTensors ??= [tf.scalar(omab1), tf.scalar(omab2)]);
    varNames.forEach((name, i) => {
      const value = registeredVariable(name);
      const trainable = false;
      if (opt.accumulatedFirstMoment[i] == null) {
        opt.accumulatedFirstMoment[i] = { originalName: `${name}/m`, variable: tf.tidy(() => tf.zerosLike(value).variable(trainable)) };
      }
      if (opt.accumulatedSecondMoment[i] == null) {
        opt.accumulatedSecondMoment[i] = { originalName: `${name}/v`, variable: tf.tidy(() => tf.zerosLike(value).variable(trainable)) };
      }
      const gradient = Array.isArray(variableGradients) ? variableGradients[i].tensor : variableGradients[name];
      if (gradient == null) return;
      const firstMoment = opt.accumulatedFirstMoment[i]!.variable;
      const secondMoment = opt.accumulatedSecondMoment[i]!.variable;

      const gOff = offsetOf(backend, gradient);
      const exclusive = gOff != null && gradient.size === value.size && [value, firstMoment, secondMoment].every((t) => ownBuffer(backend, t));
      // Offsets after ownBuffer, which may have moved a buffer (and grown the heap).
      const pOff = offsetOf(backend, value);
      const mOff = offsetOf(backend, firstMoment);
      const vOff = offsetOf(backend, secondMoment);
      if (pOff != null && gOff != null && mOff != null && vOff != null && exclusive) {
        countNativeCall('adamUpdate');
        addon.adamUpdate(backend.wasm.HEAPU8, pOff, gOff, mOff, vOff, value.size, b1, 1 - b1, b2, 1 - b2, omab1, omab2, opt.epsilon, -opt.learningRate);
        // The parameter keeps its tensor id: drop what XNNPACK cached of its old values.
        wasmValuesChangedInPlace(backend, value);
        return;
      }
      // tfjs's own sequence (adam_optimizer.ts).
      const newFirstMoment = tf.add(tf.mul(firstMoment, b1), tf.mul(gradient, 1 - b1));
      const newSecondMoment = tf.add(tf.mul(secondMoment, b2), tf.mul(tf.square(gradient), 1 - b2));
      const [oneMinusAccBeta1, oneMinusAccBeta2] = oneMinusAccBetas();
      const biasCorrectedFirstMoment = tf.div(newFirstMoment, oneMinusAccBeta1);
      const biasCorrectedSecondMoment = tf.div(newSecondMoment, oneMinusAccBeta2);
      firstMoment.assign(newFirstMoment);
      secondMoment.assign(newSecondMoment);
      const newValue = tf.add(tf.mul(tf.div(biasCorrectedFirstMoment, tf.add(tf.sqrt(biasCorrectedSecondMoment), opt.epsilon)), -opt.learningRate), value);
      value.assign(newValue);
    });
    opt.accBeta1.assign(tf.scalar(f(acc1 * f(b1))));
    opt.accBeta2.assign(tf.scalar(f(acc2 * f(b2))));
  });
}

/**
 * tf.AdamOptimizer with the native fused update on the wasm backend. Same constructor as
 * tf.AdamOptimizer, defaults as tf.train.adam (β₁ 0.9, β₂ 0.999, ε the backend's epsilon).
 */
export class FusedAdamOptimizer extends tf.AdamOptimizer {
  constructor(learningRate: number, beta1 = 0.9, beta2 = 0.999, epsilon?: number) {
    super(learningRate, beta1, beta2, epsilon);
  }

  /** Whether the next step would take the native path (addon loaded, switched on, wasm backend). */
  static nativeActive(): boolean {
    return nativeKernelsEnabled() && tf.getBackend() === 'wasm';
  }

  override applyGradients(variableGradients: VariableGradients): void {
    const addon = nativeAddon();
    if (addon == null || !FusedAdamOptimizer.nativeActive()) {
      super.applyGradients(variableGradients);
      return;
    }
    fusedApply(adamInternals(this), variableGradients, addon);
    this.incrementIterations();
  }
}

/** A FusedAdamOptimizer, with tf.train.adam's signature and defaults. */
export function fusedAdam(learningRate = 0.001, beta1 = 0.9, beta2 = 0.999, epsilon?: number): FusedAdamOptimizer {
  return new FusedAdamOptimizer(learningRate, beta1, beta2, epsilon);
}
