/**
 * Dense linear algebra for the aggregators, in float64: products on the P-long gradient rows
 * (norm, the Gramian M = GGᵀ, the combination Gᵀβ; dot is src/util/linalg.ts's) and small T×T
 * routines (symmetric eigendecomposition by src/util/linalg.ts's Jacobi, Gaussian elimination with
 * partial pivoting, least squares by Householder QR). T is the number of tasks, so the T×T routines
 * are O(T³) and never the bottleneck.
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
 * The least-squares solution of min ‖Ax − b‖ for a tall A (m × k, m ≥ k, row-major) by Householder QR
 * (Golub & Van Loan, Alg. 5.3.2): backward stable, with the error of cond(A) rather than the cond(A)²
 * of the normal equations AᵀA x = Aᵀb. Returns null when a column keeps less than 1e-14 of its norm
 * once the previous columns are projected out (A rank-deficient to working precision); the test is per
 * column, so columns whose scales differ by 10²⁰ (gradients of norm 1e-10 and 1e10) are fine.
 */
export function leastSquaresQR(A: Matrix, b: readonly number[]): number[] | null {
  const m = A.length;
  const k = m ? A[0]!.length : 0;
  if (k === 0) return [];
  if (m < k) return null;
  const R = A.map((row) => [...row]);
  const y = [...b];
  const colNorm = Array.from({ length: k }, (_, j) => Math.sqrt(R.reduce((s, row) => s + row[j]! ** 2, 0)));
  for (let j = 0; j < k; j++) {
    let alpha = 0;
    for (let i = j; i < m; i++) alpha += R[i]![j]! ** 2;
    alpha = Math.sqrt(alpha);
    if (!(alpha > 1e-14 * colNorm[j]!)) return null;
    if (R[j]![j]! > 0) alpha = -alpha; // reflect onto −sign(r_jj)‖r‖e_j: no cancellation in v_j
    const v = new Array<number>(m).fill(0);
    for (let i = j; i < m; i++) v[i] = R[i]![j]!;
    v[j] = v[j]! - alpha;
    const vv = v.reduce((s, x) => s + x * x, 0);
    if (vv > 0) {
      for (let c = j; c < k; c++) {
        let dotc = 0;
        for (let i = j; i < m; i++) dotc += v[i]! * R[i]![c]!;
        const f = (2 * dotc) / vv;
        for (let i = j; i < m; i++) R[i]![c] = R[i]![c]! - f * v[i]!;
      }
      let doty = 0;
      for (let i = j; i < m; i++) doty += v[i]! * y[i]!;
      const f = (2 * doty) / vv;
      for (let i = j; i < m; i++) y[i] = y[i]! - f * v[i]!;
    }
  }
  const x = new Array<number>(k).fill(0);
  for (let r = k - 1; r >= 0; r--) {
    let s = y[r]!;
    for (let c = r + 1; c < k; c++) s -= R[r]![c]! * x[c]!;
    x[r] = s / R[r]![r]!;
  }
  return x;
}
