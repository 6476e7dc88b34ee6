/**
 * Conv2DBackpropInput for the wasm backend, replacing its built-in (a plain C loop), measured on the
 * bench CNN's second layer (dy [64, 24, 24, 64], filter [3, 3, 32, 64]; CPU time, 2-core machine):
 * built-in 670-890 ms, this 69-88 ms, about what the forward conv takes; stride 2 ([64, 28, 28, 32],
 * same): 237 -> 81 ms wall. The input gradient of a 2-D convolution,
 *   dx[b, h, w, ci] = sum_{kh, kw, co, (oh, ow) : oh*sh + kh - padTop = h, ow*sw + kw - padLeft = w} dy[b, oh, ow, co] * W[kh, kw, ci, co],
 * computed as a forward convolution on the wasm Conv2D kernel (XNNPACK): dy is dilated by the stride
 * (zeros inserted), framed so that output row h sees rows h + padTop - kh (the framing padding is
 * done by the convolution itself, cropping where it is negative), and correlated, stride 1, with the
 * filter flipped spatially and with its in/out channels swapped ([KH, KW, Co, Ci]).
 * NCHW data is transposed to NHWC and back. tfjs's conv2d gradient allows dilation 1 only, and this
 * kernel has no dilations attribute (as in TF). At stride s the dilated dy is mostly zeros (s*s times
 * the needed multiplies); splitting it into s*s phase convolutions would avoid that, not done yet.
 */
import { tf } from '../tf.js';
import { asTensor, convAttrs, convInfo, cropForConv, dilateByStride, type Shape4 } from './kernel-util.js';

export const conv2DBackpropInputKernel: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const { strides, pad, dimRoundingMode, dataFormat, inputShape: shapeAttr } = convAttrs<{ inputShape: Shape4 }>(attrs);
  const channelsFirst = dataFormat === 'NCHW';
  const inputShape: Shape4 = channelsFirst
    ? [shapeAttr[0], shapeAttr[2], shapeAttr[3], shapeAttr[1]]
    : [...shapeAttr];

  return tf.tidy(() => {
    let dy = asTensor(inputs.dy, backend, 'dy') as tf.Tensor4D;
    const filter = asTensor(inputs.filter, backend, 'filter') as tf.Tensor4D;
    if (channelsFirst) dy = tf.transpose(dy, [0, 2, 3, 1]);
    const [kh, kw] = filter.shape;
    const ci = convInfo(inputShape, filter.shape, strides, 1, pad, dimRoundingMode, false);
    const [, h, w] = inputShape;
    const up = dilateByStride(dy, ci.strideHeight, ci.strideWidth);
    const { input, pad: framing } = cropForConv(up, kh - 1 - ci.padInfo.top, kw - 1 - ci.padInfo.left, h + kh - 1, w + kw - 1);
    const flipped = tf.transpose(tf.reverse(filter, [0, 1]), [0, 1, 3, 2]) as tf.Tensor4D; // [KH, KW, Co, Ci]
    const dx = tf.conv2d(input, flipped, 1, framing, 'NHWC');
    return channelsFirst ? tf.transpose(dx, [0, 3, 1, 2]) : dx;
  });
};
