import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../src/data/split.js';
import { combine, gramian, leastSquares, norm, solve, symEig } from '../../src/aggregators/linalg.js';
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

  it('solve and leastSquares', () => {
    expect(solve([[0, 2], [1, 1]], [4, 3])).toEqual([1, 2]);
    expect(solve([[1, 2], [2, 4]], [1, 2])).toBeNull();
    // Singular: the minimum-norm least-squares solution of x + y = 2 (twice) is (1, 1).
    const x = leastSquares([[1, 1], [1, 1]], [2, 2]);
    expect(x[0]).toBeCloseTo(1, 10);
    expect(x[1]).toBeCloseTo(1, 10);
  });

  it('nnls (min ‖Az − b‖², z ≥ 0, on Q = AᵀA, q = Aᵀb) satisfies the KKT conditions on random problems', () => {
    const rand = mulberry32(11);
    for (let trial = 0; trial < 50; trial++) {
      const T = 2 + (trial % 7);
      const G = randomGrads(T, 3 + (trial % 5), 100 + trial); // often T > P: singular Q
      const Q = gram(G);
      // q = Aᵀb with A = Gᵀ (q in the range of Q, so the problem is bounded).
      const b = Array.from({ length: G[0]!.length }, () => 2 * rand() - 1);
      const q = G.map((g) => g.reduce((s, x, k) => s + x * b[k]!, 0));
      const z = nnls(Q, q);
      const w = q.map((qi, i) => qi - Q[i]!.reduce((s, m, k) => s + m * z[k]!, 0));
      const scale = Math.max(...Q.map((r, i) => r[i]!)) * Math.max(1, ...z) + Math.max(...q.map(Math.abs));
      z.forEach((zi, i) => {
        expect(zi).toBeGreaterThanOrEqual(0);
        expect(w[i]).toBeLessThanOrEqual(1e-9 * scale);
        if (zi > 0) expect(Math.abs(w[i]!)).toBeLessThanOrEqual(1e-9 * scale);
      });
    }
  });

  it('minNormSimplex: the closest point of a segment and of a hull', () => {
    expect(minNormSimplex([[1, 0], [0, 1]]).map((a) => +a.toFixed(12))).toEqual([0.5, 0.5]);
    // Points (1,0) and (1,1): the closest point is (1,0) itself.
    expect(minNormSimplex([[1, 1], [1, 2]]).map((a) => +a.toFixed(12))).toEqual([1, 0]);
    expect(minNormSimplex([[0, 0], [0, 0]])).toEqual([0.5, 0.5]);
  });
});
