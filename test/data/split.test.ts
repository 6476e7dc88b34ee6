import { describe, expect, it } from 'vitest';
import { mulberry32, shuffleIndices, subsetDataset, trainTestSplit } from '../../src/data/split.js';
import type { Dataset } from '../../src/data/types.js';

describe('seeded utilities', () => {
  it('mulberry32 is deterministic and in [0, 1)', () => {
    const a = mulberry32(42);
    const b = mulberry32(42);
    const xs = Array.from({ length: 1000 }, () => a());
    expect(xs).toEqual(Array.from({ length: 1000 }, () => b()));
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    expect(mulberry32(43)()).not.toBe(xs[0]);
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
    expect(mean).toBeGreaterThan(0.45);
    expect(mean).toBeLessThan(0.55);
  });

  it('shuffleIndices is a seeded permutation', () => {
    const p = shuffleIndices(100, 7);
    expect([...p].sort((x, y) => x - y)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(shuffleIndices(100, 7)).toEqual(p);
    expect(shuffleIndices(100, 8)).not.toEqual(p);
  });

  it('trainTestSplit partitions 0..n-1', () => {
    const s = trainTestSplit(768, 0.2, 0);
    expect(s.test).toHaveLength(154);
    expect(s.train).toHaveLength(614);
    expect(new Set([...s.train, ...s.test]).size).toBe(768);
    expect(trainTestSplit(768, 0.2, 0)).toEqual(s);
    expect(trainTestSplit(768, 0.2, 1).test).not.toEqual(s.test);
    expect(() => trainTestSplit(10, 1.5, 0)).toThrow();
  });

  it('subsetDataset copies rows of x and labels', () => {
    const ds: Dataset = {
      name: 'd',
      inputShape: [2],
      n: 3,
      x: Float32Array.from([0, 1, 10, 11, 20, 21]),
      tasks: [
        { name: 'c', kind: 'multiclass', width: 1, outputSize: 3, labelNames: ['a', 'b', 'c'] },
        { name: 'r', kind: 'regression', width: 2, outputSize: 2 },
      ],
      labels: { c: Float32Array.from([0, 1, 2]), r: Float32Array.from([0, 0.5, 1, 1.5, 2, NaN]) },
    };
    const sub = subsetDataset(ds, [2, 0]);
    expect(sub.n).toBe(2);
    expect(Array.from(sub.x)).toEqual([20, 21, 0, 1]);
    expect(Array.from(sub.labels['c']!)).toEqual([2, 0]);
    expect(Array.from(sub.labels['r']!)).toEqual([2, NaN, 0, 0.5]);
    sub.x[0] = 99;
    expect(ds.x[4]).toBe(20); // a copy
    expect(() => subsetDataset(ds, [3])).toThrow(/out of range/);
  });
});
