/**
 * MaxPoolGrad for the wasm backend, replacing its built-in. A plain loop in JavaScript over the wasm
 * heap (the backend's own buffers, read and written in place through typed-array views): one pass
 * over each pooling window finds its first maximum per channel, then dy is written (or, for
 * overlapping windows, added) at that position of dx. Measured on the bench CNN's 2x2 pool over
 * [64, 24, 24, 64] (CPU time, 2-core machine): built-in 58-70 ms, this 13-15 ms (the forward pool:
 * ~2 ms). No composition of wasm ops came close: an exact first-max mask needs ~20 elementwise ops
 * over dy-sized tensors. A full 2x2 window is unrolled (a taps loop is ~2x slower in V8).
 *
 * Semantics are the cpu backend's exactly (tfjs/TF): the gradient of a window goes to its FIRST
 * maximum in row-major window order (a strict `>` scan from -Infinity, padding excluded), so with
 * ties only the first tied position receives it; NaNs never win, and a window with no value above
 * -Infinity passes no gradient. Contributions of overlapping windows (filter > stride) are summed in
 * float64 in the cpu backend's order and rounded once, so results are bitwise equal to cpu's.
 * (The built-in is not: it gives a window's gradient to its first position when the maximum is
 * negative, and to the LAST of tied maxima.) Non-float32 inputs go to the built-in kernel. The wasm
 * heap (BackendWasm's makeOutput / typedArrayFromHeap) is reached through src/engine/tfjs-internals.ts.
 */
import { tf } from '../tf.js';
import { wasmBackend } from '../tfjs-internals.js';
import type { PadAttr, Pair, RoundingAttr } from './kernel-util.js';

export function makeMaxPoolGradKernel(original?: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { inputs, backend, attrs } = args;
    const { dy, input } = inputs;
    if (dy == null || input == null) throw new Error('MaxPoolGrad needs inputs dy and input');
    if (input.dtype !== 'float32' || dy.dtype !== 'float32' || input.shape.length !== 4) {
      if (original == null) throw new Error(`MaxPoolGrad on wasm: unsupported dtype ${input.dtype}`);
      return original(args);
    }
    const a = attrs ?? {};
    const info = tf.backend_util.computePool2DInfo(
      input.shape as [number, number, number, number],
      a.filterSize as Pair,
      a.strides as Pair,
      1,
      a.pad as PadAttr,
      a.dimRoundingMode as RoundingAttr,
    );
    const be = wasmBackend(backend);
    const out = be.makeOutput(input.shape.slice(), 'float32');
    // Views are taken after the allocation, which may grow (and so replace) the heap's buffer.
    const x = be.typedArrayFromHeap(input) as Float32Array;
    const g = be.typedArrayFromHeap(dy) as Float32Array;
    const dx = be.typedArrayFromHeap(out) as Float32Array;
    const { output } = inputs;
    const y = output != null && output.dtype === 'float32' && output.shape.join() === dy.shape.join() ? (be.typedArrayFromHeap(output) as Float32Array) : null;
    if (y == null || !maxPoolGrad2x2(x, y, g, dx, info)) maxPoolGradNHWC(x, g, dx, info);
    return out;
  };
}

/**
 * The common pool, 2 x 2 windows with stride 2 that all lie inside x, from the forward output y (the
 * windows' maxima, which tfjs passes to MaxPoolGrad): the first position of each window whose value
 * equals y is its first maximum, found without a branch per value (the strict `>` scan mispredicts
 * about every other comparison on activations: 2x slower). Valid only if each y is the maximum of its
 * window, above -Infinity, and no value is NaN — checked for every window on the way; returns false
 * (dx then recomputed by the scan) when not, or when the geometry is another.
 */
function maxPoolGrad2x2(x: Float32Array, y: Float32Array, dy: Float32Array, dx: Float32Array, info: tf.backend_util.Conv2DInfo): boolean {
  const { B, H, W, C, OH, OW, sh, sw, fh, fw, padTop, padLeft } = geometry(info);
  if (fh !== 2 || fw !== 2 || sh !== 2 || sw !== 2 || padTop !== 0 || padLeft !== 0 || 2 * OH > H || 2 * OW > W) return false;
  dx.fill(0);
  const o1 = C;
  const o2 = W * C;
  const o3 = o1 + o2;
  let bad = 0;
  let gi = 0; // index of dy[b, oh, ow, 0] (and of y)
  for (let b = 0; b < B; b++) {
    for (let oh = 0; oh < OH; oh++) {
      for (let ow = 0; ow < OW; ow++, gi += C) {
        const p0 = ((b * H + 2 * oh) * W + 2 * ow) * C;
        for (let ch = 0; ch < C; ch++) {
          const m = y[gi + ch]!;
          const v0 = x[p0 + ch]!, v1 = x[p0 + o1 + ch]!, v2 = x[p0 + o2 + ch]!, v3 = x[p0 + o3 + ch]!;
          const n0 = +(v0 !== m), n1 = +(v1 !== m), n2 = +(v2 !== m), n3 = +(v3 !== m);
          // m is one of the four, none is above it (a NaN fails both tests), and it is above -Infinity.
          bad |= (n0 & n1 & n2 & n3) | +!(v0 <= m) | +!(v1 <= m) | +!(v2 <= m) | +!(v3 <= m) | +!(m > -Infinity);
          const k = n0 * (1 + n1 * (1 + n2)); // the first k with v_k === m
          dx[p0 + ch + (k >> 1) * o2 + (k & 1) * o1] = dy[gi + ch]! + 0;
        }
      }
    }
  }
  return bad === 0;
}

/** dx (NHWC, same shape as x) from x and dy ([B, OH, OW, C]); see the header for the semantics. */
export function maxPoolGradNHWC(x: Float32Array, dy: Float32Array, dx: Float32Array, info: tf.backend_util.Conv2DInfo): void {
  if (info.effectiveFilterHeight > info.strideHeight || info.effectiveFilterWidth > info.strideWidth) {
    // Overlapping windows: several dy values may land on one dx element; sum them in float64, in
    // cpu's order (windows row-major), and round once.
    const acc = new Float64Array(dx.length);
    scatterOverlapping(x, dy, acc, info);
    dx.set(acc);
  } else {
    dx.fill(0);
    scatterDisjoint(x, dy, dx, info);
  }
}

/** Geometry of window (oh, ow): clipped row/column ranges [rMin, rMax) x [cMin, cMax). */
interface Geometry {
  B: number; H: number; W: number; C: number; OH: number; OW: number;
  sh: number; sw: number; fh: number; fw: number; padTop: number; padLeft: number;
}

function geometry(info: tf.backend_util.Conv2DInfo): Geometry {
  return {
    B: info.batchSize, H: info.inHeight, W: info.inWidth, C: info.inChannels, OH: info.outHeight, OW: info.outWidth,
    sh: info.strideHeight, sw: info.strideWidth, fh: info.effectiveFilterHeight, fw: info.effectiveFilterWidth,
    padTop: info.padInfo.top, padLeft: info.padInfo.left,
  };
}

/**
 * Windows that do not overlap (filter <= stride): each x element gets at most one dy value, written
 * directly (`+ 0` turns -0 into +0, as cpu's 0 + dy does). A full 2x2 window is unrolled (the common
 * pool; a taps loop is ~2x slower in V8).
 */
function scatterDisjoint(x: Float32Array, dy: Float32Array, dx: Float32Array, info: tf.backend_util.Conv2DInfo): void {
  const { B, H, W, C, OH, OW, sh, sw, fh, fw, padTop, padLeft } = geometry(info);
  const taps = new Int32Array(fh * fw);
  let gi = 0; // index of dy[b, oh, ow, 0]
  for (let b = 0; b < B; b++) {
    for (let oh = 0; oh < OH; oh++) {
      const r0 = oh * sh - padTop;
      const rMin = Math.max(0, r0);
      const rMax = Math.min(H, r0 + fh);
      for (let ow = 0; ow < OW; ow++, gi += C) {
        const c0 = ow * sw - padLeft;
        const cMin = Math.max(0, c0);
        const cMax = Math.min(W, c0 + fw);
        if (rMax - rMin === 2 && cMax - cMin === 2) {
          const p0 = ((b * H + rMin) * W + cMin) * C;
          const p1 = p0 + C;
          const p2 = p0 + W * C;
          const p3 = p2 + C;
          for (let ch = 0; ch < C; ch++) {
            let m = -Infinity;
            let p = -1;
            const v0 = x[p0 + ch];
            const v1 = x[p1 + ch];
            const v2 = x[p2 + ch];
            const v3 = x[p3 + ch];
            if (v0 > m) { m = v0; p = p0 + ch; }
            if (v1 > m) { m = v1; p = p1 + ch; }
            if (v2 > m) { m = v2; p = p2 + ch; }
            if (v3 > m) { p = p3 + ch; }
            if (p >= 0) dx[p] = dy[gi + ch] + 0;
          }
          continue;
        }
        let n = 0;
        for (let r = rMin; r < rMax; r++) {
          for (let c = cMin; c < cMax; c++) taps[n++] = ((b * H + r) * W + c) * C;
        }
        for (let ch = 0; ch < C; ch++) {
          let m = -Infinity;
          let p = -1;
          for (let t = 0; t < n; t++) {
            const v = x[taps[t] + ch];
            if (v > m) { m = v; p = taps[t] + ch; }
          }
          if (p >= 0) dx[p] = dy[gi + ch] + 0;
        }
      }
    }
  }
}

/** Overlapping windows: adds each window's dy value at its first maximum into `acc` (float64). */
function scatterOverlapping(x: Float32Array, dy: Float32Array, acc: Float64Array, info: tf.backend_util.Conv2DInfo): void {
  const { B, H, W, C, OH, OW, sh, sw, fh, fw, padTop, padLeft } = geometry(info);
  const taps = new Int32Array(fh * fw);
  let gi = 0;
  for (let b = 0; b < B; b++) {
    for (let oh = 0; oh < OH; oh++) {
      const r0 = oh * sh - padTop;
      const rMin = Math.max(0, r0);
      const rMax = Math.min(H, r0 + fh);
      for (let ow = 0; ow < OW; ow++, gi += C) {
        const c0 = ow * sw - padLeft;
        const cMin = Math.max(0, c0);
        const cMax = Math.min(W, c0 + fw);
        let n = 0;
        for (let r = rMin; r < rMax; r++) {
          for (let c = cMin; c < cMax; c++) taps[n++] = ((b * H + r) * W + c) * C;
        }
        for (let ch = 0; ch < C; ch++) {
          let m = -Infinity;
          let p = -1;
          for (let t = 0; t < n; t++) {
            const v = x[taps[t] + ch];
            if (v > m) { m = v; p = taps[t] + ch; }
          }
          if (p >= 0) acc[p] += dy[gi + ch];
        }
      }
    }
  }
}
