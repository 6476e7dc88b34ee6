/**
 * Log-mel filterbank features, the input of the speech encoders (Davis & Mermelstein 1980; the
 * "fbank" features of Kaldi and of end-to-end ASR since Graves et al. 2013).
 *
 * For a waveform x of N samples at `sampleRate` (default 16 kHz):
 *   frames: win = round(sampleRate·windowMs/1000) samples (25 ms → 400), hop = round(sampleRate·hopMs/1000)
 *     (10 ms → 160); frame t covers x[t·hop, t·hop + win) — no padding, no centring (Kaldi's snip-edges),
 *     so T = 1 + floor((N − win)/hop) frames when N ≥ win, and 0 when N < win;
 *   each frame × a periodic Hann window w[i] = 0.5 − 0.5·cos(2πi/win), zero-padded to nFft (default the
 *     next power of two ≥ win: 512), power spectrum P_k = |X_k|², k = 0..nFft/2 (./fft.ts);
 *   E_m = Σ_k P_k·H_m(k) with the HTK-scale triangles H_m (./mel.ts) from fMin (20 Hz) to fMax (the
 *     Nyquist frequency); feature = ln(E_m + floor) (floor 1e−6: digital silence gives exactly ln 1e−6);
 *   normalize 'utterance': per mel bin, minus its mean over the utterance's frames, divided by its
 *     standard deviation (population; a bin with std < 1e−5 is only centred), so each bin has mean 0 and
 *     std 1 (cepstral mean and variance normalisation, per utterance). Default 'none'.
 *
 * nMels defaults to 40: the classic filterbank size for ASR front ends (Kaldi's fbank recipes, Graves et
 * al.'s TIMIT/WSJ models); 80 (Whisper, Conformer) resolves pitch harmonics better but doubles the input of
 * every first layer, and these models train on two CPU cores — and on eSpeak's formant synthesis, whose
 * spectra carry no detail that 40 bands lose. Pass nMels: 80 where it matters.
 *
 * Samples may be floats in [−1, 1] or int16 (scaled by 1/32768). Plain JS (browser-safe, the same on every
 * tfjs backend); a LogMel instance holds the tables and is reused for many utterances, `batch` pads them
 * into one [B, maxFrames, nMels] block with their frame counts (feed it to tf.tensor3d).
 */
import { z } from 'zod';
import { PowerSpectrum } from './fft.js';
import { melFilterbank, type MelFilterbank } from './mel.js';

export const logMelOptionsSchema = z.strictObject({
  sampleRate: z.number().int().positive().optional(),
  windowMs: z.number().positive().optional(),
  hopMs: z.number().positive().optional(),
  nMels: z.number().int().positive().optional(),
  fMin: z.number().nonnegative().optional(),
  fMax: z.number().positive().optional(),
  nFft: z.number().int().positive().optional(),
  floor: z.number().positive().optional(),
  normalize: z.enum(['none', 'utterance']).optional(),
});

export type LogMelOptions = z.infer<typeof logMelOptionsSchema>;

export interface LogMelConfig {
  sampleRate: number;
  windowMs: number;
  hopMs: number;
  nMels: number;
  fMin: number;
  fMax: number;
  nFft: number;
  floor: number;
  normalize: 'none' | 'utterance';
  /** Window and hop in samples. */
  win: number;
  hop: number;
}

/** Features of one utterance: `data` is row-major [frames, nMels]. */
export interface LogMelFeatures {
  frames: number;
  nMels: number;
  data: Float32Array;
}

/** Features of several utterances, padded: `data` is row-major [batch, maxFrames, nMels]. */
export interface LogMelBatch {
  batch: number;
  maxFrames: number;
  nMels: number;
  /** Frames of each utterance (rows past it are `padValue`). */
  frames: number[];
  data: Float32Array;
}

export type AudioSamples = Float32Array | Float64Array | Int16Array | readonly number[];

export function logMelConfig(options: LogMelOptions = {}): LogMelConfig {
  const parsed = logMelOptionsSchema.safeParse(options);
  if (!parsed.success) throw new Error(`log-mel options: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'options'}: ${i.message}`).join('; ')}`);
  const o = parsed.data;
  const sampleRate = o.sampleRate ?? 16000;
  const windowMs = o.windowMs ?? 25, hopMs = o.hopMs ?? 10;
  const win = Math.round((sampleRate * windowMs) / 1000), hop = Math.round((sampleRate * hopMs) / 1000);
  if (win < 2 || hop < 1) throw new Error(`log-mel options: a ${windowMs} ms window / ${hopMs} ms hop is under 2 / 1 samples at ${sampleRate} Hz`);
  const nFft = o.nFft ?? 2 ** Math.ceil(Math.log2(win));
  if ((nFft & (nFft - 1)) !== 0) throw new Error(`log-mel options: nFft must be a power of two, got ${nFft}`);
  if (nFft < win) throw new Error(`log-mel options: nFft ${nFft} is shorter than the ${win}-sample window`);
  return {
    sampleRate, windowMs, hopMs, win, hop, nFft,
    nMels: o.nMels ?? 40,
    fMin: o.fMin ?? 20,
    fMax: o.fMax ?? sampleRate / 2,
    floor: o.floor ?? 1e-6,
    normalize: o.normalize ?? 'none',
  };
}

/** Frames of an N-sample signal: 1 + floor((N − win)/hop) when N ≥ win, else 0. */
export function frameCount(n: number, win: number, hop: number): number {
  return n >= win ? 1 + Math.floor((n - win) / hop) : 0;
}

export class LogMel {
  readonly config: LogMelConfig;
  readonly filterbank: MelFilterbank;
  private readonly window: Float64Array;
  private readonly fft: PowerSpectrum;
  private readonly frame: Float64Array;
  private readonly power: Float64Array;

  constructor(options: LogMelOptions = {}) {
    this.config = logMelConfig(options);
    const c = this.config;
    this.filterbank = melFilterbank(c.nMels, c.nFft, c.sampleRate, c.fMin, c.fMax);
    this.window = new Float64Array(c.win);
    for (let i = 0; i < c.win; i++) this.window[i] = 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / c.win);
    this.fft = new PowerSpectrum(c.nFft);
    this.frame = new Float64Array(c.win);
    this.power = new Float64Array(c.nFft / 2 + 1);
  }

  frameCount(samples: number): number {
    return frameCount(samples, this.config.win, this.config.hop);
  }

  /** Features of one utterance ([frames, nMels]). */
  compute(samples: AudioSamples): LogMelFeatures {
    const frames = this.frameCount(samples.length);
    const data = new Float32Array(frames * this.config.nMels);
    this.computeInto(samples, data, 0);
    return { frames, nMels: this.config.nMels, data };
  }

  /** Features of several utterances in one zero-padded block (padding rows hold `padValue`). */
  batch(utterances: readonly AudioSamples[], padValue = 0): LogMelBatch {
    const nMels = this.config.nMels;
    const frames = utterances.map((u) => this.frameCount(u.length));
    const maxFrames = frames.reduce((m, f) => Math.max(m, f), 0);
    const data = new Float32Array(utterances.length * maxFrames * nMels);
    if (padValue !== 0) data.fill(padValue);
    utterances.forEach((u, b) => this.computeInto(u, data, b * maxFrames * nMels));
    return { batch: utterances.length, maxFrames, nMels, frames, data };
  }

  private computeInto(samples: AudioSamples, out: Float32Array, offset: number): void {
    const { win, hop, nMels, floor, normalize } = this.config;
    const scale = samples instanceof Int16Array ? 1 / 32768 : 1;
    const frames = this.frameCount(samples.length);
    const { filters } = this.filterbank;
    for (let t = 0; t < frames; t++) {
      const s0 = t * hop;
      for (let i = 0; i < win; i++) this.frame[i] = samples[s0 + i]! * scale * this.window[i]!;
      this.fft.compute(this.frame, this.power);
      const row = offset + t * nMels;
      for (let m = 0; m < nMels; m++) {
        const { start, weights } = filters[m]!;
        let e = 0;
        for (let j = 0; j < weights.length; j++) e += weights[j]! * this.power[start + j]!;
        out[row + m] = Math.log(e + floor);
      }
    }
    if (normalize === 'utterance' && frames > 0) normalizePerBin(out, offset, frames, nMels);
  }
}

/** In place: each of the nMels columns of the [frames, nMels] block at `offset` to mean 0, std 1. */
export function normalizePerBin(data: Float32Array, offset: number, frames: number, nMels: number): void {
  for (let m = 0; m < nMels; m++) {
    let sum = 0;
    for (let t = 0; t < frames; t++) sum += data[offset + t * nMels + m]!;
    const mean = sum / frames;
    let sq = 0;
    for (let t = 0; t < frames; t++) {
      const d = data[offset + t * nMels + m]! - mean;
      sq += d * d;
    }
    const std = Math.sqrt(sq / frames);
    const inv = std < 1e-5 ? 1 : 1 / std;
    for (let t = 0; t < frames; t++) {
      const i = offset + t * nMels + m;
      data[i] = (data[i]! - mean) * inv;
    }
  }
}

/** Log-mel features of one utterance (a LogMel built for this call; reuse a LogMel for many). */
export function logMel(samples: AudioSamples, options: LogMelOptions = {}): LogMelFeatures {
  return new LogMel(options).compute(samples);
}

/** Log-mel features of several utterances, zero-padded into [batch, maxFrames, nMels]. */
export function logMelBatch(utterances: readonly AudioSamples[], options: LogMelOptions = {}, padValue = 0): LogMelBatch {
  return new LogMel(options).batch(utterances, padValue);
}
