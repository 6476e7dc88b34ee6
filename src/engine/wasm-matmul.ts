/**
 * Speed remedy for the wasm backend's matrix products (DESIGN.md, "Engine"): its BatchMatMul and
 * _FusedMatMul with transposeA/transposeB fall back to a slow loop (~2 GFLOP/s, about 13x slower than
 * the plain XNNPACK path), and every backward pass of a dense layer asks for a transposed product.
 * The kernels are re-registered so that a transposed operand is first materialised by the wasm
 * Transpose kernel (last two axes swapped) and the original kernel computes the plain product, or, when
 * that copies fewer elements, the transposed product C^T = op(B)^T op(A)^T is computed plainly and
 * transposed back; temporaries are freed right after. Works at the backend level (TensorInfos, no
 * engine bookkeeping).
 */
import { tf } from './tf.js';

/** Marks a wrapper so re-registration is idempotent, also across duplicate module instances. */
const FAST = Symbol.for('mtljs.fastWasmMatMul');
type MarkedKernel = tf.KernelFunc & { [FAST]?: true };

/** Swaps the last two axes of `x` with the backend's Transpose kernel; returns a new TensorInfo. */
function transposeLastTwo(transpose: tf.KernelFunc, x: tf.TensorInfo, backend: {}): tf.TensorInfo {
  const rank = x.shape.length;
  const perm = [...Array(rank).keys()];
  perm[rank - 2] = rank - 1;
  perm[rank - 1] = rank - 2;
  return transpose({ inputs: { x }, backend, attrs: { perm } }) as tf.TensorInfo;
}

const size = (t: tf.TensorInfo) => t.shape.reduce((p, d) => p * d, 1);
const batchSize = (t: tf.TensorInfo) => t.shape.slice(0, -2).reduce((p, d) => p * d, 1);

/**
 * Elements copied by each way of reaching plain products, for C = op(A) op(B) ([.., m, n]):
 * direct transposes the flagged operands; swapped computes C^T = op(B)^T op(A)^T, transposing the
 * unflagged operands and the result. Swapped wins for skinny products (e.g. a 1 x k row times a
 * transposed n x k weight: transposing the weight costs as much as the product itself).
 */
function preferSwapped(a: tf.TensorInfo, b: tf.TensorInfo, ta: boolean, tb: boolean): boolean {
  const m = a.shape[a.shape.length - (ta ? 1 : 2)];
  const n = b.shape[b.shape.length - (tb ? 2 : 1)];
  const batch = Math.max(batchSize(a), batchSize(b)); // an estimate when both broadcast
  const direct = (ta ? size(a) : 0) + (tb ? size(b) : 0);
  const swapped = (ta ? 0 : size(a)) + (tb ? 0 : size(b)) + batch * m * n;
  return swapped < direct;
}

function wrap(original: tf.KernelFunc, transpose: tf.KernelFunc, allowSwap: (inputs: tf.NamedTensorInfoMap) => boolean): tf.KernelFunc {
  const fast: MarkedKernel = (args) => {
    const attrs = args.attrs ?? {};
    const ta = attrs.transposeA === true;
    const tb = attrs.transposeB === true;
    const { a, b } = args.inputs;
    if ((!ta && !tb) || a == null || b == null || a.shape.length < 2 || b.shape.length < 2) {
      return original(args);
    }
    const { backend } = args;
    const plainAttrs = { ...attrs, transposeA: false, transposeB: false };
    const temps: tf.TensorInfo[] = [];
    const flip = (x: tf.TensorInfo) => {
      const t = transposeLastTwo(transpose, x, backend);
      temps.push(t);
      return t;
    };
    try {
      if (allowSwap(args.inputs) && preferSwapped(a, b, ta, tb)) {
        const left = tb ? b : flip(b);
        const right = ta ? a : flip(a);
        const ct = original({ inputs: { ...args.inputs, a: left, b: right }, backend, attrs: plainAttrs }) as tf.TensorInfo;
        temps.push(ct);
        return transposeLastTwo(transpose, ct, backend);
      }
      const a2 = ta ? flip(a) : a;
      const b2 = tb ? flip(b) : b;
      return original({ inputs: { ...args.inputs, a: a2, b: b2 }, backend, attrs: plainAttrs });
    } finally {
      for (const t of temps) (backend as tf.KernelBackend).disposeData(t.dataId);
    }
  };
  fast[FAST] = true;
  return fast;
}

/**
 * Re-registers wasm `BatchMatMul` and `_FusedMatMul` with the transpose-first wrappers (keeping the
 * original setup/dispose functions, which bind the C entry points). A no-op for kernels that are
 * missing (wasm not loaded) or already wrapped.
 */
export function registerFastWasmMatMul(): void {
  const transposeCfg = tf.getKernel('Transpose', 'wasm');
  if (transposeCfg == null) return;
  for (const name of ['BatchMatMul', '_FusedMatMul']) {
    const cfg = tf.getKernel(name, 'wasm');
    if (cfg == null || (cfg.kernelFunc as MarkedKernel)[FAST]) continue;
    tf.unregisterKernel(name, 'wasm');
    // A fused bias runs along the output's last axis, so a fused product with a bias (or PReLU
    // weights) cannot be computed transposed; elementwise activations commute with the transpose.
    const allowSwap = (inputs: tf.NamedTensorInfoMap) => inputs.bias == null && inputs.preluActivationWeights == null;
    tf.registerKernel({ ...cfg, kernelFunc: wrap(cfg.kernelFunc, transposeCfg.kernelFunc, allowSwap) });
  }
}
