/**
 * Fused Adam for the wasm backend: tfjs's AdamOptimizer.applyGradients runs ~12 kernels per variable
 * (mul, add, square, div, sqrt, ... and three assigns), each a pass over the parameter. With the
 * native addon loaded this replaces them by one pass (`adamUpdate`) that updates the parameter and
 * both moments in place on the wasm heap, with the same float32 operations in the same order, so the
 * results equal tfjs's bit for bit.
 *
 * Installed by patching `tf.AdamOptimizer.prototype.applyGradients` (the class tf.train.adam and
 * tfjs-layers' 'adam' construct). The original runs whenever the backend is not wasm or the native
 * kernels are switched off; per variable, tfjs's own op sequence runs when a tensor is not float32 or
 * not on the wasm heap, or when the parameter's or a moment's buffer is shared with another tensor
 * (refCount > 1: e.g. a clone taken earlier), which an in-place update would change too.
 */
import { tf } from '../tf.js';
import type { NativeAddon } from './build.js';
import type { WasmBackendLike } from './register.js';

const PATCHED = Symbol.for('mtljs.nativeAdam');

/** tfjs-core's NamedTensor (not re-exported at the top level). */
interface NamedTensor {
  name: string;
  tensor: tf.Tensor;
}

interface AdamInternals {
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  accBeta1: tf.Variable;
  accBeta2: tf.Variable;
  accumulatedFirstMoment: Array<{ originalName: string; variable: tf.Variable } | undefined>;
  accumulatedSecondMoment: Array<{ originalName: string; variable: tf.Variable } | undefined>;
  incrementIterations(): void;
}

type ApplyGradients = (this: tf.AdamOptimizer, variableGradients: tf.NamedTensorMap | NamedTensor[]) => void;

interface PatchState {
  original: ApplyGradients;
  addon: NativeAddon;
  isEnabled: () => boolean;
  count: (name: string) => void;
}

type PatchedProto = { applyGradients: ApplyGradients; [PATCHED]?: PatchState };

/** Offset of t's data on the wasm heap when t is float32 and there, else null. */
function offsetOf(backend: WasmBackendLike, t: tf.Tensor): number | null {
  if (t.dtype !== 'float32') return null;
  const d = backend.dataIdMap.get(t.dataId);
  return d == null ? null : d.memoryOffset;
}

function nativeApply(opt: AdamInternals, variableGradients: tf.NamedTensorMap | NamedTensor[], addon: NativeAddon, count: (name: string) => void): void {
  const backend = tf.backend() as unknown as WasmBackendLike;
  const varNames = Array.isArray(variableGradients) ? variableGradients.map((v) => v.name) : Object.keys(variableGradients);
  const b1 = opt.beta1;
  const b2 = opt.beta2;
  tf.tidy(() => {
    const oneMinusAccBeta1 = tf.sub(1, opt.accBeta1);
    const oneMinusAccBeta2 = tf.sub(1, opt.accBeta2);
    const omab1 = oneMinusAccBeta1.dataSync()[0];
    const omab2 = oneMinusAccBeta2.dataSync()[0];
    varNames.forEach((name, i) => {
      const value = tf.engine().registeredVariables[name];
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

      const pOff = offsetOf(backend, value);
      const gOff = offsetOf(backend, gradient);
      const mOff = offsetOf(backend, firstMoment);
      const vOff = offsetOf(backend, secondMoment);
      const exclusive = [value, firstMoment, secondMoment].every((t) => backend.refCount(t.dataId) === 1);
      if (pOff != null && gOff != null && mOff != null && vOff != null && exclusive && gradient.size === value.size) {
        count('adamUpdate');
        addon.adamUpdate(backend.wasm.HEAPU8, pOff, gOff, mOff, vOff, value.size, b1, 1 - b1, b2, 1 - b2, omab1, omab2, opt.epsilon, -opt.learningRate);
        return;
      }
      // tfjs's own sequence (adam_optimizer.ts).
      const newFirstMoment = tf.add(tf.mul(firstMoment, b1), tf.mul(gradient, 1 - b1));
      const newSecondMoment = tf.add(tf.mul(secondMoment, b2), tf.mul(tf.square(gradient), 1 - b2));
      const biasCorrectedFirstMoment = tf.div(newFirstMoment, oneMinusAccBeta1);
      const biasCorrectedSecondMoment = tf.div(newSecondMoment, oneMinusAccBeta2);
      firstMoment.assign(newFirstMoment);
      secondMoment.assign(newSecondMoment);
      const newValue = tf.add(tf.mul(tf.div(biasCorrectedFirstMoment, tf.add(tf.sqrt(biasCorrectedSecondMoment), opt.epsilon)), -opt.learningRate), value);
      value.assign(newValue);
    });
    opt.accBeta1.assign(tf.mul(opt.accBeta1, b1));
    opt.accBeta2.assign(tf.mul(opt.accBeta2, b2));
  });
  opt.incrementIterations();
}

/** Patches AdamOptimizer once; later calls only swap the addon and the switch. */
export function installNativeAdam(addon: NativeAddon, isEnabled: () => boolean, count: (name: string) => void = () => {}): void {
  const proto = tf.AdamOptimizer.prototype as unknown as PatchedProto;
  const state = proto[PATCHED];
  if (state) {
    state.addon = addon;
    state.isEnabled = isEnabled;
    state.count = count;
    return;
  }
  const patch: PatchState = { original: proto.applyGradients, addon, isEnabled, count };
  proto[PATCHED] = patch;
  proto.applyGradients = function (this: tf.AdamOptimizer, variableGradients: tf.NamedTensorMap | NamedTensor[]) {
    if (!patch.isEnabled() || tf.getBackend() !== 'wasm') return patch.original.call(this, variableGradients);
    nativeApply(this as unknown as AdamInternals, variableGradients, patch.addon, patch.count);
  };
}

/** Puts tfjs's own applyGradients back (for tests). */
export function uninstallNativeAdam(): void {
  const proto = tf.AdamOptimizer.prototype as unknown as PatchedProto;
  const state = proto[PATCHED];
  if (!state) return;
  proto.applyGradients = state.original;
  delete proto[PATCHED];
}
