/**
 * Softmax cross-entropy with integer labels, masked, as one kernel forward and one backward:
 *   nll_n = log Σ_k exp(z_nk) − z_n,y_n  = (m_n + log Σ_k exp(z_nk − m_n)) − z_n,y_n,   m_n = max_k z_nk
 *   ∂nll_n/∂z_nk = softmax(z_n)_k − [k = y_n]
 * for rows with mask_n ≠ 0 and a label y_n in {0, …, K−1}; other rows (padding, a missing label) give
 * 0 and no gradient, and are not computed at all — for tagged text most positions are padding (SNIPS:
 * 9 tokens of 35 on average). Composed from tf ops the same loss is oneHot, logSoftmax (max, sub, exp,
 * sum, log, sub), mul, sum and neg, each a kernel call forward and again backward over all N·K logits.
 *
 *   softmaxCrossEntropy(logits [N, K], labels [N] (floats holding integers), mask [N]) → nll [N]
 *
 * Sums run in float64 per row (exp(z − m) ≤ 1, so nothing overflows). Kernels `MtlSoftmaxCrossEntropy`
 * (outputs nll and, for the gradient, lse_n = log Σ_k exp(z_nk)) and `MtlSoftmaxCrossEntropyGrad` in JavaScript for the cpu and wasm backends (on the wasm heap in
 * place; native on wasm: src/engine/native/softmax-cross-entropy.ts); elsewhere (webgl, webgpu, or a
 * gradient of a gradient) `softmaxCrossEntropy` composes the tf ops above.
 */
import { tf } from '../tf.js';
import { floatIO } from './float-io.js';
import { fusedKernelUsable, registerFusedKernels } from './fused-kernels.js';

export const SOFTMAX_CE = 'MtlSoftmaxCrossEntropy';
export const SOFTMAX_CE_GRAD = 'MtlSoftmaxCrossEntropyGrad';

function dims(logits: { shape: number[] }, labels: { shape: number[] }, mask: { shape: number[] }): { N: number; K: number } {
  const [N, K] = logits.shape;
  if (logits.shape.length !== 2 || labels.shape.length !== 1 || labels.shape[0] !== N || mask.shape.length !== 1 || mask.shape[0] !== N) {
    throw new Error(`softmaxCrossEntropy: expected logits [N, K], labels [N] and mask [N], got [${logits.shape}], [${labels.shape}], [${mask.shape}]`);
  }
  return { N: N!, K: K! };
}

/** The label of row n if the row counts, else -1. */
const labelOf = (labels: Float32Array, mask: Float32Array, n: number, K: number): number => {
  const y = labels[n]!;
  return mask[n] !== 0 && Number.isInteger(y) && y >= 0 && y < K ? y : -1;
};

/** nll [N] and, for the gradient, each counted row's log Σ_k exp(z_nk) (lse [N]). */
export function softmaxCrossEntropyArrays(
  z: Float32Array, labels: Float32Array, mask: Float32Array, N: number, K: number, nll: Float32Array, lse: Float32Array,
): void {
  for (let n = 0; n < N; n++) {
    const y = labelOf(labels, mask, n, K);
    if (y < 0) {
      nll[n] = 0;
      lse[n] = 0;
      continue;
    }
    const row = n * K;
    let m = -Infinity;
    for (let k = 0; k < K; k++) if (z[row + k]! > m) m = z[row + k]!;
    let s = 0;
    for (let k = 0; k < K; k++) s += Math.exp(z[row + k]! - m);
    const l = m + Math.log(s);
    lse[n] = l;
    nll[n] = l - z[row + y]!;
  }
}

/** dz [N, K] = dy_n · (softmax(z_n) − onehot(y_n)) on counted rows, 0 elsewhere; softmax = exp(z − lse). */
export function softmaxCrossEntropyGradArrays(
  dy: Float32Array, z: Float32Array, labels: Float32Array, mask: Float32Array, lse: Float32Array, N: number, K: number, dz: Float32Array,
): void {
  for (let n = 0; n < N; n++) {
    const row = n * K;
    const y = labelOf(labels, mask, n, K);
    if (y < 0) {
      dz.fill(0, row, row + K);
      continue;
    }
    const g = dy[n]!, l = lse[n]!;
    for (let k = 0; k < K; k++) dz[row + k] = g * Math.exp(z[row + k]! - l);
    dz[row + y] -= g;
  }
}

const forwardKernel: tf.KernelFunc = ({ inputs, backend }) => {
  const { logits, labels, mask } = inputs as Record<string, tf.TensorInfo>;
  const { N, K } = dims(logits!, labels!, mask!);
  const io = floatIO(backend, [logits, labels, mask], [[N], [N]], SOFTMAX_CE, false);
  const { inputs: [z, y, m], outputs: [nll, lse] } = io.arrays();
  softmaxCrossEntropyArrays(z!, y!, m!, N, K, nll!, lse!);
  return io.finish();
};

const backwardKernel: tf.KernelFunc = ({ inputs, backend }) => {
  const { dy, logits, labels, mask, lse } = inputs as Record<string, tf.TensorInfo>;
  const { N, K } = dims(logits!, labels!, mask!);
  const io = floatIO(backend, [dy, logits, labels, mask, lse], [[N, K]], SOFTMAX_CE_GRAD, false);
  const { inputs: [g, z, y, m, l], outputs: [dz] } = io.arrays();
  softmaxCrossEntropyGradArrays(g!, z!, y!, m!, l!, N, K, dz!);
  return io.finish()[0]!;
};

/** The JavaScript kernels (native ones may wrap them as their fallback). */
export const softmaxCrossEntropyKernels = { forward: forwardKernel, backward: backwardKernel };

registerFusedKernels({
  forward: [SOFTMAX_CE, forwardKernel],
  backward: [SOFTMAX_CE_GRAD, backwardKernel],
  gradient: {
    inputsToSave: ['logits', 'labels', 'mask'],
    outputsToSave: [false, true],
    gradFunc: (dy, saved) => {
      const [logits, labels, mask, lse] = saved as tf.Tensor[];
      const dys = (Array.isArray(dy) ? dy : [dy]) as Array<tf.Tensor | null>;
      const g = dys[0] ?? tf.zerosLike(lse!);
      const dz = tf.engine().runKernel(SOFTMAX_CE_GRAD, { dy: g, logits: logits!, labels: labels!, mask: mask!, lse: lse! } as unknown as tf.NamedTensorMap) as tf.Tensor;
      return { logits: () => dz, labels: () => tf.zerosLike(labels!), mask: () => tf.zerosLike(mask!) };
    },
  },
});

/** nll [N] (see the file header); labels and mask are float32 [N]. */
export function softmaxCrossEntropy(logits: tf.Tensor, labels: tf.Tensor, mask: tf.Tensor): tf.Tensor1D {
  const { K } = dims(logits, labels, mask);
  if (fusedKernelUsable(SOFTMAX_CE, SOFTMAX_CE_GRAD)) {
    const [nll, lse] = tf.engine().runKernel(SOFTMAX_CE, { logits, labels, mask } as unknown as tf.NamedTensorMap) as tf.Tensor[];
    lse!.dispose(); // the tape keeps its own copy for the gradient
    return nll as tf.Tensor1D;
  }
  return tf.tidy(() => {
    // Composed (other backends): rows that do not count get label -1 → an all-zero one-hot → 0.
    const valid = tf.logicalAnd(tf.notEqual(mask, 0), tf.logicalAnd(tf.greaterEqual(labels, 0), tf.less(labels, K)));
    const y = tf.where(valid, tf.cast(labels, 'int32'), tf.fill(labels.shape, -1, 'int32'));
    return tf.neg(tf.sum(tf.mul(tf.oneHot(y as tf.Tensor1D, K), tf.logSoftmax(logits, -1)), -1)) as tf.Tensor1D;
  });
}
