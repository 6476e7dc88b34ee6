/**
 * The float64 linear algebra shared by the gradient aggregators (src/aggregators/linalg.ts: T×T
 * matrices as number[][]) and the linear multi-task methods (src/relations/dense.ts: row-major flat
 * matrices): the dot product and a symmetric eigendecomposition. Each module keeps its own matrix
 * type and converts at its boundary (exactly: the same float64 values).
 */

/** Σₖ aₖbₖ over a's length, accumulated in float64 from k = 0 up. */
export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let k = 0; k < a.length; k++) s += a[k]! * b[k]!;
  return s;
}

/**
 * Symmetric eigendecomposition A = V diag(values) Vᵀ of the n×n row-major `a` (not modified) by cyclic
 * Jacobi rotations (Numerical Recipes' update); values in decreasing order, `vectors` n×n row-major
 * with column k the k-th unit eigenvector. Stops when the off-diagonal mass is below 1e-30 of the
 * total (or after 60 sweeps).
 */
export function jacobiEigen(m: ArrayLike<number>, n: number): { values: Float64Array; vectors: Float64Array } {
  if (m.length !== n * n) throw new Error(`jacobiEigen: expected ${n}×${n} = ${n * n} entries, got ${m.length}`);
  const a = Float64Array.from(m);
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  for (let sweep = 0; sweep < 60; sweep++) {
    let off = 0, total = 0;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        const x = a[i * n + j]! ** 2;
        total += x;
        if (i !== j) off += x;
      }
    }
    if (off === 0 || off <= 1e-30 * total) break;
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = a[p * n + q]!;
        if (apq === 0) continue;
        const theta = (a[q * n + q]! - a[p * n + p]!) / (2 * apq);
        let t = 1 / (Math.abs(theta) + Math.sqrt(1 + theta * theta));
        if (theta < 0) t = -t;
        const c = 1 / Math.sqrt(1 + t * t), s = t * c, tau = s / (1 + c);
        a[p * n + p] -= t * apq;
        a[q * n + q] += t * apq;
        a[p * n + q] = 0;
        a[q * n + p] = 0;
        for (let r = 0; r < n; r++) {
          if (r !== p && r !== q) {
            const g = a[r * n + p]!, h = a[r * n + q]!;
            const gp = g - s * (h + g * tau), hq = h + s * (g - h * tau);
            a[r * n + p] = gp; a[p * n + r] = gp;
            a[r * n + q] = hq; a[q * n + r] = hq;
          }
          const g = v[r * n + p]!, h = v[r * n + q]!;
          v[r * n + p] = g - s * (h + g * tau);
          v[r * n + q] = h + s * (g - h * tau);
        }
      }
    }
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((x, y) => a[y * n + y]! - a[x * n + x]!);
  const vectors = new Float64Array(n * n);
  for (let i = 0; i < n; i++) order.forEach((k, col) => { vectors[i * n + col] = v[i * n + k]!; });
  return { values: Float64Array.from(order, (k) => a[k * n + k]!), vectors };
}
