import { describe, expect, it } from 'vitest';
import { aggregate, checkAggregatorOptions, isGramianMethod } from '../../src/aggregators/index.js';

describe('trimmed-mean', () => {
  it('hand case: per coordinate, the b largest and b smallest values are dropped', () => {
    // Columns: [1, 2, 3, 4, 100] → mean(2, 3, 4) = 3; [−5, 0, 1, 0, 5] → mean(0, 0, 1) = 1/3.
    const G = [
      [100, 0],
      [2, 5],
      [4, -5],
      [1, 0],
      [3, 1],
    ];
    const d = aggregate('trimmed-mean', G);
    expect(d[0]).toBeCloseTo(3, 6);
    expect(d[1]).toBeCloseTo(1 / 3, 6);
    // b = 2 of 5: the median per coordinate; b = 0: the mean.
    expect(Array.from(aggregate('trimmed-mean', G, { trim: 2 }))).toEqual([3, 0]);
    expect(aggregate('trimmed-mean', G, { trim: 0 })[0]).toBeCloseTo(22, 5);
    expect(isGramianMethod('trimmed-mean')).toBe(false);
  });

  it('needs T > 2·trim: a clear error otherwise', () => {
    expect(() => aggregate('trimmed-mean', [[1], [2]])).toThrow(/"trimmed-mean": trim = 1 drops 2·1 = 2 of the 2 values .* needs more than 2 tasks/);
    expect(() => checkAggregatorOptions('trimmed-mean', { trim: 1.5 })).toThrow(/trimmed-mean.*trim/);
    expect(() => checkAggregatorOptions('trimmed-mean', { trim: 2, mode: 'rep' })).not.toThrow();
  });
});
