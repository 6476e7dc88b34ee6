import { describe, expect, it } from 'vitest';
import { aggregate, weightsOf } from '../../src/aggregators/index.js';

describe('sum and mean', () => {
  const G = [
    [1, 2, 3],
    [-3, 0, 1],
  ];
  it('by hand', () => {
    expect(Array.from(aggregate('sum', G))).toEqual([-2, 2, 4]);
    expect(Array.from(aggregate('mean', G))).toEqual([-1, 1, 2]);
    expect(aggregate('mean', [Float32Array.from([1, 2]), Float32Array.from([3, 4]), Float32Array.from([5, 0])])).toEqual(Float32Array.from([3, 2]));
  });
  it('weights', () => {
    expect(weightsOf('sum', G)).toEqual([1, 1]);
    expect(weightsOf('mean', G)).toEqual([0.5, 0.5]);
  });
});
