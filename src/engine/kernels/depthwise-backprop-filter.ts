/**
 * DepthwiseConv2dNativeBackpropFilter for the wasm backend (which has none, so depthwise/separable
 * convolutions could not train): the filter gradient of a depthwise convolution with multiplier M,
 *   dW[kh, kw, c, m] = sum_{b, oh, ow} x[b, oh*sh + kh*dh - padTop, ow*sw + kw*dw - padLeft, c] * dy[b, oh, ow, c*M + m].
 * It is itself a depthwise convolution over C*B channels: x laid out as [1, H, W, C*B] is correlated
 * with dy laid out as a filter [OH, OW, C*B, M] (dilated by the forward stride) by the wasm
 * DepthwiseConv2dNative kernel, giving [1, KH, KW, C*B*M], and the batch is then summed out.
 * (An im2col + batched matMul version measured up to ~30x slower on strided shapes.)
 */
import { tf } from '../tf.js';
import { asTensor, convAttrs, convInfo, correlateAtTaps, withOutSize, type Shape4 } from './kernel-util.js';

export const depthwiseBackpropFilterKernel: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const { strides, dilations, pad, dimRoundingMode, filterShape } = convAttrs<{ filterShape: Shape4 }>(attrs);

  return tf.tidy(() => {
    const x = asTensor(inputs.x, backend, 'x') as tf.Tensor4D;
    const dy = asTensor(inputs.dy, backend, 'dy') as tf.Tensor4D;
    const ci = withOutSize(convInfo(x.shape, filterShape, strides, dilations, pad, dimRoundingMode, true), dy.shape);
    const [kh, kw, c, m] = filterShape;
    const [b, h, w] = x.shape;
    const [, oh, ow] = dy.shape;
    const xt = tf.reshape(tf.transpose(x, [1, 2, 3, 0]), [1, h, w, c * b]) as tf.Tensor4D; // channel c*B + b
    const dyFilter = tf.reshape(tf.transpose(tf.reshape(dy, [b, oh, ow, c, m]), [1, 2, 3, 0, 4]), [oh, ow, c * b, m]) as tf.Tensor4D;
    const g = correlateAtTaps(xt, ci, (input, p, st, dil) => tf.depthwiseConv2d(input, dyFilter, st, p, 'NHWC', dil));
    const perBatch = tf.reshape(g, [kh, kw, c, b, m]);
    return b === 1 ? tf.reshape(perBatch, filterShape) : tf.sum(perBatch, 3);
  });
};
