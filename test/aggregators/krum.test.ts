import { describe, expect, it } from 'vitest';
import { aggregate, checkAggregatorOptions, weightsOf } from '../../src/aggregators/index.js';

// One coordinate per task: the distances are easy to check by hand.
const line = (xs: number[]) => xs.map((x) => [x]);

describe('krum', () => {
  it('hand case, f = 1 (T − f − 2 = 2 neighbours): the outlier is never chosen', () => {
    // Scores (sum of the 2 smallest squared distances): 0 → 1 + 6.25 = 7.25, 1 → 1 + 2.25 = 3.25,
    // 2.5 → 2.25 + 2.25 = 4.5, 4 → 2.25 + 9 = 11.25, 100 → 96² + 97².
    const G = line([0, 1, 2.5, 4, 100]);
    expect(weightsOf('krum', G)).toEqual([0, 1, 0, 0, 0]);
    expect(Array.from(aggregate('krum', G))).toEqual([1]);
    // Multi-Krum, m = 3: the three lowest scores, averaged.
    expect(aggregate('krum', G, { nSelected: 3 })[0]).toBeCloseTo((1 + 2.5 + 0) / 3, 6);
  });

  it('rows tied with the m-th score share its slot, whatever the order', () => {
    // 1 and 2 both score 1 + 1 = 2.
    const G = line([0, 1, 2, 3, 100]);
    expect(weightsOf('krum', G)).toEqual([0, 0.5, 0.5, 0, 0]);
    expect(weightsOf('krum', [...G].reverse())).toEqual([0, 0, 0.5, 0.5, 0]);
    expect(aggregate('krum', G)[0]).toBeCloseTo(1.5, 7);
  });

  it('needs T ≥ 2f + 3 and m ≤ T: a clear error otherwise', () => {
    expect(() => aggregate('krum', line([0, 1, 2, 3]))).toThrow(/"krum": needs at least 2·nByzantine \+ 3 = 5 tasks, got 4/);
    expect(() => aggregate('krum', line([0, 1, 2]), { nByzantine: 0, nSelected: 4 })).toThrow(/"krum": nSelected = 4/);
    expect(aggregate('krum', line([0, 1, 5]), { nByzantine: 0 })[0]).toBeCloseTo(0.5, 7); // f = 0: the closest pair ties
    expect(() => checkAggregatorOptions('krum', { nByzantine: -1 })).toThrow(/krum.*nByzantine/);
    expect(() => checkAggregatorOptions('krum', { nSelected: 0 })).toThrow(/krum.*nSelected/);
    expect(() => checkAggregatorOptions('krum', { nByzantine: 2, nSelected: 3, mode: 'rep' })).not.toThrow();
  });
});
