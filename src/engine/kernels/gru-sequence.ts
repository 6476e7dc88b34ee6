/**
 * A whole bidirectional GRU sequence in one kernel call forward and one backward (the cuDNN idea):
 * tfjs-layers runs a GRU as T steps of ~15 small kernels each, forward and backward, and on CPU backends
 * each kernel costs ~8 µs of dispatch — more than the arithmetic of a 32-unit step.
 *
 * The recurrence is tfjs-layers' GRUCell (reset_after = false, Keras 2's original GRU), with the input
 * projection xp = x·W + b computed beforehand by one matMul over all steps (it has no recurrence):
 *   a_z = xp_z + h·U_z,  a_r = xp_r + h·U_r,  z = σ(a_z),  r = σ(a_r)         (σ: hard sigmoid or sigmoid)
 *   h̃  = tanh(xp_h + (r ⊙ h)·U_h)
 *   h'  = z ⊙ h + (1 − z) ⊙ h̃
 * with U = [U_z | U_r | U_h] ([units, 3·units], the recurrent kernel) and xp split the same way.
 * Masking as tfjs-layers' rnn(): at a step whose mask is 0 the state is carried over unchanged and the
 * output is that state. `reverse` runs the steps from the last to the first (a Bidirectional layer's
 * backward direction); outputs are always indexed by the original time step.
 *
 *   biGruSequence(xpForward, xpBackward [B, T, 3U], uForward, uBackward [U, 3U], mask [B, T] (1 token /
 *                 0 padding)) → hs [B, T, 2U] = [forward | backward] per step
 * Both directions write one output (each with a row stride of 2U), so no concat follows, nor a split of
 * its gradient. Kernels: `MtlGruSequence` (outputs hs and per direction a workspace [B, T, 3U] holding
 * a_z, a_r and h̃ per step, for the gradient) and `MtlGruSequenceGrad` (dxp and dU per direction from
 * dhs), registered here in plain JavaScript for the
 * cpu and wasm backends; src/engine/native/gru.ts replaces the wasm ones with the native addon's (AVX2,
 * threaded over the batch rows, which are independent). On other backends (webgl, webgpu) no kernel is
 * registered: `gruSequenceSupported()` is false and the layer composes the steps from tf ops instead, as
 * it does inside a gradient of a gradient (src/engine/kernels/fused-kernels.ts).
 *
 * Backward, per step in reverse order, with dh the gradient reaching h' (from the output and the next
 * step), at unmasked steps (a masked step passes dh to the previous state unchanged):
 *   dz = dh ⊙ (h − h̃),  dh̃ = dh ⊙ (1 − z),  da_h = dh̃ ⊙ (1 − h̃²)
 *   d(r⊙h) = da_h·U_hᵀ,  dr = d(r⊙h) ⊙ h,  da_z = dz ⊙ σ'(a_z),  da_r = dr ⊙ σ'(a_r)
 *   dh_prev = dh ⊙ z + d(r⊙h) ⊙ r + [da_z | da_r]·[U_z | U_r]ᵀ,   dxp = [da_z | da_r | da_h]
 *   dU_zr = Σ_steps hᵀ·[da_z | da_r],   dU_h = Σ_steps (r⊙h)ᵀ·da_h
 * Hard sigmoid (tfjs: clip(0.2·a + 0.5, 0, 1)) has σ' = 0.2 where 0 ≤ 0.2·a + 0.5 ≤ 1 (tfjs's clip
 * gradient includes both ends), else 0.
 */
import { tf } from '../tf.js';
import { floatIO } from './float-io.js';
import { fusedKernelUsable, registerFusedKernels } from './fused-kernels.js';

export const GRU_SEQUENCE = 'MtlGruSequence';
export const GRU_SEQUENCE_GRAD = 'MtlGruSequenceGrad';

export type GruRecurrentActivation = 'hardSigmoid' | 'sigmoid';

/** One direction's settings (the array functions). */
export interface GruSequenceAttrs {
  reverse: boolean;
  recurrentActivation: GruRecurrentActivation;
}

/** The geometry of one call, checked against the inputs' shapes. */
export interface GruDims {
  B: number;
  T: number;
  U: number;
}

export function gruDims(xp: { shape: number[] }, recurrentKernel: { shape: number[] }, mask: { shape: number[] }): GruDims {
  const [B, T, G] = xp.shape;
  const U = recurrentKernel.shape[0]!;
  if (xp.shape.length !== 3 || recurrentKernel.shape.length !== 2 || recurrentKernel.shape[1] !== 3 * U || G !== 3 * U) {
    throw new Error(`gruSequence: expected xp [B, T, 3U] and a recurrent kernel [U, 3U], got [${xp.shape}] and [${recurrentKernel.shape}]`);
  }
  if (mask.shape.length !== 2 || mask.shape[0] !== B || mask.shape[1] !== T) {
    throw new Error(`gruSequence: mask must be [${B}, ${T}], got [${mask.shape}]`);
  }
  return { B: B!, T: T!, U };
}

/** Activation codes shared with the native addon. */
export const GRU_ACTIVATION_CODE: Record<GruRecurrentActivation, number> = { hardSigmoid: 0, sigmoid: 1 };

function activation(name: GruRecurrentActivation): { f: (a: number) => number; df: (a: number) => number } {
  if (name === 'hardSigmoid') {
    // Math.fround: tfjs computes 0.2·a + 0.5 in float32.
    return {
      f: (a) => Math.min(1, Math.max(0, Math.fround(Math.fround(0.2 * a) + 0.5))),
      df: (a) => {
        const y = Math.fround(Math.fround(0.2 * a) + 0.5);
        return y >= 0 && y <= 1 ? 0.2 : 0;
      },
    };
  }
  return {
    f: (a) => 1 / (1 + Math.exp(-a)),
    df: (a) => {
      const s = 1 / (1 + Math.exp(-a));
      return s * (1 - s);
    },
  };
}

/** The forward pass on plain arrays (the JavaScript kernel; also the reference the native one is tested against). */
export function gruForwardArrays(
  xp: Float32Array, u: Float32Array, mask: Float32Array, dims: GruDims, attrs: GruSequenceAttrs, hs: Float32Array, ws: Float32Array, ld = dims.U,
): void {
  const { B, T, U } = dims;
  const G = 3 * U;
  const { f } = activation(attrs.recurrentActivation);
  const h = new Float32Array(U);
  const g = new Float32Array(G);
  const rh = new Float32Array(U);
  for (let b = 0; b < B; b++) {
    h.fill(0);
    for (let s = 0; s < T; s++) {
      const t = attrs.reverse ? T - 1 - s : s;
      const bt = b * T + t;
      if (mask[bt] === 0) {
        hs.set(h, bt * ld);
        continue;
      }
      // g[0:2U] = h·[U_z | U_r]
      g.fill(0, 0, 2 * U);
      for (let k = 0; k < U; k++) {
        const hk = h[k]!;
        if (hk === 0) continue;
        const row = k * G;
        for (let j = 0; j < 2 * U; j++) g[j] += hk * u[row + j]!;
      }
      const x = bt * G;
      for (let j = 0; j < U; j++) {
        const az = Math.fround(xp[x + j]! + g[j]!);
        const ar = Math.fround(xp[x + U + j]! + g[U + j]!);
        ws[x + j] = az;
        ws[x + U + j] = ar;
        rh[j] = f(ar) * h[j]!;
      }
      // g[2U:3U] = (r ⊙ h)·U_h
      g.fill(0, 2 * U, G);
      for (let k = 0; k < U; k++) {
        const v = rh[k]!;
        if (v === 0) continue;
        const row = k * G + 2 * U;
        for (let j = 0; j < U; j++) g[2 * U + j] += v * u[row + j]!;
      }
      for (let j = 0; j < U; j++) {
        const hh = Math.fround(Math.tanh(Math.fround(xp[x + 2 * U + j]! + g[2 * U + j]!)));
        ws[x + 2 * U + j] = hh;
        const z = Math.fround(f(ws[x + j]!));
        h[j] = Math.fround(Math.fround(z * h[j]!) + Math.fround(Math.fround(1 - z) * hh));
      }
      hs.set(h, bt * ld);
    }
  }
}

/** The backward pass on plain arrays: dxp [B, T, 3U] and dU [U, 3U] from dhs [B, T, U] (dxp must start at 0). */
export function gruBackwardArrays(
  u: Float32Array, mask: Float32Array, hs: Float32Array, ws: Float32Array, dhs: Float32Array, dims: GruDims, attrs: GruSequenceAttrs,
  dxp: Float32Array, duOut: Float32Array, ld = dims.U,
): void {
  const { B, T, U } = dims;
  const G = 3 * U;
  const { f, df } = activation(attrs.recurrentActivation);
  const du = new Float64Array(U * G);
  const dh = new Float64Array(U);
  const hp = new Float32Array(U);
  const drh = new Float64Array(U);
  for (let b = 0; b < B; b++) {
    dh.fill(0);
    for (let s = T - 1; s >= 0; s--) {
      const t = attrs.reverse ? T - 1 - s : s;
      const bt = b * T + t;
      for (let j = 0; j < U; j++) dh[j] += dhs[bt * ld + j]!;
      if (mask[bt] === 0) continue;
      if (s === 0) hp.fill(0);
      else {
        const at = (bt + (attrs.reverse ? 1 : -1)) * ld;
        hp.set(hs.subarray(at, at + U));
      }
      const x = bt * G;
      // da_h, and the gate terms that do not need U.
      for (let j = 0; j < U; j++) {
        const hh = ws[x + 2 * U + j]!;
        const z = f(ws[x + j]!);
        dxp[x + 2 * U + j] = dh[j]! * (1 - z) * (1 - hh * hh);
      }
      // d(r⊙h) = da_h·U_hᵀ
      for (let k = 0; k < U; k++) {
        let acc = 0;
        const row = k * G + 2 * U;
        for (let j = 0; j < U; j++) acc += dxp[x + 2 * U + j]! * u[row + j]!;
        drh[k] = acc;
      }
      for (let j = 0; j < U; j++) {
        const az = ws[x + j]!, ar = ws[x + U + j]!;
        const z = f(az), r = f(ar);
        dxp[x + j] = dh[j]! * (hp[j]! - ws[x + 2 * U + j]!) * df(az);
        dxp[x + U + j] = drh[j]! * hp[j]! * df(ar);
        // dU_h += (r⊙h)ᵀ·da_h ; dU_zr += hᵀ·[da_z | da_r] (after this loop)
        const rhj = r * hp[j]!;
        if (rhj !== 0) for (let i = 0; i < U; i++) du[j * G + 2 * U + i] += rhj * dxp[x + 2 * U + i]!;
        dh[j] = dh[j]! * z + drh[j]! * r;
      }
      for (let k = 0; k < U; k++) {
        const hk = hp[k]!;
        const row = k * G;
        let acc = 0;
        for (let j = 0; j < 2 * U; j++) {
          acc += dxp[x + j]! * u[row + j]!;
          if (hk !== 0) du[row + j] += hk * dxp[x + j]!;
        }
        dh[k] += acc;
      }
    }
  }
  duOut.set(du);
}

function activationOf(attrs: tf.NamedAttrMap | undefined): GruRecurrentActivation {
  const a = (attrs ?? {}) as { recurrentActivation?: GruRecurrentActivation };
  const recurrentActivation = a.recurrentActivation ?? 'hardSigmoid';
  if (recurrentActivation !== 'hardSigmoid' && recurrentActivation !== 'sigmoid') {
    throw new Error(`gruSequence: recurrentActivation must be hardSigmoid or sigmoid, got ${String(recurrentActivation)}`);
  }
  return recurrentActivation;
}

const forwardKernel: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const t = inputs as Record<string, tf.TensorInfo>;
  const dims = gruDims(t.xpForward!, t.uForward!, t.mask!);
  gruDims(t.xpBackward!, t.uBackward!, t.mask!);
  const { B, T, U } = dims;
  const io = floatIO(backend, [t.xpForward, t.uForward, t.xpBackward, t.uBackward, t.mask], [[B, T, 2 * U], [B, T, 3 * U], [B, T, 3 * U]], GRU_SEQUENCE);
  const { inputs: [xf, uf, xb, ub, m], outputs: [hs, wsf, wsb] } = io.arrays();
  const act = activationOf(attrs);
  gruForwardArrays(xf!, uf!, m!, dims, { reverse: false, recurrentActivation: act }, hs!, wsf!, 2 * U);
  gruForwardArrays(xb!, ub!, m!, dims, { reverse: true, recurrentActivation: act }, hs!.subarray(U), wsb!, 2 * U);
  return io.finish();
};

const backwardKernel: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const t = inputs as Record<string, tf.TensorInfo>;
  const dims = gruDims(t.wsForward!, t.uForward!, t.mask!);
  const { B, T, U } = dims;
  const io = floatIO(backend, [t.uForward, t.wsForward, t.uBackward, t.wsBackward, t.mask, t.hs, t.dhs],
    [[B, T, 3 * U], [B, T, 3 * U], [U, 3 * U], [U, 3 * U]], GRU_SEQUENCE_GRAD);
  const { inputs: [uf, wf, ub, wb, m, h, dh], outputs: [dxf, dxb, duf, dub] } = io.arrays();
  const act = activationOf(attrs);
  gruBackwardArrays(uf!, m!, h!, wf!, dh!, dims, { reverse: false, recurrentActivation: act }, dxf!, duf!, 2 * U);
  gruBackwardArrays(ub!, m!, h!.subarray(U), wb!, dh!.subarray(U), dims, { reverse: true, recurrentActivation: act }, dxb!, dub!, 2 * U);
  return io.finish();
};

/** The JavaScript kernels (the native ones, src/engine/native/gru.ts, wrap these as their fallback). */
export const gruSequenceKernels = { forward: forwardKernel, backward: backwardKernel };

registerFusedKernels({
  forward: [GRU_SEQUENCE, forwardKernel],
  backward: [GRU_SEQUENCE_GRAD, backwardKernel],
  gradient: {
    inputsToSave: ['uForward', 'uBackward', 'mask'],
    outputsToSave: [true, true, true],
    gradFunc: (dy, saved, attrs) => {
      const [uForward, uBackward, mask, hs, wsForward, wsBackward] = saved as tf.Tensor[];
      const dys = (Array.isArray(dy) ? dy : [dy]) as Array<tf.Tensor | null>;
      const dhs = dys[0] ?? tf.zerosLike(hs!);
      const [dxf, dxb, duf, dub] = tf.engine().runKernel(
        GRU_SEQUENCE_GRAD,
        { dhs, uForward: uForward!, uBackward: uBackward!, mask: mask!, hs: hs!, wsForward: wsForward!, wsBackward: wsBackward! } as unknown as tf.NamedTensorMap,
        attrs as unknown as tf.NamedAttrMap,
      ) as tf.Tensor[];
      return { xpForward: () => dxf!, xpBackward: () => dxb!, uForward: () => duf!, uBackward: () => dub!, mask: () => tf.zerosLike(mask!) };
    },
  },
});

/** Whether the fused kernels may run now (src/engine/kernels/fused-kernels.ts); else compose the steps from tf ops. */
export function gruSequenceSupported(): boolean {
  return fusedKernelUsable(GRU_SEQUENCE, GRU_SEQUENCE_GRAD);
}

/**
 * Both directions of a bidirectional GRU: hs [B, T, 2U] = [forward | backward] per step, from the input
 * projections xpForward, xpBackward [B, T, 3U] and the recurrent kernels [U, 3U] (see the file header).
 */
export function biGruSequence(
  xpForward: tf.Tensor, xpBackward: tf.Tensor, uForward: tf.Tensor, uBackward: tf.Tensor, mask: tf.Tensor, recurrentActivation: GruRecurrentActivation,
): tf.Tensor3D {
  gruDims(xpForward, uForward, mask);
  gruDims(xpBackward, uBackward, mask);
  const [hs, wsForward, wsBackward] = tf.engine().runKernel(
    GRU_SEQUENCE, { xpForward, xpBackward, uForward, uBackward, mask } as unknown as tf.NamedTensorMap, { recurrentActivation } as unknown as tf.NamedAttrMap,
  ) as tf.Tensor[];
  // The workspaces are only for the gradient, which keeps its own copies (the tape saves outputs by clone).
  tf.dispose([wsForward!, wsBackward!]);
  return hs as tf.Tensor3D;
}
