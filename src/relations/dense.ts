/**
 * Small dense linear algebra in float64 for the linear multi-task methods (src/relations/linear-mtl.ts):
 * row-major matrices, products, Cholesky factorisation and solves, a symmetric eigendecomposition
 * (cyclic Jacobi, shared with the aggregators: src/util/linalg.ts) and a thin SVD through the
 * eigendecomposition of the smaller Gram matrix (AAᵀ or AᵀA). Sizes here are d × T with d = 28
 * features and T ≤ a few hundred tasks, so O(min(d,T)³) routines are never the bottleneck.
 *
 * The SVD via the Gram matrix squares the condition number: singular values far below the largest
 * (σ < ~1e-8 σ_max) lose their relative accuracy. The only consumer, singular-value shrinkage, sets
 * every σ below its threshold to zero, so those directions never matter.
 */
import { dot, jacobiEigen } from '../util/linalg.js';

/** A row-major matrix: entry (i, j) is data[i * cols + j]. */
export interface Mat {
  rows: number;
  cols: number;
  data: Float64Array;
}

export function zeros(rows: number, cols: number): Mat {
  return { rows, cols, data: new Float64Array(rows * cols) };
}

export function eye(n: number): Mat {
  const m = zeros(n, n);
  for (let i = 0; i < n; i++) m.data[i * n + i] = 1;
  return m;
}

export function fromRows(rows: number[][]): Mat {
  const r = rows.length, c = r ? rows[0]!.length : 0;
  const m = zeros(r, c);
  rows.forEach((row, i) => {
    if (row.length !== c) throw new Error('fromRows: ragged rows');
    m.data.set(row, i * c);
  });
  return m;
}

export function toRows(m: Mat): number[][] {
  return Array.from({ length: m.rows }, (_, i) => Array.from(m.data.subarray(i * m.cols, (i + 1) * m.cols)));
}

export function clone(m: Mat): Mat {
  return { rows: m.rows, cols: m.cols, data: m.data.slice() };
}

export function get(m: Mat, i: number, j: number): number {
  return m.data[i * m.cols + j]!;
}

export function transpose(a: Mat): Mat {
  const t = zeros(a.cols, a.rows);
  for (let i = 0; i < a.rows; i++) for (let j = 0; j < a.cols; j++) t.data[j * a.rows + i] = a.data[i * a.cols + j]!;
  return t;
}

/** C = AB. */
export function matmul(a: Mat, b: Mat): Mat {
  if (a.cols !== b.rows) throw new Error(`matmul: ${a.rows}×${a.cols} times ${b.rows}×${b.cols}`);
  const c = zeros(a.rows, b.cols);
  const n = b.cols, m = a.cols, A = a.data, B = b.data, C = c.data;
  for (let i = 0; i < a.rows; i++) {
    const ci = i * n;
    for (let k = 0; k < m; k++) {
      const aik = A[i * m + k]!;
      if (aik === 0) continue;
      const bk = k * n;
      for (let j = 0; j < n; j++) C[ci + j] += aik * B[bk + j]!;
    }
  }
  return c;
}

/** AᵀA (cols × cols) of a row-major n × d array (the Gram matrix XᵀX of a design matrix). */
export function gramOf(x: Float64Array, n: number, d: number): Mat {
  const g = zeros(d, d);
  for (let r = 0; r < n; r++) {
    const row = r * d;
    for (let i = 0; i < d; i++) {
      const xi = x[row + i]!;
      if (xi === 0) continue;
      for (let j = i; j < d; j++) g.data[i * d + j] += xi * x[row + j]!;
    }
  }
  for (let i = 0; i < d; i++) for (let j = 0; j < i; j++) g.data[i * d + j] = g.data[j * d + i]!;
  return g;
}

/** Xᵀy of a row-major n × d array. */
export function xty(x: Float64Array, y: ArrayLike<number>, n: number, d: number): Float64Array {
  const out = new Float64Array(d);
  for (let r = 0; r < n; r++) {
    const yr = y[r]!;
    for (let j = 0; j < d; j++) out[j] += x[r * d + j]! * yr;
  }
  return out;
}

/** y = Ax. */
export function matVec(a: Mat, x: ArrayLike<number>): Float64Array {
  const out = new Float64Array(a.rows);
  for (let i = 0; i < a.rows; i++) {
    let s = 0;
    for (let j = 0; j < a.cols; j++) s += a.data[i * a.cols + j]! * x[j]!;
    out[i] = s;
  }
  return out;
}

/** Frobenius norm. */
export function frobenius(a: Mat): number {
  return Math.sqrt(dot(a.data, a.data));
}

/**
 * Cholesky factor L (lower triangular, A = LLᵀ) of a symmetric positive definite A; throws when A is
 * not positive definite to working precision.
 */
export function cholesky(a: Mat): Mat {
  const n = a.rows;
  if (a.cols !== n) throw new Error('cholesky: matrix is not square');
  const l = zeros(n, n);
  for (let j = 0; j < n; j++) {
    let s = a.data[j * n + j]!;
    for (let k = 0; k < j; k++) s -= l.data[j * n + k]! ** 2;
    if (!(s > 0)) throw new Error(`cholesky: matrix is not positive definite (pivot ${j}: ${s})`);
    const ljj = Math.sqrt(s);
    l.data[j * n + j] = ljj;
    for (let i = j + 1; i < n; i++) {
      let t = a.data[i * n + j]!;
      for (let k = 0; k < j; k++) t -= l.data[i * n + k]! * l.data[j * n + k]!;
      l.data[i * n + j] = t / ljj;
    }
  }
  return l;
}

/** Solves LLᵀx = b given the Cholesky factor L. */
export function choleskySolve(l: Mat, b: ArrayLike<number>): Float64Array {
  const n = l.rows;
  const z = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = b[i]!;
    for (let k = 0; k < i; k++) s -= l.data[i * n + k]! * z[k]!;
    z[i] = s / l.data[i * n + i]!;
  }
  const x = new Float64Array(n);
  for (let i = n - 1; i >= 0; i--) {
    let s = z[i]!;
    for (let k = i + 1; k < n; k++) s -= l.data[k * n + i]! * x[k]!;
    x[i] = s / l.data[i * n + i]!;
  }
  return x;
}

/** x = A⁻¹b for symmetric positive definite A. */
export function solveSpd(a: Mat, b: ArrayLike<number>): Float64Array {
  return choleskySolve(cholesky(a), b);
}

/** A + λI (a copy). */
export function addDiagonal(a: Mat, lambda: number): Mat {
  const m = clone(a);
  for (let i = 0; i < a.rows; i++) m.data[i * a.cols + i] += lambda;
  return m;
}

/**
 * Symmetric eigendecomposition A = V diag(values) Vᵀ (cyclic Jacobi: src/util/linalg.ts); values in
 * decreasing order, column k of `vectors` the k-th unit eigenvector.
 */
export function symEig(m: Mat): { values: Float64Array; vectors: Mat } {
  const n = m.rows;
  if (m.cols !== n) throw new Error('symEig: matrix is not square');
  const { values, vectors } = jacobiEigen(m.data, n);
  return { values, vectors: { rows: n, cols: n, data: vectors } };
}

/** Largest eigenvalue of a symmetric matrix. */
export function maxEigenvalue(a: Mat): number {
  return a.rows ? symEig(a).values[0]! : 0;
}

/**
 * Thin SVD A = U diag(s) Vᵀ with r = min(rows, cols) components, s decreasing. Computed from the
 * eigendecomposition of the smaller Gram matrix; the other factor's columns are A v / σ (or Aᵀu / σ),
 * and zero where σ = 0.
 */
export function svd(a: Mat): { u: Mat; s: Float64Array; v: Mat } {
  const wide = a.rows <= a.cols;
  const small = wide ? matmul(a, transpose(a)) : matmul(transpose(a), a);
  const { values, vectors } = symEig(small);
  const r = small.rows;
  // Eigenvalues at rounding level of the largest are zero singular values (their square roots would
  // be ~1e-8 σ_max of noise).
  const floor = 16 * Number.EPSILON * r * Math.max(values[0] ?? 0, 0);
  const s = values.map((x) => (x > floor ? Math.sqrt(x) : 0));
  // The other side: for a wide A, V = AᵀU S⁻¹; for a tall one, U = A V S⁻¹.
  const other = wide ? matmul(transpose(a), vectors) : matmul(a, vectors);
  const tol = (s[0] ?? 0) * 1e-12;
  for (let k = 0; k < r; k++) {
    const sk = s[k]!;
    for (let i = 0; i < other.rows; i++) other.data[i * r + k] = sk > tol ? other.data[i * r + k]! / sk : 0;
  }
  return wide ? { u: vectors, s, v: other } : { u: other, s, v: vectors };
}

/** Nuclear (trace) norm ‖A‖_* = Σ σ_k. */
export function nuclearNorm(a: Mat): number {
  return svd(a).s.reduce((acc, x) => acc + x, 0);
}

/**
 * Singular value soft-thresholding, the proximal operator of τ‖·‖_*:
 *   prox(A) = U diag(max(σ − τ, 0)) Vᵀ = argmin_B ½‖B − A‖²_F + τ‖B‖_*.
 */
export function shrinkSingularValues(a: Mat, tau: number): { out: Mat; s: Float64Array; rank: number } {
  if (tau < 0) throw new Error('shrinkSingularValues: tau must be ≥ 0');
  const { u, s, v } = svd(a);
  const out = zeros(a.rows, a.cols);
  const shrunk = s.map((x) => Math.max(x - tau, 0));
  let rank = 0;
  const r = s.length;
  for (let k = 0; k < r; k++) {
    const sk = shrunk[k]!;
    if (sk <= 0) continue;
    rank++;
    for (let i = 0; i < a.rows; i++) {
      const uik = u.data[i * r + k]! * sk;
      if (uik === 0) continue;
      for (let j = 0; j < a.cols; j++) out.data[i * a.cols + j] += uik * v.data[j * r + k]!;
    }
  }
  return { out, s: shrunk, rank };
}
