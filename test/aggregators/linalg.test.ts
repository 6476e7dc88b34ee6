import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../src/data/split.js';
import { combine, dot, gramian, leastSquares, norm, solve, symEig } from '../../src/aggregators/linalg.js';
import { nnls } from '../../src/aggregators/nnls.js';
import { minNormSimplex } from '../../src/aggregators/simplex.js';
import { gram, randomGrads } from './helpers.js';

const matmul = (A: number[][], B: number[][]): number[][] => A.map((r) => B[0]!.map((_, j) => r.reduce((s, x, k) => s + x * B[k]![j]!, 0)));
const transpose = (A: number[][]): number[][] => A[0]!.map((_, j) => A.map((r) => r[j]!));

describe('linalg', () => {
  it('dot, norm, gramian and combination by hand', () => {
    expect(dot([1, 2, 3], Float32Array.from([4, 5, 6]))).toBe(32);
    expect(norm([3, 4])).toBe(5);
    expect(gramian([[1, 0], [1, 2]])).toEqual([[1, 1], [1, 5]]);
    const d = combine([[1, 0], [1, 2]], [2, -1]);
    expect(d).toBeInstanceOf(Float32Array);
    expect(Array.from(d)).toEqual([1, -2]);
  });

  it('symEig: known eigenvalues, and A = VΛVᵀ with V orthonormal', () => {
    const { values } = symEig([[2, 1], [1, 2]]);
    expect(values[0]).toBeCloseTo(3, 12);
    expect(values[1]).toBeCloseTo(1, 12);
    const G = randomGrads(6, 4, 3); // rank 4: two zero eigenvalues
    const A = gram(G);
    const { values: lam, vectors: V } = symEig(A);
    expect([...lam].sort((a, b) => b - a)).toEqual(lam);
    const recon = matmul(matmul(V, lam.map((l, i) => lam.map((_, j) => (i === j ? l : 0)))), transpose(V));
    const VtV = matmul(transpose(V), V);
    for (let i = 0; i < 6; i++) {
      for (let j = 0; j < 6; j++) {
        expect(recon[i]![j]).toBeCloseTo(A[i]![j]!, 9);
        expect(VtV[i]![j]).toBeCloseTo(i === j ? 1 : 0, 12);
      }
    }
    expect(Math.abs(lam[4]!)).toBeLessThan(1e-12 * lam[0]!);
    expect(Math.abs(lam[5]!)).toBeLessThan(1e-12 * lam[0]!);
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
