import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../src/data/split.js';
import { combine, gramian, leastSquaresQR, norm, solve, symEig } from '../../src/aggregators/linalg.js';
import { nnls } from '../../src/aggregators/nnls.js';
import { minNormSimplex } from '../../src/aggregators/simplex.js';
import { jacobiEigen } from '../../src/util/linalg.js';
import { gram, randomGrads } from './helpers.js';

describe('linalg', () => {
  it('norm, gramian and combination by hand', () => {
    expect(norm([3, 4])).toBe(5);
    expect(gramian([[1, 0], [1, 2]])).toEqual([[1, 1], [1, 5]]);
    const d = combine([[1, 0], [1, 2]], [2, -1]);
    expect(d).toBeInstanceOf(Float32Array);
    expect(Array.from(d)).toEqual([1, -2]);
  });

  it('symEig is util/linalg\'s jacobiEigen on number[][] (values decreasing, vectors[i][k] = component i of the k-th)', () => {
    const A = gram(randomGrads(6, 4, 3));
    const { values, vectors } = symEig(A);
    const flat = jacobiEigen(A.flat(), 6);
    expect(values).toEqual(Array.from(flat.values));
    expect(vectors).toEqual(Array.from({ length: 6 }, (_, i) => Array.from(flat.vectors.subarray(i * 6, i * 6 + 6))));
    expect(symEig([])).toEqual({ values: [], vectors: [] });
  });

  it('solve and leastSquaresQR', () => {
    expect(solve([[0, 2], [1, 1]], [4, 3])).toEqual([1, 2]);
    expect(solve([[1, 2], [2, 4]], [1, 2])).toBeNull();
    // Overdetermined: the least-squares line through (0, 1), (1, 2), (2, 4) is y = 5/6 + 1.5x.
    const x = leastSquaresQR([[1, 0], [1, 1], [1, 2]], [1, 2, 4])!;
    expect(x[0]).toBeCloseTo(5 / 6, 12);
    expect(x[1]).toBeCloseTo(1.5, 12);
    // Dependent columns: rank-deficient to working precision.
    expect(leastSquaresQR([[1, 2], [2, 4], [3, 6]], [1, 2, 3])).toBeNull();
    // Column scales 1e-10 and 1e10 side by side are no problem (the test is per column).
    const y = leastSquaresQR([[1e-10, 0], [0, 1e10], [1e-10, 0]], [1e-10, 2e10, 3e-10])!;
    expect(y[0]).toBeCloseTo(2, 12);
    expect(y[1]).toBeCloseTo(2, 12);
  });

  it('nnls (min ‖Az − b‖², z ≥ 0) satisfies the KKT conditions on random problems, dependent columns included', () => {
    const rand = mulberry32(11);
    for (let trial = 0; trial < 50; trial++) {
      const m = 2 + (trial % 5);
      const n = 2 + (trial % 7); // often n > m: dependent columns
      const A = randomGrads(m, n, 100 + trial);
      const b = Array.from({ length: m }, () => 2 * rand() - 1);
      const z = nnls(A, b);
      const r = A.map((row, i) => b[i]! - row.reduce((s, a, k) => s + a * z[k]!, 0));
      const w = Array.from({ length: n }, (_, k) => A.reduce((s, row, i) => s + row[k]! * r[i]!, 0));
      const scale = Math.max(...A.flat().map(Math.abs)) * Math.max(1, ...b.map(Math.abs));
      z.forEach((zk, k) => {
        expect(zk).toBeGreaterThanOrEqual(0);
        expect(w[k]).toBeLessThanOrEqual(1e-9 * scale);
        if (zk > 0) expect(Math.abs(w[k]!)).toBeLessThanOrEqual(1e-9 * scale);
      });
    }
  });

  it('minNormSimplex: the closest point of a segment and of a hull', () => {
    expect(minNormSimplex([[1, 0], [0, 1]]).map((a) => +a.toFixed(12))).toEqual([0.5, 0.5]);
    // Points (1,0) and (1,1): the closest point is (1,0) itself (to the ridge ε = 1e-10 of gramian-factor.ts).
    minNormSimplex([[1, 1], [1, 2]]).forEach((a, i) => expect(a).toBeCloseTo([1, 0][i]!, 9));
    // A zero row puts 0 in the hull: the weight goes to the zero rows.
    expect(minNormSimplex([[1, 0, 0], [0, 0, 0], [0, 0, 0]])).toEqual([0, 0.5, 0.5]);
    expect(minNormSimplex([[0, 0], [0, 0]])).toEqual([0.5, 0.5]);
  });
});
