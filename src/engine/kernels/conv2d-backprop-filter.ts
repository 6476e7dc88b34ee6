/**
 * Conv2DBackpropFilter for the wasm backend (which has none, so conv1d/conv2d/conv2dTranspose layers
 * could not train): the filter gradient of a 2-D convolution,
 *   dW[kh, kw, ci, co] = sum_{b, oh, ow} x[b, oh*sh + kh*dh - padTop, ow*sw + kw*dw - padLeft, ci] * dy[b, oh, ow, co].
 * It is itself a convolution in which the batch plays the channels: x laid out as [Ci, H, W, B] is
 * correlated with dy laid out as a filter [OH, OW, B, Co] (dilated by the forward stride) by the wasm
 * Conv2D kernel, giving [Ci, KH, KW, Co]. (An im2col + matMul version measured 3-30x slower: its
 * strided slices and concat dominate.)
 */
import { tf } from '../tf.js';
import { asTensor, convAttrs, convInfo, correlateAtTaps, withOutSize, type Shape4 } from './kernel-util.js';

export const conv2DBackpropFilterKernel: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const { strides, dilations, pad, dimRoundingMode, filterShape, dataFormat } = convAttrs<{ filterShape: Shape4 }>(attrs);
  const channelsFirst = dataFormat === 'NCHW';

  return tf.tidy(() => {
    let x = asTensor(inputs.x, backend, 'x') as tf.Tensor4D;
    let dy = asTensor(inputs.dy, backend, 'dy') as tf.Tensor4D;
    if (channelsFirst) {
      x = tf.transpose(x, [0, 2, 3, 1]);
      dy = tf.transpose(dy, [0, 2, 3, 1]);
    }
    const ci = withOutSize(convInfo(x.shape, filterShape, strides, dilations, pad, dimRoundingMode, false), dy.shape);
    const xt = tf.transpose(x, [3, 1, 2, 0]); // [Ci, H, W, B]
    const dyFilter = tf.transpose(dy, [1, 2, 0, 3]); // [OH, OW, B, Co]
    const g = correlateAtTaps(xt, ci, (input, p, st, dil) => tf.conv2d(input, dyFilter, st, p, 'NHWC', dil));
    return tf.transpose(g, [1, 2, 0, 3]); // [KH, KW, Ci, Co]
  });
};
