/**
 * Sample-rate conversion by band-limited interpolation (J. O. Smith, "Digital Audio Resampling",
 * ccrma.stanford.edu/~jos/resample): each output sample y[n], at input time t = n·from/to, is
 *
 *   y[n] = Σ_k x[k] · h(t − k),   h(d) = f_c · sinc(f_c·d) · w(d / W),   W = Z / f_c,
 *
 * a windowed-sinc low-pass whose cut-off f_c = rolloff · min(1, to/from) (as a fraction of the input's
 * Nyquist frequency) removes what the lower rate cannot hold, so downsampling does not alias. w is a
 * Kaiser window (β = 8.6: stop band ≈ −80 dB; I₀ by its power series), Z the number of sinc zero
 * crossings kept on each side (default 16). For rates with a small ratio to/from = L/M in lowest terms
 * (every common one: 22,050 → 16,000 is 320/441) there are only L distinct fractional positions, so the
 * filter is tabulated once per position (polyphase) and each position's taps are scaled to sum to 1
 * (exact unit gain at 0 Hz); otherwise the taps are computed per output sample. Output length:
 * ceil(N · to / from). Samples outside the input count as 0. Browser-safe, plain JS.
 */

export interface ResampleOptions {
  /** Sinc zero crossings on each side of the centre (filter length). Default 16. */
  zeroCrossings?: number;
  /** Cut-off as a fraction of the lower Nyquist frequency (leaves a transition band). Default 0.94. */
  rolloff?: number;
  /** Kaiser window β. Default 8.6. */
  beta?: number;
}

const MAX_TABLE_PHASES = 4096;

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

/** Modified Bessel function of the first kind, order 0 (power series; converges fast for x ≤ 20). */
export function besselI0(x: number): number {
  let sum = 1, term = 1;
  const q = (x * x) / 4;
  for (let k = 1; k < 200; k++) {
    term *= q / (k * k);
    sum += term;
    if (term < sum * 1e-17) break;
  }
  return sum;
}

/** The resampler's settings after defaults (recorded in manifests). */
export function resampleSettings(options: ResampleOptions = {}): Required<ResampleOptions> & { method: string } {
  return { method: 'kaiser-windowed sinc', zeroCrossings: options.zeroCrossings ?? 16, rolloff: options.rolloff ?? 0.94, beta: options.beta ?? 8.6 };
}

/** Resamples `samples` from `from` Hz to `to` Hz (both positive integers). */
export function resample(samples: ArrayLike<number>, from: number, to: number, options: ResampleOptions = {}): Float32Array {
  for (const [name, v] of [['from', from], ['to', to]] as const) {
    if (!Number.isInteger(v) || v < 1) throw new Error(`resample: ${name} must be a positive integer sample rate, got ${v}`);
  }
  const { zeroCrossings, rolloff, beta } = resampleSettings(options);
  if (!(zeroCrossings >= 1)) throw new Error(`resample: zeroCrossings must be ≥ 1, got ${zeroCrossings}`);
  if (!(rolloff > 0 && rolloff <= 1)) throw new Error(`resample: rolloff must be in (0, 1], got ${rolloff}`);
  const n = samples.length;
  if (from === to) return Float32Array.from(samples);
  const g = gcd(from, to);
  const L = to / g, M = from / g; // t_n = n·M/L
  const outLength = Math.ceil((n * L) / M);
  const fc = rolloff * Math.min(1, to / from);
  const halfWidth = zeroCrossings / fc;
  const K = Math.ceil(halfWidth) + 1; // taps j = −K..K around floor(t)
  const taps = 2 * K + 1;
  const i0beta = besselI0(beta);
  const kernel = (d: number): number => {
    const u = d / halfWidth;
    if (u <= -1 || u >= 1) return 0;
    const x = Math.PI * fc * d;
    const sinc = x === 0 ? 1 : Math.sin(x) / x;
    return fc * sinc * (besselI0(beta * Math.sqrt(1 - u * u)) / i0beta);
  };
  // Weights for fractional position f: w[j+K] = h(f − j), j = −K..K, scaled to sum to 1.
  const weightsAt = (f: number, into: Float64Array, at: number) => {
    let s = 0;
    for (let j = -K; j <= K; j++) s += into[at + j + K] = kernel(f - j);
    for (let j = 0; j < taps; j++) into[at + j] /= s;
  };
  const table = L <= MAX_TABLE_PHASES ? new Float64Array(L * taps) : undefined;
  if (table) for (let p = 0; p < L; p++) weightsAt(p / L, table, p * taps);
  const scratch = new Float64Array(taps);
  const out = new Float32Array(outLength);
  for (let i = 0; i < outLength; i++) {
    const num = i * M; // exact in doubles for any realistic length
    const base = Math.floor(num / L);
    const phase = num - base * L;
    let w: Float64Array, off: number;
    if (table) {
      w = table;
      off = phase * taps;
    } else {
      weightsAt(phase / L, scratch, 0);
      w = scratch;
      off = 0;
    }
    let acc = 0;
    const k0 = base - K;
    const jLo = Math.max(0, -k0), jHi = Math.min(taps, n - k0);
    for (let j = jLo; j < jHi; j++) acc += samples[k0 + j]! * w[off + j]!;
    out[i] = acc;
  }
  return out;
}
