/**
 * The hash split of a streamed file: a row's side depends only on its key and the seed (so every pass
 * agrees, with nothing stored), the sides come out at about the requested fractions, and the seed moves
 * rows between sides.
 */
import { describe, expect, it } from 'vitest';
import { hashSide, hashUnit, type Side } from '../../../src/data/hash-split.js';

const o = { seed: 3, testFraction: 0.2, validationFraction: 0.1 };

describe('hash split', () => {
  it('is stable across passes and about the requested fractions', () => {
    const n = 100_000;
    const pass = () => Array.from({ length: n }, (_, i) => hashSide(i, o));
    const first = pass();
    expect(pass()).toEqual(first);
    const count = (s: Side) => first.filter((x) => x === s).length / n;
    expect(count('test')).toBeCloseTo(0.2, 2);
    expect(count('validation')).toBeCloseTo(0.8 * 0.1, 2);
    expect(count('train')).toBeCloseTo(0.72, 2);
  });

  it('depends on the seed; text keys (groups) hash too', () => {
    const a = Array.from({ length: 1000 }, (_, i) => hashSide(i, o));
    const b = Array.from({ length: 1000 }, (_, i) => hashSide(i, { ...o, seed: 4 }));
    expect(a.filter((x, i) => x !== b[i]).length).toBeGreaterThan(200);
    expect(hashSide('user-17', o)).toBe(hashSide('user-17', o));
    const groups = Array.from({ length: 10_000 }, (_, i) => hashSide(`g${i}`, o));
    expect(groups.filter((s) => s === 'test').length / 10_000).toBeCloseTo(0.2, 1);
  });

  it('is uniform: the deciles of hashUnit over consecutive keys are even', () => {
    const bins = new Array<number>(10).fill(0);
    for (let i = 0; i < 50_000; i++) bins[Math.floor(hashUnit(i, 11) * 10)]!++;
    for (const b of bins) expect(Math.abs(b - 5000)).toBeLessThan(300);
    expect(hashSide(5, { seed: 0, testFraction: 0, validationFraction: 0 })).toBe('train');
  });
});
