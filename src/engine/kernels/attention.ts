/**
 * The core of multi-head scaled dot-product self-attention as one kernel forward and one backward:
 * for each sequence b and head h (columns h·d … h·d + d − 1 of D = H·d),
 *   S = Q_h K_hᵀ / √d,   P = softmax over the keys that are tokens (mask_bj ≠ 0),   O_h = P V_h
 * A row whose keys are all padding attends uniformly to all L keys — what softmax(S − 1e9 at padding)
 * gives in float32, the formulation this kernel replaces (src/models/text/layers.ts). Composed from tf
 * ops the same is ~12 kernels forward (head split transposes, a batched product per side, scale, mask
 * bias, softmax, head merge) and ~25 backward, mostly on tiny [B·H, L, L] tensors.
 *
 *   attentionCore(q, k, v [B, L, D], mask [B, L], heads) → o [B, L, D]
 *
 * Backward, with P saved from the forward pass (a second output [B, H, L, L]):
 *   dV_h = Pᵀ dO_h,  dP = dO_h V_hᵀ,  dS = P ⊙ (dP − rowsum(dP ⊙ P)),  dQ_h = dS K_h / √d,  dK_h = dSᵀ Q_h / √d
 * Kernels `MtlAttention` / `MtlAttentionGrad` in JavaScript for cpu and wasm (the wasm heap in place);
 * src/engine/native/attention.ts puts the native addon's over wasm's. Other backends, and a gradient of a
 * gradient, compose tf ops (src/engine/kernels/fused-kernels.ts).
 */
import { tf } from '../tf.js';
import { floatIO } from './float-io.js';
import { fusedKernelUsable, registerFusedKernels } from './fused-kernels.js';

export const ATTENTION = 'MtlAttention';
export const ATTENTION_GRAD = 'MtlAttentionGrad';

export interface AttentionDims {
  B: number;
  L: number;
  D: number;
  H: number;
}

export function attentionDims(q: { shape: number[] }, mask: { shape: number[] }, heads: number): AttentionDims {
  const [B, L, D] = q.shape as [number, number, number];
  if (q.shape.length !== 3 || !Number.isInteger(heads) || heads < 1 || D % heads !== 0) {
    throw new Error(`attention: expected q [B, L, D] with D divisible by ${heads} heads, got [${q.shape}]`);
  }
  if (mask.shape.length !== 2 || mask.shape[0] !== B || mask.shape[1] !== L) throw new Error(`attention: mask must be [${B}, ${L}], got [${mask.shape}]`);
  return { B, L, D, H: heads };
}

/** o [B, L, D] and p [B, H, L, L] from q, k, v, mask. */
export function attentionForwardArrays(q: Float32Array, k: Float32Array, v: Float32Array, mask: Float32Array, d: AttentionDims, o: Float32Array, p: Float32Array): void {
  const { B, L, D, H } = d;
  const dh = D / H, scale = 1 / Math.sqrt(dh);
  const s = new Float64Array(L);
  for (let b = 0; b < B; b++) {
    let anyKey = false;
    for (let j = 0; j < L; j++) if (mask[b * L + j] !== 0) anyKey = true;
    for (let h = 0; h < H; h++) {
      const c = h * dh;
      for (let i = 0; i < L; i++) {
        const qi = (b * L + i) * D + c;
        let max = -Infinity;
        for (let j = 0; j < L; j++) {
          if (anyKey && mask[b * L + j] === 0) { s[j] = -Infinity; continue; }
          const kj = (b * L + j) * D + c;
          let acc = 0;
          for (let t = 0; t < dh; t++) acc += q[qi + t]! * k[kj + t]!;
          s[j] = Math.fround(acc * scale);
          if (s[j]! > max) max = s[j]!;
        }
        let sum = 0;
        for (let j = 0; j < L; j++) {
          s[j] = anyKey ? Math.exp(s[j]! - max) : 1;
          sum += s[j]!;
        }
        const prow = ((b * H + h) * L + i) * L;
        const oi = (b * L + i) * D + c;
        for (let t = 0; t < dh; t++) o[oi + t] = 0;
        for (let j = 0; j < L; j++) {
          const pj = s[j]! / sum;
          p[prow + j] = pj;
          if (pj === 0) continue;
          const vj = (b * L + j) * D + c;
          for (let t = 0; t < dh; t++) o[oi + t] += pj * v[vj + t]!;
        }
      }
    }
  }
}

/** dq, dk, dv [B, L, D] (zero-filled on entry) from do [B, L, D] and the saved p. */
export function attentionBackwardArrays(
  dout: Float32Array, q: Float32Array, k: Float32Array, v: Float32Array, p: Float32Array, d: AttentionDims,
  dq: Float32Array, dk: Float32Array, dv: Float32Array,
): void {
  const { B, L, D, H } = d;
  const dh = D / H, scale = 1 / Math.sqrt(dh);
  const ds = new Float64Array(L);
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < H; h++) {
      const c = h * dh;
      for (let i = 0; i < L; i++) {
        const prow = ((b * H + h) * L + i) * L;
        const oi = (b * L + i) * D + c;
        let dot = 0;
        for (let j = 0; j < L; j++) {
          const pj = p[prow + j]!;
          if (pj === 0) { ds[j] = 0; continue; }
          const vj = (b * L + j) * D + c;
          let acc = 0;
          for (let t = 0; t < dh; t++) {
            acc += dout[oi + t]! * v[vj + t]!;
            dv[vj + t] += pj * dout[oi + t]!;
          }
          ds[j] = acc;
          dot += acc * pj;
        }
        for (let j = 0; j < L; j++) {
          const pj = p[prow + j]!;
          if (pj === 0) continue;
          const g = pj * (ds[j]! - dot) * scale;
          const kj = (b * L + j) * D + c;
          for (let t = 0; t < dh; t++) {
            dq[oi + t] += g * k[kj + t]!;
            dk[kj + t] += g * q[oi + t]!;
          }
        }
      }
    }
  }
}

const headsOf = (attrs: tf.NamedAttrMap | undefined): number => Number((attrs ?? {}).heads);

const forwardKernel: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const { q, k, v, mask } = inputs as Record<string, tf.TensorInfo>;
  const d = attentionDims(q!, mask!, headsOf(attrs));
  const io = floatIO(backend, [q, k, v, mask], [[d.B, d.L, d.D], [d.B, d.H, d.L, d.L]], ATTENTION, false);
  const { inputs: [qa, ka, va, ma], outputs: [o, p] } = io.arrays();
  attentionForwardArrays(qa!, ka!, va!, ma!, d, o!, p!);
  return io.finish();
};

const backwardKernel: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const { dy, q, k, v, mask, p } = inputs as Record<string, tf.TensorInfo>;
  const d = attentionDims(q!, mask!, headsOf(attrs));
  const io = floatIO(backend, [dy, q, k, v, p], [[d.B, d.L, d.D], [d.B, d.L, d.D], [d.B, d.L, d.D]], ATTENTION_GRAD);
  const { inputs: [g, qa, ka, va, pa], outputs: [dq, dk, dv] } = io.arrays();
  attentionBackwardArrays(g!, qa!, ka!, va!, pa!, d, dq!, dk!, dv!);
  return io.finish();
};

/** The JavaScript kernels (the native ones wrap them as their fallback). */
export const attentionKernels = { forward: forwardKernel, backward: backwardKernel };

registerFusedKernels({
  forward: [ATTENTION, forwardKernel],
  backward: [ATTENTION_GRAD, backwardKernel],
  gradient: {
    inputsToSave: ['q', 'k', 'v', 'mask'],
    outputsToSave: [false, true],
    gradFunc: (dy, saved, attrs) => {
      const [q, k, v, mask, p] = saved as tf.Tensor[];
      const dys = (Array.isArray(dy) ? dy : [dy]) as Array<tf.Tensor | null>;
      const g = dys[0] ?? tf.zerosLike(q!);
      const [dq, dk, dv] = tf.engine().runKernel(
        ATTENTION_GRAD, { dy: g, q: q!, k: k!, v: v!, mask: mask!, p: p! } as unknown as tf.NamedTensorMap, attrs as unknown as tf.NamedAttrMap,
      ) as tf.Tensor[];
      return { q: () => dq!, k: () => dk!, v: () => dv!, mask: () => tf.zerosLike(mask!) };
    },
  },
});

/** Whether the fused kernels may run now (src/engine/kernels/fused-kernels.ts); else compose tf ops. */
export function attentionSupported(): boolean {
  return fusedKernelUsable(ATTENTION, ATTENTION_GRAD);
}

/** o [B, L, D] (see the file header). */
export function attentionCore(q: tf.Tensor, k: tf.Tensor, v: tf.Tensor, mask: tf.Tensor, heads: number): tf.Tensor3D {
  attentionDims(q, mask, heads);
  const [o, p] = tf.engine().runKernel(ATTENTION, { q, k, v, mask } as unknown as tf.NamedTensorMap, { heads } as unknown as tf.NamedAttrMap) as tf.Tensor[];
  p!.dispose(); // the tape keeps its own copy for the gradient
  return o as tf.Tensor3D;
}
