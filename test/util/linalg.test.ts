/** src/util/linalg.ts: the dot product and the Jacobi symmetric eigendecomposition shared by src/aggregators and src/relations. */
import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../src/data/split.js';
import { dot, jacobiEigen } from '../../src/util/linalg.js';

/** C = AB of row-major flat n×n matrices. */
function mul(a: ArrayLike<number>, b: ArrayLike<number>, n: number): number[] {
  return Array.from({ length: n * n }, (_, ij) => {
    const i = Math.floor(ij / n), j = ij % n;
    let s = 0;
    for (let k = 0; k < n; k++) s += a[i * n + k]! * b[k * n + j]!;
    return s;
  });
}

const transpose = (a: ArrayLike<number>, n: number): number[] => Array.from({ length: n * n }, (_, ij) => a[(ij % n) * n + Math.floor(ij / n)]!);

/** The Gram matrix BBᵀ (n×n) of n random rows of length p. */
function randomGram(n: number, p: number, seed: number): number[] {
  const r = mulberry32(seed);
  const B = Array.from({ length: n * p }, () => 2 * r() - 1);
  return Array.from({ length: n * n }, (_, ij) => {
    const i = Math.floor(ij / n), j = ij % n;
    return dot(B.slice(i * p, (i + 1) * p), B.slice(j * p, (j + 1) * p));
  });
}

/** Checks A = VΛVᵀ, VᵀV = I and decreasing values. */
function expectDecomposition(A: number[], n: number, tol: number): { values: Float64Array; vectors: Float64Array } {
  const r = jacobiEigen(A, n);
  const { values, vectors: V } = r;
  for (let i = 1; i < n; i++) expect(values[i]!).toBeLessThanOrEqual(values[i - 1]!);
  const VL = Array.from({ length: n * n }, (_, ij) => V[ij]! * values[ij % n]!);
  const recon = mul(VL, transpose(V, n), n);
  const VtV = mul(transpose(V, n), V, n);
  for (let ij = 0; ij < n * n; ij++) {
    expect(recon[ij]!).toBeCloseTo(A[ij]!, tol);
    expect(VtV[ij]!).toBeCloseTo(ij % (n + 1) === 0 ? 1 : 0, 12);
  }
  return r;
}

describe('util/linalg', () => {
  it('dot by hand, over the first argument\'s length, on mixed array types', () => {
    expect(dot([1, 2, 3], Float32Array.from([4, 5, 6]))).toBe(32);
    expect(dot([1, 2], [3, 4, 5])).toBe(11);
    expect(dot([], [])).toBe(0);
  });

  it('jacobiEigen: known eigenvalues of [[2,1],[1,2]], and the input is left alone', () => {
    const A = Float64Array.from([2, 1, 1, 2]);
    const { values, vectors } = jacobiEigen(A, 2);
    expect(values[0]).toBeCloseTo(3, 12);
    expect(values[1]).toBeCloseTo(1, 12);
    expect(Math.abs(vectors[0]!)).toBeCloseTo(Math.SQRT1_2, 12);
    expect(Array.from(A)).toEqual([2, 1, 1, 2]);
  });

  it('jacobiEigen: A = VΛVᵀ with V orthonormal on a full-rank 6×6 and a rank-4 6×6 (two zero eigenvalues)', () => {
    expectDecomposition(randomGram(6, 9, 3), 6, 9);
    const { values } = expectDecomposition(randomGram(6, 4, 5), 6, 9);
    expect(Math.abs(values[4]!)).toBeLessThan(1e-12 * values[0]!);
    expect(Math.abs(values[5]!)).toBeLessThan(1e-12 * values[0]!);
  });

  it('jacobiEigen: diagonal and empty matrices; a size that does not match throws', () => {
    const { values, vectors } = jacobiEigen([1, 0, 0, 0, 3, 0, 0, 0, 2], 3);
    expect(Array.from(values)).toEqual([3, 2, 1]);
    expect(Array.from(vectors)).toEqual([0, 0, 1, 1, 0, 0, 0, 1, 0]);
    expect(jacobiEigen([], 0).values.length).toBe(0);
    expect(() => jacobiEigen([1, 2, 3], 2)).toThrow(/2×2/);
  });
});
