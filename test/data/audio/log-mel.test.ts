/**
 * Log-mel features (src/data/audio/log-mel.ts): frame count, a pure tone in the filter whose centre
 * (computed here from the HTK formula) is nearest, the floor for silence, per-utterance normalisation,
 * batching, int16 input, option errors.
 */
import { describe, expect, it } from 'vitest';
import { LogMel, logMel, logMelBatch } from '../../../src/data/audio/log-mel.js';

const sine = (f: number, n: number, amp = 0.5, rate = 16000) => Float32Array.from({ length: n }, (_, i) => amp * Math.sin((2 * Math.PI * f * i) / rate));

/** Mel-filter centres by hand: nMels + 2 points evenly spaced in mel = 2595·log10(1 + f/700). */
function centres(nMels: number, fMin: number, fMax: number): number[] {
  const mel = (f: number) => 2595 * Math.log10(1 + f / 700);
  const hz = (m: number) => 700 * (Math.pow(10, m / 2595) - 1);
  const a = mel(fMin), b = mel(fMax);
  return Array.from({ length: nMels }, (_, i) => hz(a + ((b - a) * (i + 1)) / (nMels + 1)));
}

function meanPerBin(f: { frames: number; nMels: number; data: Float32Array }): number[] {
  const out = new Array<number>(f.nMels).fill(0);
  for (let t = 0; t < f.frames; t++) for (let m = 0; m < f.nMels; m++) out[m]! += f.data[t * f.nMels + m]! / f.frames;
  return out;
}

const argmax = (xs: number[]) => xs.reduce((best, x, i) => (x > xs[best]! ? i : best), 0);

describe('logMel', () => {
  it('has 1 + floor((N − 400)/160) frames of 25 ms every 10 ms at 16 kHz, and none below one window', () => {
    const lm = new LogMel();
    expect(lm.config).toMatchObject({ win: 400, hop: 160, nFft: 512, nMels: 40, fMin: 20, fMax: 8000 });
    for (const [n, frames] of [[0, 0], [399, 0], [400, 1], [559, 1], [560, 2], [16000, 98], [16001, 98], [16080, 99]] as const) {
      const f = lm.compute(new Float32Array(n));
      expect(f.frames).toBe(frames);
      expect(f.data.length).toBe(frames * 40);
    }
    expect(logMel(new Float32Array(800), { windowMs: 20, hopMs: 5, nMels: 80 })).toMatchObject({ frames: 1 + Math.floor((800 - 320) / 80), nMels: 80 });
  });

  it('puts a pure tone in the mel bin whose centre is nearest the tone', () => {
    for (const nMels of [40, 80]) {
      const c = centres(nMels, 20, 8000);
      // tones a fifth of the way from one centre to the next, and at centres, across the range
      const bins = nMels === 40 ? [3, 8, 15, 22, 30, 37] : [6, 17, 31, 48, 63, 77];
      for (const k of bins) {
        for (const tone of [c[k]!, c[k]! + 0.2 * (c[k + 1]! - c[k]!), c[k]! - 0.2 * (c[k]! - c[k - 1]!)]) {
          const nearest = argmax(c.map((x) => -Math.abs(x - tone)));
          expect(nearest).toBe(k);
          expect(argmax(meanPerBin(logMel(sine(tone, 4000), { nMels })))).toBe(k);
        }
      }
    }
  });

  it('gives exactly ln(floor) for digital silence, whatever the floor', () => {
    for (const floor of [1e-6, 1e-10]) {
      const f = logMel(new Float32Array(3200), { floor });
      expect(f.frames).toBe(18);
      expect(new Set(f.data)).toEqual(new Set([Math.fround(Math.log(floor))]));
    }
  });

  it("normalize: 'utterance' gives every bin mean 0 and std 1 over the frames", () => {
    let s = 1;
    const rand = () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32) * 2 - 1;
    // noise under a tone whose loudness changes: every bin varies over time
    const x = Float32Array.from({ length: 8000 }, (_, i) => 0.05 * rand() + (0.3 + 0.25 * Math.sin(i / 900)) * Math.sin(i * 0.3));
    const f = logMel(x, { normalize: 'utterance' });
    for (let m = 0; m < f.nMels; m++) {
      let mean = 0, sq = 0;
      for (let t = 0; t < f.frames; t++) mean += f.data[t * f.nMels + m]! / f.frames;
      for (let t = 0; t < f.frames; t++) sq += (f.data[t * f.nMels + m]! - mean) ** 2 / f.frames;
      expect(Math.abs(mean)).toBeLessThan(1e-5);
      expect(Math.sqrt(sq)).toBeCloseTo(1, 4);
    }
    // a constant bin (silence) is only centred
    expect(new Set(logMel(new Float32Array(1000), { normalize: 'utterance' }).data)).toEqual(new Set([0]));
  });

  it('batches utterances into [B, maxFrames, nMels] with their frame counts, padded; int16 input is scaled', () => {
    const a = sine(500, 1600), b = sine(2000, 4000, 0.3), c = new Float32Array(100);
    const lm = new LogMel({ nMels: 24 });
    const batch = lm.batch([a, b, c], -1);
    expect(batch).toMatchObject({ batch: 3, maxFrames: 23, nMels: 24, frames: [8, 23, 0] });
    expect(batch.data.length).toBe(3 * 23 * 24);
    const fa = lm.compute(a).data, fb = lm.compute(b).data;
    expect(batch.data.subarray(0, fa.length)).toEqual(fa);
    expect(new Set(batch.data.subarray(fa.length, 23 * 24))).toEqual(new Set([-1]));
    expect(batch.data.subarray(23 * 24, 23 * 24 + fb.length)).toEqual(fb);
    expect(new Set(batch.data.subarray(2 * 23 * 24))).toEqual(new Set([-1]));
    expect(logMelBatch([a], { nMels: 24 }).data).toEqual(fa);
    const ints = Int16Array.from(a, (v) => Math.round(v * 32768));
    const fromInts = lm.compute(ints).data;
    const fromFloats = lm.compute(Float32Array.from(ints, (v) => v / 32768)).data;
    for (let i = 0; i < fromInts.length; i++) expect(fromInts[i]).toBeCloseTo(fromFloats[i]!, 4);
  });

  it('refuses impossible options', () => {
    expect(() => new LogMel({ nFft: 500 })).toThrow(/nFft must be a power of two/);
    expect(() => new LogMel({ nFft: 256 })).toThrow(/shorter than the 400-sample window/);
    expect(() => new LogMel({ fMax: 9000 })).toThrow(/fMax ≤ sampleRate\/2/);
    expect(() => new LogMel({ nMels: 0 })).toThrow(/nMels/);
    expect(() => new LogMel({ windowMs: 0.05 })).toThrow(/under 2/);
    expect(() => new LogMel({ normalise: 'utterance' } as never)).toThrow(/log-mel options/);
  });
});
