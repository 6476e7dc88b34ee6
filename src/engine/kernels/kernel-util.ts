/**
 * Helpers shared by the JS-composed wasm training kernels: turning a kernel's TensorInfo inputs into
 * engine Tensors (so a kernel can be written with ordinary tf ops), conv geometry, and computing a
 * filter gradient as a correlation with dy (which runs on the wasm backend's fast conv kernels).
 */
import { tf } from '../tf.js';
import { tensorFromTensorInfo } from '../tfjs-internals.js';

type Conv2DInfo = tf.backend_util.Conv2DInfo;

/**
 * Kernel inputs are normally the op's Tensors: use them as they are. A raw TensorInfo (a backend
 * calling the kernel directly) is wrapped in a Tensor that holds its own reference, so disposing the
 * wrapper (tf.tidy does) leaves the caller's data alive.
 */
export function asTensor(info: tf.TensorInfo | undefined, backend: unknown, name: string): tf.Tensor {
  if (info == null) throw new Error(`kernel input "${name}" is missing`);
  if (info instanceof tf.Tensor) return info;
  (backend as tf.KernelBackend).incRef(info.dataId);
  return tensorFromTensorInfo(info);
}

export type PadAttr = 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
export type RoundingAttr = 'floor' | 'round' | 'ceil' | undefined;
export type Pair = number | [number, number];
export type Shape4 = [number, number, number, number];

/** The attributes of tfjs's conv kernels (forward, fused, the gradients, depthwise), as tfjs passes them. */
export interface ConvAttrs {
  strides: Pair;
  pad: PadAttr;
  /** 1 when the kernel was given none (tfjs's Conv2DBackpropFilter passes none; TF's kernel has them). */
  dilations: Pair;
  dimRoundingMode: RoundingAttr;
  dataFormat?: string;
  /** The gradient kernels' shape of what they compute: dx (…BackpropInput) or dW (…BackpropFilter). */
  inputShape?: Shape4;
  filterShape?: Shape4;
  /** The fused kernels' epilogue. */
  activation?: string;
  leakyreluAlpha?: number;
}

/**
 * A conv kernel's attributes, read once for the JS kernels here and the native ones
 * (src/engine/native/register.ts); `Given` names the ones the caller's kernel always receives.
 */
export function convAttrs<Given extends Partial<ConvAttrs> = object>(attrs: tf.NamedAttrMap | undefined): ConvAttrs & Given {
  const a = (attrs ?? {}) as unknown as Partial<ConvAttrs>;
  return { ...a, dilations: a.dilations ?? 1 } as ConvAttrs & Given;
}

/** Conv geometry for an NHWC input of `xShape` and a filter of `filterShape`, as the forward op saw it. */
export function convInfo(
  xShape: number[],
  filterShape: number[],
  strides: Pair,
  dilations: Pair,
  pad: PadAttr,
  dimRoundingMode: RoundingAttr,
  depthwise: boolean,
): Conv2DInfo {
  return tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    strides,
    dilations,
    pad,
    dimRoundingMode,
    depthwise,
    'channelsLast',
  );
}

/**
 * The geometry with the output size taken from dy itself: tfjs's conv2d gradient does not pass the
 * forward's dimRoundingMode on, so a 'ceil'-rounded forward would otherwise lose its last row/column.
 */
export function withOutSize(ci: Conv2DInfo, dyShape: number[]): Conv2DInfo {
  return { ...ci, outHeight: dyShape[1], outWidth: dyShape[2] };
}

export type ConvAtTaps = (input: tf.Tensor4D, pad: tf.backend_util.ExplicitPadding, strides: [number, number], dilations: [number, number]) => tf.Tensor4D;

/**
 * A convolution's filter gradient is itself a correlation, with dy as the filter:
 *   g[., kh, kw, .] = sum_{oh, ow} xt[., kh*dh + oh*sh - padTop, kw*dw + ow*sw - padLeft, .] * dy[oh, ow, ...].
 * Given `xt` (spatial axes 1 and 2, laid out by the caller so that `conv` contracts the right axes) this
 * frames it (forward padding on top/left, bottom/right padded or cropped so that exactly the filter
 * taps come out) and runs `conv` as a correlation whose stride is the forward dilation and whose
 * dilation is the forward stride (tfjs allows only one of them above 1, so when both are, the
 * dilated taps are cut out of a stride-1 result). Returns [., filterHeight, filterWidth, .].
 */
export function correlateAtTaps(xt: tf.Tensor4D, ci: Conv2DInfo, conv: ConvAtTaps): tf.Tensor4D {
  const s: [number, number] = [ci.strideHeight, ci.strideWidth];
  const d: [number, number] = [ci.dilationHeight, ci.dilationWidth];
  const k = [ci.filterHeight, ci.filterWidth];
  const o = [ci.outHeight, ci.outWidth];
  const before = [ci.padInfo.top, ci.padInfo.left];
  // Length each spatial axis must have: the last tap's offset plus the span of the dy "filter".
  const need = [0, 1].map((i) => (k[i] - 1) * d[i] + (o[i] - 1) * s[i] + 1);
  const after = [0, 1].map((i) => need[i] - before[i] - xt.shape[i + 1]);
  let input = xt;
  if (after[0] < 0 || after[1] < 0) {
    const [n, h, w, c] = xt.shape;
    input = tf.slice(xt, [0, 0, 0, 0], [n, h + Math.min(0, after[0]), w + Math.min(0, after[1]), c]);
  }
  const pad: tf.backend_util.ExplicitPadding = [[0, 0], [before[0], Math.max(0, after[0])], [before[1], Math.max(0, after[1])], [0, 0]];
  const ones = (p: [number, number]) => p[0] === 1 && p[1] === 1;
  if (ones(s)) return conv(input, pad, d, [1, 1]);
  if (ones(d)) return conv(input, pad, [1, 1], s);
  const full = conv(input, pad, [1, 1], s);
  return tf.stridedSlice(full, [0, 0, 0, 0], full.shape, [1, d[0], d[1], 1]) as tf.Tensor4D;
}

/** Zero-inserts dy along height/width so that row oh lands at oh * stride. */
export function dilateByStride(dy: tf.Tensor4D, sh: number, sw: number): tf.Tensor4D {
  if (sh === 1 && sw === 1) return dy;
  const [b, oh, ow, ch] = dy.shape;
  const up = tf.pad(tf.reshape(dy, [b, oh, 1, ow, 1, ch]), [[0, 0], [0, 0], [0, sh - 1], [0, 0], [0, sw - 1], [0, 0]]);
  return tf.reshape(up, [b, oh * sh, ow * sw, ch]);
}

/** Pads (negative amounts crop) height/width by top/left, and at the bottom/right to lengths lenH/lenW. */
export function padCropHW(t: tf.Tensor4D, top: number, left: number, lenH: number, lenW: number): tf.Tensor4D {
  const [b, h, w, ch] = t.shape;
  const bottom = lenH - top - h;
  const right = lenW - left - w;
  let out = t;
  if (top > 0 || left > 0 || bottom > 0 || right > 0) {
    out = tf.pad(out, [[0, 0], [Math.max(0, top), Math.max(0, bottom)], [Math.max(0, left), Math.max(0, right)], [0, 0]]);
  }
  if (top < 0 || left < 0 || bottom < 0 || right < 0) {
    out = tf.slice(out, [0, Math.max(0, -top), Math.max(0, -left), 0], [b, lenH, lenW, ch]);
  }
  return out;
}

/**
 * Like padCropHW, but leaves the padding to the convolution: crops where an amount is negative and
 * returns the (non-negative) explicit padding that a conv must apply to reach lengths lenH/lenW.
 * Saves materialising a padded copy (XNNPACK pads through its indirection buffer).
 */
export function cropForConv(t: tf.Tensor4D, top: number, left: number, lenH: number, lenW: number): { input: tf.Tensor4D; pad: tf.backend_util.ExplicitPadding } {
  const [b, h, w, ch] = t.shape;
  const bottom = lenH - top - h;
  const right = lenW - left - w;
  let input = t;
  if (top < 0 || left < 0 || bottom < 0 || right < 0) {
    const start = [0, Math.max(0, -top), Math.max(0, -left), 0];
    const size = [b, h - start[1] - Math.max(0, -bottom), w - start[2] - Math.max(0, -right), ch];
    input = tf.slice(t, start, size);
  }
  const pad: tf.backend_util.ExplicitPadding = [[0, 0], [Math.max(0, top), Math.max(0, bottom)], [Math.max(0, left), Math.max(0, right)], [0, 0]];
  return { input, pad };
}
