/**
 * Dense linear algebra for the aggregators, in float64: products on the P-long gradient rows
 * (norm, the Gramian M = GGᵀ, the combination Gᵀβ; dot is src/util/linalg.ts's) and small T×T
 * routines (symmetric eigendecomposition by src/util/linalg.ts's Jacobi, Gaussian elimination with
 * partial pivoting, a pseudo-inverse least-squares fallback). T is the number of tasks, so the T×T
 * routines are O(T³) and never the bottleneck.
 */
import { dot, jacobiEigen } from '../util/linalg.js';
import type { GradientRows, Matrix } from './types.js';

export function norm(a: ArrayLike<number>): number {
  return Math.sqrt(dot(a, a));
}

/** M = GGᵀ (T×T, symmetric), M[i][j] = gᵢ·gⱼ accumulated in float64. */
export function gramian(G: GradientRows): Matrix {
  const T = G.length;
  const M: Matrix = Array.from({ length: T }, () => new Array<number>(T).fill(0));
  for (let i = 0; i < T; i++) {
    for (let j = i; j < T; j++) {
      const v = dot(G[i]!, G[j]!);
      M[i]![j] = v;
      M[j]![i] = v;
    }
  }
  return M;
}

/** d = Gᵀβ = Σᵢ βᵢ gᵢ, accumulated in float64 per coordinate and stored as float32. */
export function combine(G: GradientRows, beta: readonly number[]): Float32Array {
  const P = G.length ? G[0]!.length : 0;
  const out = new Float32Array(P);
  for (let k = 0; k < P; k++) {
    let s = 0;
    for (let i = 0; i < G.length; i++) s += beta[i]! * G[i]![k]!;
    out[k] = s;
  }
  return out;
}

/** (Mv)ᵢ = Mᵢ·v. */
export function matVec(M: Matrix, v: readonly number[]): number[] {
  return M.map((row) => dot(row, v));
}

/** vᵀMv. */
export function quadForm(M: Matrix, v: readonly number[]): number {
  return dot(matVec(M, v), v);
}

export function maxDiag(M: Matrix): number {
  return M.reduce((m, row, i) => Math.max(m, row[i]!), 0);
}

/**
 * Symmetric eigendecomposition A = V diag(values) Vᵀ (cyclic Jacobi: src/util/linalg.ts). `values` are
 * sorted in decreasing order and vectors[i][k] is component i of the k-th (unit) eigenvector.
 */
export function symEig(A: Matrix): { values: number[]; vectors: Matrix } {
  const n = A.length;
  const { values, vectors } = jacobiEigen(A.flat(), n);
  return { values: Array.from(values), vectors: Array.from({ length: n }, (_, i) => Array.from(vectors.subarray(i * n, (i + 1) * n))) };
}

/**
 * Solves Ax = b (A square) by Gaussian elimination with partial pivoting. Returns null when a pivot
 * is below 1e-13 × max|A| (A singular to working precision).
 */
export function solve(A: Matrix, b: readonly number[]): number[] | null {
  const n = b.length;
  const a = A.map((r, i) => [...r, b[i]!]);
  const scale = A.reduce((m, r) => r.reduce((mm, x) => Math.max(mm, Math.abs(x)), m), 0);
  if (n === 0) return [];
  if (scale === 0) return null;
  for (let col = 0; col < n; col++) {
    let piv = col;
    for (let r = col + 1; r < n; r++) if (Math.abs(a[r]![col]!) > Math.abs(a[piv]![col]!)) piv = r;
    if (Math.abs(a[piv]![col]!) <= 1e-13 * scale) return null;
    [a[col], a[piv]] = [a[piv]!, a[col]!];
    for (let r = col + 1; r < n; r++) {
      const f = a[r]![col]! / a[col]![col]!;
      if (f !== 0) for (let k = col; k <= n; k++) a[r]![k] -= f * a[col]![k]!;
    }
  }
  const x = new Array<number>(n).fill(0);
  for (let r = n - 1; r >= 0; r--) {
    let s = a[r]![n]!;
    for (let k = r + 1; k < n; k++) s -= a[r]![k]! * x[k]!;
    x[r] = s / a[r]![r]!;
  }
  return x;
}

/**
 * The minimum-norm least-squares solution of Ax = b (A square), x = A⁺b, through the
 * eigendecomposition of AᵀA; eigenvalues below 1e-12 × the largest count as zero.
 */
export function leastSquares(A: Matrix, b: readonly number[]): number[] {
  const n = b.length;
  const AtA: Matrix = Array.from({ length: n }, (_, i) =>
    Array.from({ length: n }, (_, j) => A.reduce((s, row) => s + row[i]! * row[j]!, 0)),
  );
  const Atb = Array.from({ length: n }, (_, i) => A.reduce((s, row, r) => s + row[i]! * b[r]!, 0));
  const { values, vectors } = symEig(AtA);
  const x = new Array<number>(n).fill(0);
  const cut = 1e-12 * Math.max(values[0] ?? 0, 0);
  values.forEach((lam, k) => {
    if (!(lam > cut) || lam <= 0) return;
    const coef = vectors.reduce((s, row, i) => s + row[k]! * Atb[i]!, 0) / lam;
    for (let i = 0; i < n; i++) x[i] += coef * vectors[i]![k]!;
  });
  return x;
}

/** solve(A, b), or leastSquares(A, b) when A is singular to working precision. */
export function solveOrLeastSquares(A: Matrix, b: readonly number[]): number[] {
  return solve(A, b) ?? leastSquares(A, b);
}
