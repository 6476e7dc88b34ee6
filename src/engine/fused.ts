/**
 * Fused training ops for dense and 2-D convolution layers: one tape node per layer instead of tfjs's
 * three (product, bias add, activation; tfjs fuses them only outside gradient computations), with
 *   forward   one fused kernel (_FusedMatMul / FusedConv2D: bias and relu in the product's epilogue);
 *   backward  g = dy·step(y) for relu (dy for linear), then, only for the inputs a gradient is asked
 *             for (src/engine/tfjs-internals.ts runCompositeOp): dx = g Wᵀ (Conv2DBackpropInput),
 *             dW = xᵀ g (Conv2DBackpropFilter), db = the column sums of g.
 * The kernels are tfjs's own (the native ones on wasm when loaded), so the values are those of the
 * unfused layer to float rounding: the products are the same; only the bias is added in the product's
 * epilogue, and a convolution's bias gradient is summed as a product with ones. A first layer's input
 * gradient (as large a product as the layer's) is never computed: nothing asks for it.
 *
 * The saved tensors are x, W and y (the relu mask is read from y: y > 0 exactly where x·W + b > 0).
 * Inside a nested gradient computation (a gradient of a gradient) the backward functions would not
 * be differentiable as tfjs's are, so src/models/chain.ts uses these ops only when no outer tape
 * records (`fusedOpsUsable`). test/engine/fused.test.ts checks values and gradients against the
 * plain tfjs ops.
 */
import { tf } from './tf.js';
import { nativeKernelsEnabled } from './native/state.js';
import { nativeReluGradUsable, RELU_GRAD } from './native/cnn-block.js';
import { gradientDepth, runCompositeOp } from './tfjs-internals.js';

export type FusedActivation = 'linear' | 'relu';

/** Whether the fused ops may run now: at most one gradient computation is recording (not a gradient of a gradient). */
export function fusedOpsUsable(): boolean {
  return gradientDepth() <= 1;
}

/** dy where the relu let its input through, else 0: tfjs's relu gradient, read from the output (y > 0 ⇔ x > 0). */
function activationGrad(dy: tf.Tensor, y: tf.Tensor | undefined, activation: FusedActivation): tf.Tensor {
  if (activation !== 'relu') return dy;
  // One native pass on wasm (src/engine/native/cnn-block.ts), the same values as the composed ops.
  if (nativeReluGradUsable()) return tf.engine().runKernel(RELU_GRAD, { dy, y: y! }) as tf.Tensor;
  return tf.mul(dy, tf.step(y!));
}

const onesRows = new Map<number, Float32Array>();

/** Column sums of g ([rows, C] after flattening the leading axes): a bias gradient. */
export function columnSums(g: tf.Tensor): tf.Tensor1D {
  const C = g.shape[g.shape.length - 1]!;
  const rows = g.size / C;
  const g2 = g.rank === 2 ? g : tf.reshape(g, [rows, C]);
  // A product with a row of ones: one pass over g on the matrix kernel. (wasm's Sum over axis 0 first
  // transposes g: 125 µs for [128, 256], 28 ms for a convolution's [36864, 64] on the bench machine.)
  let ones = onesRows.get(rows);
  if (!ones) {
    ones = new Float32Array(rows).fill(1);
    if (onesRows.size > 64) onesRows.clear();
    onesRows.set(rows, ones);
  }
  return tf.reshape(tf.matMul(tf.tensor2d(ones, [1, rows]), g2), [C]) as tf.Tensor1D;
}

/** The native product takes rank-2 operands (and falls back to wasm's own kernel correctly); others want rank 3. */
function rank2MatMul(): boolean {
  return nativeKernelsEnabled() && tf.getBackend() === 'wasm';
}

/** act(x·W + b) for x [B, K], W [K, N], b [N] (or none) in one kernel. */
function matMulBiasAct(x: tf.Tensor, kernel: tf.Tensor, bias: tf.Tensor | null, activation: FusedActivation): tf.Tensor {
  const attrs = { transposeA: false, transposeB: false, activation, leakyreluAlpha: 0.2 };
  const engine = tf.engine();
  if (rank2MatMul()) {
    return engine.runKernel('_FusedMatMul', bias ? { a: x, b: kernel, bias } : { a: x, b: kernel }, attrs) as tf.Tensor;
  }
  // As tfjs's fused matMul calls it: batch-of-one rank-3 operands.
  const [B, K] = x.shape as [number, number];
  const N = kernel.shape[1]!;
  const a3 = tf.reshape(x, [1, B, K]);
  const b3 = tf.reshape(kernel, [1, K, N]);
  const y3 = engine.runKernel('_FusedMatMul', bias ? { a: a3, b: b3, bias } : { a: a3, b: b3 }, attrs) as tf.Tensor;
  return tf.reshape(y3, [B, N]);
}

/**
 * A dense layer, act(x·W + b), for x [B, K], W [K, N], b [N] or null; activation linear or relu.
 * The gradients of x, W and b are each computed only when asked for.
 */
function fusedDense_(x: tf.Tensor, kernel: tf.Tensor, bias: tf.Tensor | null, activation: FusedActivation): tf.Tensor {
  if (x.rank !== 2 || kernel.rank !== 2 || x.shape[1] !== kernel.shape[0]) {
    throw new Error(`fusedDense: x [${x.shape}] and kernel [${kernel.shape}] are not a product of matrices`);
  }
  const inputs: Record<string, tf.Tensor> = bias ? { x, kernel, bias } : { x, kernel };
  return runCompositeOp(
    inputs,
    (save) => {
      const y = matMulBiasAct(x, kernel, bias, activation);
      save(activation === 'relu' ? [x, kernel, y] : [x, kernel]);
      return y;
    },
    (dy, saved) => {
      const [sx, sk, sy] = saved as [tf.Tensor, tf.Tensor, tf.Tensor | undefined];
      // g serves every input's gradient: computed once here (each gradient function runs in its own tidy).
      const g = activationGrad(dy, sy, activation);
      const grads: Record<string, () => tf.Tensor> = {
        x: () => tf.matMul(g, sk, false, true),
        kernel: () => tf.matMul(sx, g, true, false),
      };
      if (bias) grads.bias = () => columnSums(g);
      return grads;
    },
  );
}

export interface FusedConvOptions {
  strides: [number, number] | number;
  pad: 'valid' | 'same';
  dilations?: [number, number] | number;
  activation: FusedActivation;
}

/**
 * A 2-D convolution layer, act(conv(x, W) + b), NHWC: x [B, H, W, Ci], filter [KH, KW, Ci, Co], b [Co]
 * or null. Gradients need dilation 1 (as tfjs's Conv2D gradient does).
 */
function fusedConv2d_(x: tf.Tensor, filter: tf.Tensor, bias: tf.Tensor | null, o: FusedConvOptions): tf.Tensor {
  if (x.rank !== 4 || filter.rank !== 4) throw new Error(`fusedConv2d: x [${x.shape}] and filter [${filter.shape}] must be rank 4`);
  const dilations = o.dilations ?? 1;
  const attrs = { strides: o.strides, pad: o.pad, dataFormat: 'NHWC', dilations };
  const inputs: Record<string, tf.Tensor> = bias ? { x, filter, bias } : { x, filter };
  return runCompositeOp(
    inputs,
    (save) => {
      const y = tf.engine().runKernel('FusedConv2D', bias ? { x, filter, bias } : { x, filter }, { ...attrs, activation: o.activation, leakyreluAlpha: 0.2 }) as tf.Tensor;
      save(o.activation === 'relu' ? [x, filter, y] : [x, filter]);
      return y;
    },
    (dy, saved) => {
      const [sx, sf, sy] = saved as [tf.Tensor, tf.Tensor, tf.Tensor | undefined];
      if (!tf.backend_util.tupleValuesAreOne(dilations)) {
        throw new Error(`gradient of a convolution: dilation rates greater than 1 are not supported (got ${dilations})`);
      }
      const g = activationGrad(dy, sy, o.activation);
      const { strides, pad, dataFormat } = attrs;
      const grads: Record<string, () => tf.Tensor> = {
        x: () => tf.engine().runKernel('Conv2DBackpropInput', { dy: g, filter: sf }, { strides, pad, dataFormat, inputShape: sx.shape }) as tf.Tensor,
        filter: () => tf.engine().runKernel('Conv2DBackpropFilter', { x: sx, dy: g }, { strides, pad, dataFormat, filterShape: sf.shape }) as tf.Tensor,
      };
      if (bias) grads.bias = () => columnSums(g);
      return grads;
    },
  );
}

/** Named ops: profiles (bench:profile, tf.profile) list them as mtlDense__op and mtlConv2d__op. */
export const fusedDense = tf.op({ mtlDense_: fusedDense_ });
export const fusedConv2d = tf.op({ mtlConv2d_: fusedConv2d_ });
