/**
 * DepthwiseConv2dNativeBackpropFilter for the wasm backend (which has none, so depthwise/separable
 * convolutions could not train): the filter gradient of a depthwise convolution with multiplier M,
 *   dW[kh, kw, c, m] = sum_{b, oh, ow} x[b, oh*sh + kh*dh - padTop, ow*sw + kw*dw - padLeft, c] * dy[b, oh, ow, c*M + m],
 * computed as a per-channel im2col: the filter-tap patches [N, taps, C] and dy [N, C, M] are laid out
 * channel-major and multiplied in one batched matMul over the C channels ([C, taps, N] x [C, N, M]).
 */
import { tf } from '../tf.js';
import {
  asTensor,
  batchChunks,
  convInfo,
  padForPatches,
  patchAt,
  withOutSize,
  type PadAttr,
  type Pair,
  type RoundingAttr,
} from './kernel-util.js';

export const depthwiseBackpropFilterKernel: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const a = attrs ?? {};
  const strides = a.strides as Pair;
  const dilations = (a.dilations as Pair | undefined) ?? 1;
  const pad = a.pad as PadAttr;
  const dimRoundingMode = a.dimRoundingMode as RoundingAttr;
  const filterShape = a.filterShape as [number, number, number, number];

  return tf.tidy(() => {
    const x = asTensor(inputs.x, backend, 'x') as tf.Tensor4D;
    const dy = asTensor(inputs.dy, backend, 'dy') as tf.Tensor4D;
    const ci = withOutSize(convInfo(x.shape, filterShape, strides, dilations, pad, dimRoundingMode, true), dy.shape);
    const [kh, kw, c, m] = filterShape;
    const taps = kh * kw;
    const rows = ci.outHeight * ci.outWidth;

    let grad: tf.Tensor | null = null;
    for (const [start, size] of batchChunks(x.shape[0], rows * taps * c)) {
      const xb = size === x.shape[0] ? x : tf.slice(x, [start, 0, 0, 0], [size, -1, -1, -1]);
      const dyb = size === dy.shape[0] ? dy : tf.slice(dy, [start, 0, 0, 0], [size, -1, -1, -1]);
      const xp = padForPatches(xb, ci);
      const patches: tf.Tensor4D[] = [];
      for (let i = 0; i < kh; i++) for (let j = 0; j < kw; j++) patches.push(patchAt(xp, ci, i, j));
      const n = size * rows;
      // [N, taps, C] -> [C, taps, N]
      const cols = tf.transpose(tf.reshape(tf.stack(patches, 3), [n, taps, c]), [2, 1, 0]) as tf.Tensor3D;
      // [N, C, M] -> [C, N, M]
      const dyc = tf.transpose(tf.reshape(dyb, [n, c, m]), [1, 0, 2]) as tf.Tensor3D;
      const part = tf.matMul(cols, dyc); // [C, taps, M]
      grad = grad == null ? part : tf.add(grad, part);
    }
    const g = grad ?? tf.zeros([c, taps, m]);
    return tf.reshape(tf.transpose(g, [1, 0, 2]), filterShape);
  });
};
