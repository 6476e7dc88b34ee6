/**
 * resample (src/data/audio/resample.ts): a band-limited sine resampled is the same sine sampled at the
 * new rate (so it keeps its frequency, amplitude and phase); what the lower rate cannot hold is removed,
 * not aliased; the length is ceil(N·to/from).
 */
import { describe, expect, it } from 'vitest';
import { besselI0, resample } from '../../../src/data/audio/resample.js';

const sine = (f: number, rate: number, n: number, amp = 1) => Float32Array.from({ length: n }, (_, i) => amp * Math.sin((2 * Math.PI * f * i) / rate));

/** Largest |y[i] − expected(i)| away from the edges (the filter sees zeros past the ends). */
function maxError(y: Float32Array, expected: (i: number) => number, margin: number): number {
  let worst = 0;
  for (let i = margin; i < y.length - margin; i++) worst = Math.max(worst, Math.abs(y[i]! - expected(i)));
  return worst;
}

/** Frequency from the first and last upward zero crossings (linearly interpolated). */
function zeroCrossingFrequency(y: Float32Array, rate: number, margin: number): number {
  const ups: number[] = [];
  for (let i = margin; i < y.length - margin - 1; i++) if (y[i]! <= 0 && y[i + 1]! > 0) ups.push(i + y[i]! / (y[i]! - y[i + 1]!));
  return ((ups.length - 1) * rate) / (ups[ups.length - 1]! - ups[0]!);
}

function rms(y: Float32Array, margin: number): number {
  let s = 0;
  for (let i = margin; i < y.length - margin; i++) s += y[i]! ** 2;
  return Math.sqrt(s / (y.length - 2 * margin));
}

describe('resample', () => {
  it('22,050 → 16,000 Hz: a 1 kHz sine comes out as the 1 kHz sine sampled at 16 kHz', () => {
    const y = resample(sine(1000, 22050, 22050, 0.8), 22050, 16000);
    expect(y.length).toBe(16000);
    expect(maxError(y, (i) => 0.8 * Math.sin((2 * Math.PI * 1000 * i) / 16000), 64)).toBeLessThan(2e-3);
    expect(zeroCrossingFrequency(y, 16000, 64)).toBeCloseTo(1000, 1);
  });

  it('removes a 9 kHz tone (above the new 8 kHz Nyquist) instead of aliasing it to 7 kHz', () => {
    const y = resample(sine(9000, 22050, 11025), 22050, 16000);
    expect(rms(y, 64)).toBeLessThan(1e-3); // the input's RMS is 0.707: ≥ 57 dB down
  });

  it('upsamples 8 → 16 kHz and converts 44.1 → 16 kHz and an odd ratio (16,001 → 16,000) the same way', () => {
    for (const [from, to, f] of [[8000, 16000, 440], [44100, 16000, 3000], [16001, 16000, 1234]] as const) {
      const n = Math.round(from / 4);
      const y = resample(sine(f, from, n, 0.5), from, to);
      expect(y.length).toBe(Math.ceil((n * to) / from));
      expect(maxError(y, (i) => 0.5 * Math.sin((2 * Math.PI * f * i) / to), 64)).toBeLessThan(2e-3);
    }
  });

  it('has length ceil(N·to/from), returns a copy at equal rates, and keeps a constant', () => {
    for (const n of [0, 1, 2, 440, 441, 1000]) expect(resample(new Float32Array(n), 22050, 16000).length).toBe(Math.ceil((n * 16000) / 22050));
    const x = Float32Array.from([1, 2, 3]);
    const same = resample(x, 16000, 16000);
    expect([...same]).toEqual([1, 2, 3]);
    expect(same).not.toBe(x);
    const dc = resample(new Float32Array(2000).fill(0.25), 22050, 16000);
    expect(maxError(dc, () => 0.25, 40)).toBeLessThan(1e-6);
    expect(() => resample(x, 0, 16000)).toThrow(/from must be a positive integer/);
    expect(() => resample(x, 22050, 16000.5)).toThrow(/to must be a positive integer/);
  });

  it('besselI0 matches tabulated values', () => {
    // Abramowitz & Stegun, table 9.8: I0(1) = 1.266065878, I0(5) = 27.23987182
    expect(besselI0(0)).toBe(1);
    expect(besselI0(1)).toBeCloseTo(1.266065878, 8);
    expect(besselI0(5)).toBeCloseTo(27.23987182, 6);
  });
});
