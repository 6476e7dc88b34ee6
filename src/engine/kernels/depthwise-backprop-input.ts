/**
 * DepthwiseConv2dNativeBackpropInput for the wasm backend (which has none): the input gradient of a
 * depthwise convolution with multiplier M,
 *   dx[b, h, w, c] = sum_{kh, kw, m, (oh, ow) : oh*sh + kh*dh - padTop = h, ow*sw + kw*dw - padLeft = w} dy[b, oh, ow, c*M + m] * W[kh, kw, c, m],
 * computed as a transposed convolution: dy is dilated by the stride (zeros inserted), padded so that
 * output row h sees taps h + padTop - kh*dh, and correlated with the spatially flipped filter by the
 * wasm DepthwiseConv2dNative kernel on C*M channels (multiplier 1, stride 1, the forward dilation);
 * the M products of each input channel are then summed.
 */
import { tf } from '../tf.js';
import { asTensor, convAttrs, convInfo, dilateByStride, padCropHW, type Shape4 } from './kernel-util.js';

export const depthwiseBackpropInputKernel: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const { strides, dilations, pad, dimRoundingMode, inputShape } = convAttrs<{ inputShape: Shape4 }>(attrs);

  return tf.tidy(() => {
    const dy = asTensor(inputs.dy, backend, 'dy') as tf.Tensor4D;
    const filter = asTensor(inputs.filter, backend, 'filter') as tf.Tensor4D;
    const [kh, kw, c, m] = filter.shape;
    const ci = convInfo(inputShape, filter.shape, strides, dilations, pad, dimRoundingMode, true);
    const [b, h, w] = inputShape;
    const spanH = (kh - 1) * ci.dilationHeight;
    const spanW = (kw - 1) * ci.dilationWidth;

    const up = dilateByStride(dy, ci.strideHeight, ci.strideWidth);
    const framed = padCropHW(up, spanH - ci.padInfo.top, spanW - ci.padInfo.left, h + spanH, w + spanW);
    const flipped = tf.reshape(tf.reverse(filter, [0, 1]), [kh, kw, c * m, 1]) as tf.Tensor4D;
    const dilation: [number, number] = [ci.dilationHeight, ci.dilationWidth];
    const full = tf.depthwiseConv2d(framed, flipped, 1, 'valid', 'NHWC', dilation); // [B, H, W, C*M]
    return m === 1 ? full : tf.sum(tf.reshape(full, [b, h, w, c, m]), 4);
  });
};
