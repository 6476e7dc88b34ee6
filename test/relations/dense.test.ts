import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../src/data/split.js';
import {
  cholesky, choleskySolve, fromRows, matmul, nuclearNorm, shrinkSingularValues, svd, symEig, toRows, transpose, zeros,
  type Mat,
} from '../../src/relations/dense.js';

function close(a: Mat, b: number[][], tol = 1e-10): void {
  const rows = toRows(a);
  expect(rows.length).toBe(b.length);
  rows.forEach((r, i) => r.forEach((v, j) => expect(Math.abs(v - b[i]![j]!)).toBeLessThan(tol)));
}

function randomMat(rows: number, cols: number, seed: number): Mat {
  const r = mulberry32(seed);
  const m = zeros(rows, cols);
  for (let i = 0; i < m.data.length; i++) m.data[i] = r() * 2 - 1;
  return m;
}

/** Rotation by angle a. */
function rot(a: number): Mat {
  return fromRows([[Math.cos(a), -Math.sin(a)], [Math.sin(a), Math.cos(a)]]);
}

describe('dense linear algebra', () => {
  it('matmul and transpose on a hand-worked product', () => {
    const a = fromRows([[1, 2, 3], [4, 5, 6]]);
    const b = fromRows([[1, 0], [0, 1], [1, 1]]);
    close(matmul(a, b), [[4, 5], [10, 11]]);
    close(transpose(a), [[1, 4], [2, 5], [3, 6]]);
  });

  it('Cholesky: [[4,2],[2,3]] = LLᵀ with L = [[2,0],[1,√2]], and solves', () => {
    const A = fromRows([[4, 2], [2, 3]]);
    const L = cholesky(A);
    close(L, [[2, 0], [1, Math.SQRT2]]);
    // 4x + 2y = 2, 2x + 3y = 5 → x = −0.5, y = 2
    const x = choleskySolve(L, [2, 5]);
    expect(x[0]).toBeCloseTo(-0.5, 12);
    expect(x[1]).toBeCloseTo(2, 12);
    expect(() => cholesky(fromRows([[1, 2], [2, 1]]))).toThrow(/positive definite/);
  });

  it('symmetric eigendecomposition reconstructs the matrix', () => {
    const B = randomMat(6, 6, 3);
    const A = matmul(B, transpose(B));
    const { values, vectors } = symEig(A);
    const D = zeros(6, 6);
    values.forEach((v, i) => { D.data[i * 6 + i] = v; });
    close(matmul(matmul(vectors, D), transpose(vectors)), toRows(A), 1e-9);
    for (let i = 1; i < 6; i++) expect(values[i]!).toBeLessThanOrEqual(values[i - 1]!);
  });

  it('thin SVD of wide and tall matrices reconstructs them', () => {
    for (const [r, c] of [[3, 7], [7, 3], [4, 4]] as const) {
      const A = randomMat(r, c, r * 10 + c);
      const { u, s, v } = svd(A);
      const k = Math.min(r, c);
      const S = zeros(k, k);
      s.forEach((x, i) => { S.data[i * k + i] = x; });
      close(matmul(matmul(u, S), transpose(v)), toRows(A), 1e-9);
      close(matmul(transpose(u), u), toRows({ rows: k, cols: k, data: Float64Array.from({ length: k * k }, (_, i) => (i % (k + 1) === 0 ? 1 : 0)) }), 1e-9);
    }
  });

  it('singular value shrinkage: diag(3,1) with threshold 2 → diag(1,0)', () => {
    const { out, s, rank } = shrinkSingularValues(fromRows([[3, 0], [0, 1]]), 2);
    close(out, [[1, 0], [0, 0]]);
    expect(Array.from(s)).toEqual([1, 0]);
    expect(rank).toBe(1);
  });

  it('singular value shrinkage of a rotated matrix: R₁ diag(3,1) R₂ᵀ → R₁ diag(1,0) R₂ᵀ', () => {
    const R1 = rot(0.7), R2 = rot(-1.9);
    const A = matmul(matmul(R1, fromRows([[3, 0], [0, 1]])), transpose(R2));
    const expected = matmul(matmul(R1, fromRows([[1, 0], [0, 0]])), transpose(R2));
    close(shrinkSingularValues(A, 2).out, toRows(expected), 1e-10);
    expect(nuclearNorm(A)).toBeCloseTo(4, 10);
    // Threshold 0.5 shrinks both: diag(2.5, 0.5).
    close(shrinkSingularValues(A, 0.5).out, toRows(matmul(matmul(R1, fromRows([[2.5, 0], [0, 0.5]])), transpose(R2))), 1e-10);
  });

  it('shrinkage is the prox of τ‖·‖_*: it beats random perturbations on ½‖B − A‖² + τ‖B‖_*', () => {
    const A = randomMat(4, 9, 11), tau = 0.8;
    const f = (B: Mat) => 0.5 * B.data.reduce((s, b, i) => s + (b - A.data[i]!) ** 2, 0) + tau * nuclearNorm(B);
    const P = shrinkSingularValues(A, tau).out;
    const best = f(P);
    const r = mulberry32(5);
    for (let k = 0; k < 30; k++) {
      const Q = { rows: P.rows, cols: P.cols, data: P.data.map((x) => x + 0.05 * (r() * 2 - 1)) };
      expect(f(Q)).toBeGreaterThan(best - 1e-12);
    }
  });
});
