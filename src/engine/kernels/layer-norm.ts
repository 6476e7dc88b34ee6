/**
 * Layer normalisation over the last axis as one kernel forward and one backward:
 *   μ = mean(x),  σ² = mean((x − μ)²),  r = 1/√(σ² + ε),  x̂ = (x − μ)·r,  y = x̂ ⊙ γ + β
 *   dx = r · (ĝ − mean(ĝ) − x̂ · mean(ĝ ⊙ x̂)),  ĝ = dy ⊙ γ;   dγ = Σ_rows dy ⊙ x̂,  dβ = Σ_rows dy
 * Composed from tf ops (moments, sub, rsqrt, mul, add, and their gradients with broadcasting sums)
 * the same is ~10 kernels forward and ~25 backward per layer. Row statistics in float64.
 *
 *   layerNorm(x [..., D], gamma [D], beta [D], epsilon) → y [..., D]
 *
 * Kernels `MtlLayerNorm` (outputs y and, for the gradient, μ and r per row) and `MtlLayerNormGrad`, in
 * JavaScript for cpu and wasm (on the wasm heap in place; native on wasm: src/engine/native/layer-norm.ts);
 * other backends, and a gradient of a gradient,
 * compose tf ops (src/engine/kernels/fused-kernels.ts).
 */
import { tf } from '../tf.js';
import { floatIO } from './float-io.js';
import { fusedKernelUsable, registerFusedKernels } from './fused-kernels.js';

export const LAYER_NORM = 'MtlLayerNorm';
export const LAYER_NORM_GRAD = 'MtlLayerNormGrad';

function dims(x: { shape: number[] }, gamma: { shape: number[] }): { rows: number; D: number } {
  const D = x.shape[x.shape.length - 1]!;
  if (x.shape.length < 1 || gamma.shape.length !== 1 || gamma.shape[0] !== D) {
    throw new Error(`layerNorm: gamma and beta must be [${D}] for x [${x.shape}], got [${gamma.shape}]`);
  }
  return { rows: x.shape.reduce((p, d) => p * d, 1) / Math.max(D, 1), D };
}

export function layerNormArrays(
  x: Float32Array, gamma: Float32Array, beta: Float32Array, rows: number, D: number, eps: number, y: Float32Array, mean: Float32Array, rstd: Float32Array,
): void {
  for (let n = 0; n < rows; n++) {
    const o = n * D;
    let s = 0;
    for (let j = 0; j < D; j++) s += x[o + j]!;
    const mu = Math.fround(s / D);
    let v = 0;
    for (let j = 0; j < D; j++) {
      const d = x[o + j]! - mu;
      v += d * d;
    }
    const r = Math.fround(1 / Math.sqrt(Math.fround(v / D) + eps));
    mean[n] = mu;
    rstd[n] = r;
    for (let j = 0; j < D; j++) y[o + j] = (x[o + j]! - mu) * r * gamma[j]! + beta[j]!;
  }
}

export function layerNormGradArrays(
  dy: Float32Array, x: Float32Array, gamma: Float32Array, mean: Float32Array, rstd: Float32Array, rows: number, D: number,
  dx: Float32Array, dgamma: Float32Array, dbeta: Float32Array,
): void {
  const dg = new Float64Array(D), db = new Float64Array(D);
  for (let n = 0; n < rows; n++) {
    const o = n * D, mu = mean[n]!, r = rstd[n]!;
    let sg = 0, sgx = 0;
    for (let j = 0; j < D; j++) {
      const xh = (x[o + j]! - mu) * r;
      const g = dy[o + j]! * gamma[j]!;
      sg += g;
      sgx += g * xh;
      dg[j] += dy[o + j]! * xh;
      db[j] += dy[o + j]!;
    }
    sg /= D;
    sgx /= D;
    for (let j = 0; j < D; j++) {
      const xh = (x[o + j]! - mu) * r;
      dx[o + j] = r * (dy[o + j]! * gamma[j]! - sg - xh * sgx);
    }
  }
  dgamma.set(dg);
  dbeta.set(db);
}

const epsOf = (attrs: tf.NamedAttrMap | undefined): number => Number((attrs ?? {}).epsilon);

const forwardKernel: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const { x, gamma, beta } = inputs as Record<string, tf.TensorInfo>;
  const { rows, D } = dims(x!, gamma!);
  const io = floatIO(backend, [x, gamma, beta], [x!.shape, [rows], [rows]], LAYER_NORM, false);
  const { inputs: [xa, g, b], outputs: [y, mean, rstd] } = io.arrays();
  layerNormArrays(xa!, g!, b!, rows, D, epsOf(attrs), y!, mean!, rstd!);
  return io.finish();
};

const backwardKernel: tf.KernelFunc = ({ inputs, backend }) => {
  const { dy, x, gamma, mean, rstd } = inputs as Record<string, tf.TensorInfo>;
  const { rows, D } = dims(x!, gamma!);
  const io = floatIO(backend, [dy, x, gamma, mean, rstd], [x!.shape, [D], [D]], LAYER_NORM_GRAD, false);
  const { inputs: [g, xa, ga, m, r], outputs: [dx, dgamma, dbeta] } = io.arrays();
  layerNormGradArrays(g!, xa!, ga!, m!, r!, rows, D, dx!, dgamma!, dbeta!);
  return io.finish();
};

/** The JavaScript kernels (src/engine/native/layer-norm.ts wraps them as its fallback). */
export const layerNormKernels = { forward: forwardKernel, backward: backwardKernel };

registerFusedKernels({
  forward: [LAYER_NORM, forwardKernel],
  backward: [LAYER_NORM_GRAD, backwardKernel],
  gradient: {
    inputsToSave: ['x', 'gamma'],
    outputsToSave: [false, true, true],
    gradFunc: (dy, saved) => {
      const [x, gamma, mean, rstd] = saved as tf.Tensor[];
      const dys = (Array.isArray(dy) ? dy : [dy]) as Array<tf.Tensor | null>;
      const g = dys[0] ?? tf.zerosLike(x!);
      const [dx, dgamma, dbeta] = tf.engine().runKernel(
        LAYER_NORM_GRAD, { dy: g, x: x!, gamma: gamma!, mean: mean!, rstd: rstd! } as unknown as tf.NamedTensorMap,
      ) as tf.Tensor[];
      return { x: () => dx!, gamma: () => dgamma!, beta: () => dbeta! };
    },
  },
});

/** y = layer norm of x over its last axis (see the file header). */
export function layerNorm(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, epsilon: number): tf.Tensor {
  dims(x, gamma);
  if (fusedKernelUsable(LAYER_NORM, LAYER_NORM_GRAD)) {
    const [y, mean, rstd] = tf.engine().runKernel(LAYER_NORM, { x, gamma, beta } as unknown as tf.NamedTensorMap, { epsilon } as unknown as tf.NamedAttrMap) as tf.Tensor[];
    tf.dispose([mean!, rstd!]); // the tape keeps its own copies for the gradient
    return y!;
  }
  return tf.tidy(() => {
    const { mean, variance } = tf.moments(x, -1, true);
    const normed = tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, epsilon)));
    return tf.add(tf.mul(normed, gamma), beta);
  });
}
