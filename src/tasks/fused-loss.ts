/**
 * Task losses as one op each: the masked mean loss of a batch and its gradient computed in one pass
 * over the values in JavaScript (float64, rounded once), instead of the 15–40 small tfjs kernels (and
 * their gradients) that the loss written with tf ops runs: at ~8 µs of dispatch per kernel, these were
 * a large share of a small model's step. The logits are read back once (a copy of B × outputs floats);
 * the gradient is made from values kept in the op's closure, so nothing is saved on the tape.
 *
 * Each loss keeps its tf-ops form (the `…Ops` functions of the task files), which is used
 *  - on backends without cheap synchronous reads (webgl, webgpu: reading would stall the device), and
 *  - inside a nested gradient computation (a gradient of a gradient), where this op's gradient,
 *    computed from values, could not be differentiated again;
 * test/tasks/fused-loss.test.ts checks every kernel here against its tf-ops form (values and gradients).
 * The kernels follow the tf-ops forms' edge cases: a masked entry contributes m·ℓ (so a NaN or
 * infinite loss still shows), the mean is over max(Σ m, 1), out-of-range class labels pick no class.
 */
import { tf, type Tensor } from '../engine/tf.js';
import { gradientDepth, runCompositeOp } from '../engine/tfjs-internals.js';

type Values = ArrayLike<number>;

/** A loss over flat row-major values: its value, and its gradient w.r.t. the logits times `scale`. */
export interface LossKernel {
  (z: Float32Array, y: Values, m: Values): { loss: number; grad: (scale: number) => Float32Array };
}

/** Backends whose dataSync is a plain memory read. */
const SYNC_BACKENDS = new Set(['wasm', 'cpu', 'tensorflow']);

/** Whether the fused form may run now (see the header). */
export function fusedLossUsable(): boolean {
  return SYNC_BACKENDS.has(tf.getBackend()) && gradientDepth() <= 1;
}

function fusedLoss_(logits: Tensor, labels: Tensor, mask: Tensor, kernel: LossKernel): Tensor {
  let grad: ((scale: number) => Float32Array) | undefined;
  return runCompositeOp(
    { logits, labels, mask },
    () => {
      const z = (logits.dtype === 'float32' ? logits.dataSync() : Float32Array.from(logits.dataSync())) as Float32Array;
      const r = kernel(z, labels.dataSync() as Values, mask.dataSync() as Values);
      grad = r.grad;
      return tf.scalar(r.loss);
    },
    (dy) => ({
      logits: () => tf.tensor(grad!(dy.dataSync()[0]!), logits.shape, 'float32'),
      labels: () => tf.zerosLike(labels),
      mask: () => tf.zerosLike(mask),
    }),
  );
}

/** A scalar loss of logits against labels and mask (their shapes as the task's loss takes them), computed by `kernel`. */
export const fusedLoss = tf.op({ mtlLoss_: fusedLoss_ });

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));
/** tfjs's abs gradient, step(d, −1): 1 for d > 0, −1 otherwise (NaN stays NaN). */
const absGrad = (d: number) => (d > 0 ? 1 : Number.isNaN(d) ? NaN : -1);

/**
 * Softmax cross-entropy over rows of K logits (multiclass: one row per sample; sequence: one per
 * token), labels one class index per row (truncated as tf.cast to int32 does), mask one weight per row.
 */
export function softmaxCrossEntropyKernel(K: number): LossKernel {
  return (z, y, m) => {
    const R = m.length;
    if (z.length !== R * K || y.length !== R) throw new Error(`softmax cross-entropy: ${z.length} logits, ${y.length} labels and ${R} mask values for ${K} classes`);
    const lse = new Float64Array(R);
    const cls = new Int32Array(R);
    let total = 0;
    let count = 0;
    for (let r = 0; r < R; r++) {
      const o = r * K;
      let max = -Infinity;
      for (let k = 0; k < K; k++) max = Math.max(max, z[o + k]!);
      let s = 0;
      for (let k = 0; k < K; k++) s += Math.exp(z[o + k]! - max);
      const l = max + Math.log(s);
      lse[r] = l;
      const c = Math.trunc(y[r]!);
      cls[r] = c >= 0 && c < K ? c : -1;
      const nll = cls[r]! >= 0 ? l - z[o + cls[r]!]! : 0;
      total += m[r]! * nll;
      count += m[r]!;
    }
    const denom = Math.max(count, 1);
    return {
      loss: total / denom,
      grad(scale) {
        const g = new Float32Array(R * K);
        for (let r = 0; r < R; r++) {
          const w = (m[r]! * scale) / denom;
          const o = r * K;
          const hot = cls[r]! >= 0 ? 1 : 0;
          for (let k = 0; k < K; k++) g[o + k] = w * (Math.exp(z[o + k]! - lse[r]!) * hot - (k === cls[r] ? 1 : 0));
        }
        return g;
      },
    };
  };
}

/** Sigmoid cross-entropy per entry, max(x, 0) − x·t + log(1 + e^(−|x|)) (binary, multilabel): labels and mask per entry. */
export const sigmoidCrossEntropyKernel: LossKernel = (z, y, m) => {
  const n = z.length;
  if (y.length !== n || m.length !== n) throw new Error(`sigmoid cross-entropy: ${n} logits, ${y.length} labels, ${m.length} mask values`);
  let total = 0;
  let count = 0;
  for (let i = 0; i < n; i++) {
    const x = z[i]!;
    total += m[i]! * (Math.max(x, 0) - x * y[i]! + Math.log1p(Math.exp(-Math.abs(x))));
    count += m[i]!;
  }
  const denom = Math.max(count, 1);
  return {
    loss: total / denom,
    grad(scale) {
      const g = new Float32Array(n);
      for (let i = 0; i < n; i++) g[i] = ((m[i]! * scale) / denom) * (sigmoid(z[i]!) - y[i]!);
      return g;
    },
  };
};

/**
 * Regression on standardised targets, t = (y − mean_j) / std_j per output j (computed in float32 as
 * the tf-ops form does), squared error or absolute error per entry.
 */
export function regressionKernel(mean: readonly number[], std: readonly number[], kind: 'mse' | 'l1'): LossKernel {
  const W = mean.length;
  const mu = mean.map(Math.fround);
  const sd = std.map(Math.fround);
  return (z, y, m) => {
    const n = z.length;
    if (y.length !== n || m.length !== n || n % W !== 0) throw new Error(`regression loss: ${n} outputs, ${y.length} labels, ${m.length} mask values for width ${W}`);
    const d = new Float64Array(n);
    let total = 0;
    let count = 0;
    for (let i = 0; i < n; i++) {
      const j = i % W;
      const t = Math.fround(Math.fround(y[i]! - mu[j]!) / sd[j]!);
      const e = Math.fround(z[i]! - t);
      d[i] = e;
      total += m[i]! * (kind === 'l1' ? Math.abs(e) : e * e);
      count += m[i]!;
    }
    const denom = Math.max(count, 1);
    return {
      loss: total / denom,
      grad(scale) {
        const g = new Float32Array(n);
        for (let i = 0; i < n; i++) g[i] = ((m[i]! * scale) / denom) * (kind === 'l1' ? absGrad(d[i]!) : 2 * d[i]!);
        return g;
      },
    };
  };
}

/**
 * Smooth-L1 (β) between sigmoid(logits) and box coordinates, rows of 4; a row counts only when all
 * four coordinates are labelled (the row mask is the minimum of its mask values), and the mean runs
 * over the coordinates of the labelled rows.
 */
export function boxKernel(beta: number): LossKernel {
  return (z, y, m) => {
    const n = z.length;
    if (y.length !== n || m.length !== n || n % 4 !== 0) throw new Error(`box loss: ${n} outputs, ${y.length} labels, ${m.length} mask values`);
    const rowMask = new Float64Array(n / 4);
    let total = 0;
    let count = 0;
    for (let b = 0; b < n / 4; b++) {
      const w = Math.min(m[4 * b]!, m[4 * b + 1]!, m[4 * b + 2]!, m[4 * b + 3]!);
      rowMask[b] = w;
      for (let j = 4 * b; j < 4 * b + 4; j++) {
        const a = Math.abs(sigmoid(z[j]!) - y[j]!);
        const mm = Math.min(a, beta);
        total += w * ((0.5 * mm * mm) / beta + (a - mm));
        count += w;
      }
    }
    const denom = Math.max(count, 1);
    return {
      loss: total / denom,
      grad(scale) {
        const g = new Float32Array(n);
        for (let i = 0; i < n; i++) {
          const p = sigmoid(z[i]!);
          const d = p - y[i]!;
          const a = Math.abs(d);
          const dA = a <= beta ? a / beta : 1;
          g[i] = ((rowMask[i >> 2]! * scale) / denom) * dA * absGrad(d) * p * (1 - p);
        }
        return g;
      },
    };
  };
}
