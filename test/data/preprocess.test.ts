import { describe, expect, it } from 'vitest';
import { encodeRow, encodeRows, featureNames, fitPreprocessing, isMissing } from '../../src/data/preprocess.js';
import type { FeatureSpec, PreprocessingState } from '../../src/data/types.js';

const SPECS: FeatureSpec[] = [
  { column: 'age', type: 'numeric' },
  { column: 'color', type: 'categorical' },
];

// Hand-worked: ages 1, 2, 3, 4 (one missing) → mean 2.5, population variance (2.25+0.25+0.25+2.25)/4 = 1.25.
const TRAIN = [
  { age: '1', color: 'red' },
  { age: 2, color: 'blue' },
  { age: '3', color: 'red' },
  { age: ' 4 ', color: 'green' },
  { age: '?', color: null },
];

describe('fitPreprocessing', () => {
  it('computes mean/std and sorted categories from the training rows', () => {
    const s = fitPreprocessing(SPECS, TRAIN);
    expect(s.inputSize).toBe(4);
    expect(s.features[0]).toEqual({ column: 'age', type: 'numeric', mean: 2.5, std: Math.sqrt(1.25) });
    expect(s.features[1]).toEqual({ column: 'color', type: 'categorical', categories: ['blue', 'green', 'red'] });
    expect(featureNames(s)).toEqual(['age', 'color=blue', 'color=green', 'color=red']);
    // JSON round trip (stored in the model manifest)
    expect(JSON.parse(JSON.stringify(s))).toEqual(s);
  });

  it('uses only the rows it is given (test rows never leak into statistics)', () => {
    const test = [{ age: 100, color: 'purple' }];
    const s = fitPreprocessing(SPECS, TRAIN);
    const sAll = fitPreprocessing(SPECS, [...TRAIN, ...test]);
    expect(s.features[0]).not.toEqual(sAll.features[0]);
    // the unseen category of the test row is not a category, and encodes to all zeros
    const x = encodeRows(s, test);
    expect(Array.from(x)).toEqual([Math.fround((100 - 2.5) / Math.sqrt(1.25)), 0, 0, 0]);
  });

  it('sets std 0 to 1 and handles an all-missing column', () => {
    const s = fitPreprocessing(
      [
        { column: 'c', type: 'numeric' },
        { column: 'm', type: 'numeric' },
      ],
      [
        { c: 5, m: null },
        { c: 5, m: '' },
      ],
    );
    expect(s.features).toEqual([
      { column: 'c', type: 'numeric', mean: 5, std: 1 },
      { column: 'm', type: 'numeric', mean: 0, std: 1 },
    ]);
  });

  it('sorts numeric-looking categories numerically', () => {
    const s = fitPreprocessing([{ column: 'k', type: 'categorical' }], [{ k: '10' }, { k: '2' }, { k: 1 }, { k: 'b' }, { k: 'a' }]);
    expect((s.features[0] as { categories: string[] }).categories).toEqual(['1', '2', '10', 'a', 'b']);
  });

  it('rejects non-numeric values and absent columns', () => {
    expect(() => fitPreprocessing(SPECS, [{ age: 'old', color: 'x' }])).toThrow(/column 'age'.*not a number: 'old'/);
    expect(() => fitPreprocessing(SPECS, [{ age: 1 }])).toThrow(/missing column 'color'/);
  });
});

describe('encodeRows', () => {
  const s: PreprocessingState = fitPreprocessing(SPECS, TRAIN);
  const std = Math.sqrt(1.25);

  it('lays out numeric values then one-hot blocks in feature order', () => {
    const x = encodeRows(s, [
      { age: 2.5, color: 'red' },
      { age: '4', color: 'blue' },
    ]);
    expect(x).toBeInstanceOf(Float32Array);
    expect(Array.from(x)).toEqual([0, 0, 0, 1, Math.fround(1.5 / std), 1, 0, 0]);
  });

  it('encodes missing values as the mean (0) and all-zero one-hot', () => {
    for (const missing of [null, undefined, '', '?', NaN, '  ']) {
      expect(Array.from(encodeRow(s, { age: missing, color: missing }))).toEqual([0, 0, 0, 0]);
    }
  });

  it('accepts numbers for categorical columns and trims text', () => {
    const s2 = fitPreprocessing([{ column: 'zone', type: 'categorical' }], [{ zone: '1' }, { zone: '2' }]);
    expect(Array.from(encodeRow(s2, { zone: 2 }))).toEqual([0, 1]);
    expect(Array.from(encodeRow(s2, { zone: ' 1 ' }))).toEqual([1, 0]);
  });

  it('throws a clear error for an unknown or absent column', () => {
    expect(() => encodeRows(s, [{ age: 1, color: 'red', colour: 'red' }])).toThrow("record 0: unknown column 'colour'");
    expect(() => encodeRows(s, [{ age: 1, color: 'red' }, { age: 1 }])).toThrow("record 1: missing column 'color'");
    expect(() => encodeRow(s, { age: 'abc', color: 'red' })).toThrow(/column 'age'.*not a number/);
    // extra keys (e.g. label columns) can be ignored on request
    expect(Array.from(encodeRow(s, { age: 2.5, color: 'red', income: '>50K' }, { extraColumns: 'ignore' }))).toEqual([0, 0, 0, 1]);
  });
});

describe('isMissing', () => {
  it('recognises the missing markers', () => {
    expect([null, undefined, NaN, '', ' ', '?', ' ? '].every(isMissing)).toBe(true);
    expect([0, '0', 'a', '?x', 'nano'].some(isMissing)).toBe(false);
    expect(isMissing('NaN')).toBe(true);
  });
});
