/**
 * A small seeded "spoken" set for the audio model tests: each utterance is 2–4 pure tones from an
 * alphabet of 4 (each tone a "character"), with random durations, gaps and lead-in, at 16 kHz, turned
 * into log band energies [frames, bins] by a tiny local stand-in for src/data/audio's logMel (25 ms Hann
 * window, 10 ms hop, the power at `bins` log-spaced frequencies by a direct DFT, log(· + 1e-6),
 * standardised by fixed constants), padded at the end with all-zero frames. Tasks: `transcript` (ctc:
 * the tones in order) and `first` (multiclass: the first tone).
 */
import { mulberry32 } from '../../../src/data/split.js';
import type { Dataset } from '../../../src/data/types.js';

export const SAMPLE_RATE = 16000;
export const HOP = 160;
export const WINDOW = 400;
export const BINS = 12;
/** The tones' frequencies: the "characters" a, b, c, d. */
export const TONES = [300, 600, 1200, 2400];
export const ALPHABET = ['a', 'b', 'c', 'd'];
const BIN_FREQS = Array.from({ length: BINS }, (_, k) => 200 * Math.pow(2, k / 3));

/** Samples of one utterance and its tones. */
export function utterance(rnd: () => number): { samples: Float32Array; tones: number[] } {
  const n = 2 + Math.floor(rnd() * 3);
  const tones = Array.from({ length: n }, () => Math.floor(rnd() * TONES.length));
  const pieces: number[] = [];
  const silence = (frames: number) => { for (let i = 0; i < frames * HOP; i++) pieces.push((rnd() - 0.5) * 0.002); };
  silence(Math.floor(rnd() * 4));
  tones.forEach((t, i) => {
    const len = (8 + Math.floor(rnd() * 5)) * HOP;
    const f = TONES[t]! * (1 + (rnd() - 0.5) * 0.04), phase = rnd() * 2 * Math.PI, amp = 0.3 + 0.4 * rnd();
    for (let j = 0; j < len; j++) pieces.push(amp * Math.sin(phase + (2 * Math.PI * f * j) / SAMPLE_RATE) + (rnd() - 0.5) * 0.002);
    if (i < n - 1) silence(3 + Math.floor(rnd() * 3));
  });
  silence(2);
  return { samples: Float32Array.from(pieces), tones };
}

const WIN = Float64Array.from({ length: WINDOW }, (_, i) => 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / (WINDOW - 1)));
const COS = BIN_FREQS.map((f) => Float64Array.from({ length: WINDOW }, (_, i) => WIN[i]! * Math.cos((2 * Math.PI * f * i) / SAMPLE_RATE)));
const SIN = BIN_FREQS.map((f) => Float64Array.from({ length: WINDOW }, (_, i) => WIN[i]! * Math.sin((2 * Math.PI * f * i) / SAMPLE_RATE)));

/** Log band energies [frames, BINS], frames = 1 + ⌊(N − WINDOW) / HOP⌋, standardised by fixed constants. */
export function features(samples: Float32Array): Float32Array[] {
  const frames = 1 + Math.floor((samples.length - WINDOW) / HOP);
  const out: Float32Array[] = [];
  for (let t = 0; t < frames; t++) {
    const row = new Float32Array(BINS);
    for (let k = 0; k < BINS; k++) {
      let re = 0, im = 0;
      const c = COS[k]!, s = SIN[k]!;
      for (let i = 0; i < WINDOW; i++) {
        const x = samples[t * HOP + i]!;
        re += x * c[i]!;
        im += x * s[i]!;
      }
      row[k] = (Math.log(re * re + im * im + 1e-6) + 6) / 6;
    }
    out.push(row);
  }
  return out;
}

/** n utterances padded to `frames` frames; transcript labels padded to 4 with NaN. */
export function toneDataset(n: number, seed: number, frames: number): Dataset {
  const rnd = mulberry32(seed);
  const x = new Float32Array(n * frames * BINS);
  const transcript = new Float32Array(n * 4).fill(NaN);
  const first = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const u = utterance(rnd);
    const f = features(u.samples);
    if (f.length > frames) throw new Error(`utterance of ${f.length} frames > ${frames}`);
    f.forEach((row, t) => x.set(row, (i * frames + t) * BINS));
    u.tones.forEach((c, j) => { transcript[i * 4 + j] = c; });
    first[i] = u.tones[0]!;
  }
  return {
    name: 'tones', inputShape: [frames, BINS], n, x,
    tasks: [
      { name: 'transcript', kind: 'ctc', width: 4, outputSize: 4, labelNames: ALPHABET },
      { name: 'first', kind: 'multiclass', width: 1, outputSize: 4, labelNames: ALPHABET },
    ],
    labels: { transcript, first },
  };
}
