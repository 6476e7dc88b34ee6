/**
 * The power spectrum of a real frame by an iterative radix-2 Cooley–Tukey FFT (decimation in time:
 * bit-reversed load, then log₂n butterfly stages with tabulated twiddles e^{−2πik/n}). Plain JS, not
 * tf.signal.stft: @tensorflow/tfjs-backend-wasm (the backend mtljs trains on, in Node and in pages) registers no
 * FFT kernel (only the cpu backend has one), so feature extraction written with tfjs signal ops would not run
 * there; this runs the same everywhere. One PowerSpectrum per frame size reuses its tables and scratch buffers
 * across frames.
 */

export class PowerSpectrum {
  readonly size: number;
  private readonly cos: Float64Array;
  private readonly sin: Float64Array;
  private readonly rev: Uint32Array;
  private readonly re: Float64Array;
  private readonly im: Float64Array;

  constructor(size: number) {
    if (!Number.isInteger(size) || size < 2 || (size & (size - 1)) !== 0) throw new Error(`FFT size must be a power of two ≥ 2, got ${size}`);
    this.size = size;
    const half = size / 2;
    this.cos = new Float64Array(half);
    this.sin = new Float64Array(half);
    for (let k = 0; k < half; k++) {
      this.cos[k] = Math.cos((2 * Math.PI * k) / size);
      this.sin[k] = -Math.sin((2 * Math.PI * k) / size);
    }
    const bits = Math.log2(size);
    this.rev = new Uint32Array(size);
    for (let i = 0; i < size; i++) {
      let r = 0;
      for (let b = 0; b < bits; b++) r |= ((i >>> b) & 1) << (bits - 1 - b);
      this.rev[i] = r;
    }
    this.re = new Float64Array(size);
    this.im = new Float64Array(size);
  }

  /**
   * |X_k|² for k = 0..size/2 of the frame (shorter frames are zero-padded) into `out`
   * (length size/2 + 1).
   */
  compute(frame: ArrayLike<number>, out: Float64Array): Float64Array {
    const n = this.size, re = this.re, im = this.im, rev = this.rev;
    for (let i = 0; i < n; i++) {
      const j = rev[i]!;
      re[j] = i < frame.length ? frame[i]! : 0;
      im[j] = 0;
    }
    for (let len = 2; len <= n; len <<= 1) {
      const halfLen = len >>> 1, step = n / len;
      for (let start = 0; start < n; start += len) {
        for (let k = 0; k < halfLen; k++) {
          const wr = this.cos[k * step]!, wi = this.sin[k * step]!;
          const a = start + k, b = a + halfLen;
          const xr = re[b]! * wr - im[b]! * wi;
          const xi = re[b]! * wi + im[b]! * wr;
          re[b] = re[a]! - xr;
          im[b] = im[a]! - xi;
          re[a] = re[a]! + xr;
          im[a] = im[a]! + xi;
        }
      }
    }
    for (let k = 0; k <= n / 2; k++) out[k] = re[k]! * re[k]! + im[k]! * im[k]!;
    return out;
  }
}
