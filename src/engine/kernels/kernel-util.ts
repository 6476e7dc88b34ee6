/**
 * Helpers shared by the JS-composed wasm training kernels: turning a kernel's TensorInfo inputs into
 * engine Tensors (so a kernel can be written with ordinary tf ops), reading conv attributes, and
 * extracting the strided input patches a convolution's filter gradient sums over.
 */
import { tf } from '../tf.js';

type Conv2DInfo = tf.backend_util.Conv2DInfo;

/** Minimal view of a backend that can add a reference to a data id (every tfjs backend can). */
interface RefCountingBackend {
  incRef(dataId: object): void;
}

/**
 * Kernel inputs are normally the op's Tensors: use them as they are. A raw TensorInfo (a backend
 * calling the kernel directly) is wrapped in a Tensor that holds its own reference, so disposing the
 * wrapper (tf.tidy does) leaves the caller's data alive.
 */
export function asTensor(info: tf.TensorInfo | undefined, backend: unknown, name: string): tf.Tensor {
  if (info == null) throw new Error(`kernel input "${name}" is missing`);
  if (info instanceof tf.Tensor) return info;
  (backend as RefCountingBackend).incRef(info.dataId);
  return tf.engine().makeTensorFromTensorInfo(info);
}

export type PadAttr = 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
export type RoundingAttr = 'floor' | 'round' | 'ceil' | undefined;
export type Pair = number | [number, number];

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

/**
 * Pads the NHWC input `x` so that every patch position of the convolution lies inside it: the forward
 * padding on top/left, and at the bottom/right exactly what the last output row/column reads (zeros
 * beyond the input behave like the reference kernels' bounds checks; unread trailing rows are never
 * touched by the strided slices).
 */
export function padForPatches(x: tf.Tensor4D, ci: Conv2DInfo): tf.Tensor4D {
  const top = ci.padInfo.top;
  const left = ci.padInfo.left;
  const needH = (ci.outHeight - 1) * ci.strideHeight + (ci.filterHeight - 1) * ci.dilationHeight + 1;
  const needW = (ci.outWidth - 1) * ci.strideWidth + (ci.filterWidth - 1) * ci.dilationWidth + 1;
  const bottom = Math.max(0, needH - (x.shape[1] + top));
  const right = Math.max(0, needW - (x.shape[2] + left));
  if (top === 0 && left === 0 && bottom === 0 && right === 0) return x;
  return tf.pad(x, [[0, 0], [top, bottom], [left, right], [0, 0]]);
}

/**
 * The input values filter tap (kh, kw) meets at every output position: `xPadded[:, kh*dh + oh*sh,
 * kw*dw + ow*sw, :]` for all (oh, ow), shape [batch, outHeight, outWidth, channels].
 */
export function patchAt(xPadded: tf.Tensor4D, ci: Conv2DInfo, kh: number, kw: number): tf.Tensor4D {
  const h0 = kh * ci.dilationHeight;
  const w0 = kw * ci.dilationWidth;
  const [b, , , c] = xPadded.shape;
  const hEnd = h0 + (ci.outHeight - 1) * ci.strideHeight + 1;
  const wEnd = w0 + (ci.outWidth - 1) * ci.strideWidth + 1;
  if (ci.strideHeight === 1 && ci.strideWidth === 1) {
    return tf.slice(xPadded, [0, h0, w0, 0], [b, hEnd - h0, wEnd - w0, c]);
  }
  return tf.stridedSlice(xPadded, [0, h0, w0, 0], [b, hEnd, wEnd, c], [1, ci.strideHeight, ci.strideWidth, 1]) as tf.Tensor4D;
}

/**
 * im2col working sets are `batch * outH * outW * filterH * filterW * channels` floats; above this many
 * the batch is processed in chunks (partial gradients are summed) to bound peak memory.
 */
export const MAX_PATCH_ELEMENTS = 1 << 24;

/** Batch ranges [start, size) whose im2col matrices stay under MAX_PATCH_ELEMENTS. */
export function batchChunks(batch: number, elementsPerExample: number): Array<[number, number]> {
  const per = Math.max(1, Math.floor(MAX_PATCH_ELEMENTS / Math.max(1, elementsPerExample)));
  const chunks: Array<[number, number]> = [];
  for (let s = 0; s < batch; s += per) chunks.push([s, Math.min(per, batch - s)]);
  return chunks;
}
