import { describe, expect, it } from 'vitest';
import { aggregate } from '../../src/aggregators/index.js';
import { alignedMtlMatrix } from '../../src/aggregators/aligned-mtl.js';
import { symEig } from '../../src/aggregators/linalg.js';
import { gram, maxAbsDiff, randomGrads, vmean } from './helpers.js';

const matmul = (A: number[][], B: number[][]): number[][] => A.map((r) => B[0]!.map((_, j) => r.reduce((s, x, k) => s + x * B[k]![j]!, 0)));

describe('aligned-mtl', () => {
  it('orthogonal equal-norm gradients: the mean', () => {
    const G = [
      [2, 0, 0, 0],
      [0, 0, -2, 0],
      [0, 2, 0, 0],
    ];
    expect(maxAbsDiff(aggregate('aligned-mtl', G), vmean(G))).toBeLessThan(1e-6);
  });

  it('orthogonal gradients of unequal norm are scaled down to the smallest norm', () => {
    // λ = 9, 1: B = diag(1/3, 1), d = (B G)ᵀ𝟙/2 = ([1, 0] + [0, 1]) / 2.
    const d = aggregate('aligned-mtl', [
      [3, 0],
      [0, 1],
    ]);
    expect(d[0]).toBeCloseTo(0.5, 6);
    expect(d[1]).toBeCloseTo(0.5, 6);
  });

  it('B GGᵀ B has every eigenvalue equal to λ_min on the span (0 off it)', () => {
    for (let seed = 0; seed < 20; seed++) {
      const T = 2 + (seed % 6);
      const P = seed % 3 === 0 ? 2 : 30; // rank-deficient when T > P
      const M = gram(randomGrads(T, P, seed));
      const lam = symEig(M).values;
      const rank = Math.min(T, P);
      const lamMin = lam[rank - 1]!;
      const B = alignedMtlMatrix(M);
      const mu = symEig(matmul(matmul(B, M), B)).values;
      mu.forEach((m, k) => expect(Math.abs(m - (k < rank ? lamMin : 0))).toBeLessThan(1e-8 * lam[0]!));
    }
  });
});
