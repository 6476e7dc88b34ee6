/**
 * Conv2DBackpropFilter for the wasm backend (which has none, so conv1d/conv2d/conv2dTranspose layers
 * could not train): the filter gradient of a 2-D convolution,
 *   dW[kh, kw, ci, co] = sum_{b, oh, ow} x[b, oh*sh + kh*dh - padTop, ow*sw + kw*dw - padLeft, ci] * dy[b, oh, ow, co],
 * computed as im2col (one strided slice of the padded input per filter tap, concatenated on channels)
 * followed by a single matMul with dy, in batch chunks that bound the im2col memory.
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

export const conv2DBackpropFilterKernel: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const a = attrs ?? {};
  const strides = a.strides as Pair;
  const pad = a.pad as PadAttr;
  const dimRoundingMode = a.dimRoundingMode as RoundingAttr;
  const filterShape = a.filterShape as [number, number, number, number];
  const dilations = (a.dilations as Pair | undefined) ?? 1;
  const channelsFirst = a.dataFormat === 'NCHW';

  return tf.tidy(() => {
    let x = asTensor(inputs.x, backend, 'x') as tf.Tensor4D;
    let dy = asTensor(inputs.dy, backend, 'dy') as tf.Tensor4D;
    if (channelsFirst) {
      x = tf.transpose(x, [0, 2, 3, 1]);
      dy = tf.transpose(dy, [0, 2, 3, 1]);
    }
    const ci = withOutSize(convInfo(x.shape, filterShape, strides, dilations, pad, dimRoundingMode, false), dy.shape);
    const [kh, kw, cin, cout] = filterShape;
    const k = kh * kw * cin;
    const rows = ci.outHeight * ci.outWidth;

    let grad: tf.Tensor | null = null;
    for (const [start, size] of batchChunks(x.shape[0], rows * k)) {
      const xb = size === x.shape[0] ? x : tf.slice(x, [start, 0, 0, 0], [size, -1, -1, -1]);
      const dyb = size === dy.shape[0] ? dy : tf.slice(dy, [start, 0, 0, 0], [size, -1, -1, -1]);
      const xp = padForPatches(xb, ci);
      const taps: tf.Tensor4D[] = [];
      for (let i = 0; i < kh; i++) for (let j = 0; j < kw; j++) taps.push(patchAt(xp, ci, i, j));
      const cols = tf.reshape(taps.length === 1 ? taps[0] : tf.concat(taps, 3), [size * rows, k]) as tf.Tensor2D;
      const dy2 = tf.reshape(dyb, [size * rows, cout]) as tf.Tensor2D;
      // Materialise the transpose of the smaller operand; the plain product is the fast wasm path.
      const part =
        k <= cout ? tf.matMul(tf.transpose(cols), dy2) : tf.transpose(tf.matMul(tf.transpose(dy2), cols));
      grad = grad == null ? part : tf.add(grad, part);
    }
    return tf.reshape(grad ?? tf.zeros([k, cout]), filterShape);
  });
};
