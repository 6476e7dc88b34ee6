/**
 * Seeded families of task-gradient matrices G (T rows of length P, float32 as the trainer gives them),
 * the inputs real training produces and on which the aggregators' properties are tested
 * (properties.test.ts): full rank, rank-deficient (r < T), more tasks than dimensions (T > P), rank 1,
 * duplicated and zero rows, the zero matrix, nearly collinear rows, rows whose norms differ by 10⁸, and
 * inputs that are not weakly stationary (no conic combination of the rows is 0), each at scales from
 * 1e-10 to 1e10. The construction follows torchjd's test matrix samplers (a product of random factors
 * with a chosen rank, or with a positive left-singular vector for the non-stationary ones).
 */
import { mulberry32 } from '../../src/data/split.js';

export interface Family {
  name: string;
  G: Float32Array[];
  /** No conic combination Σνᵢgᵢ (ν ≥ 0, ν ≠ 0) is 0: Nash-MTL/FairGrad have an exact solution, MGDA's d ≠ 0. */
  nonWeak: boolean;
}

function normals(seed: number): () => number {
  const r = mulberry32(seed);
  return () => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
}

/** r orthonormal rows of length P (Gram–Schmidt on normals). */
function orthonormalRows(r: number, P: number, n: () => number): number[][] {
  const B: number[][] = [];
  while (B.length < r) {
    let b = Array.from({ length: P }, n);
    for (const q of B) {
      const d = b.reduce((s, x, k) => s + x * q[k]!, 0);
      b = b.map((x, k) => x - d * q[k]!);
    }
    const norm = Math.sqrt(b.reduce((s, x) => s + x * x, 0));
    if (norm > 1e-6) B.push(b.map((x) => x / norm));
  }
  return B;
}

/**
 * G = A B, A (T × r) normal, B (r × P) orthonormal rows: rank r. With `nonWeak`, A's first column is
 * positive (≥ 0.5), so e = B₁ has e·gᵢ > 0 for every row: no conic combination vanishes.
 */
export function lowRank(T: number, P: number, r: number, seed: number, nonWeak = false): Float32Array[] {
  const n = normals(seed);
  const B = orthonormalRows(r, P, n);
  return Array.from({ length: T }, () => {
    const a = Array.from({ length: r }, (_, j) => (nonWeak && j === 0 ? 0.5 + Math.abs(n()) : n()));
    return Float32Array.from({ length: P }, (_, k) => a.reduce((s, x, j) => s + x * B[j]![k]!, 0));
  });
}

/**
 * `base` and `extra` more rows aᵢgⱼ + bᵢgₖ of it (bᵢ = 0 for every other one: collinear with a row);
 * with `conic`, a, b ≥ 0, so a base that is not weakly stationary stays so.
 */
export function combinations(base: Float32Array[], extra: number, seed: number, conic = false): Float32Array[] {
  const r = mulberry32(seed);
  const rows = [...base];
  for (let e = 0; e < extra; e++) {
    const j = Math.floor(r() * base.length);
    const k = Math.floor(r() * base.length);
    const a = 2 * r();
    const b = e % 2 ? 0 : r() - (conic ? 0 : 0.3);
    rows.push(Float32Array.from(base[j]!, (x, q) => a * x + b * base[k]![q]!));
  }
  return rows;
}

export const scaleRows = (G: readonly ArrayLike<number>[], c: readonly number[]): Float32Array[] =>
  G.map((g, i) => Float32Array.from(g, (x) => x * c[i]!));

/** The base families (about 20 matrices), at scale 1. */
export function baseFamilies(): Family[] {
  const out: Family[] = [];
  const add = (name: string, G: Float32Array[], nonWeak = false): void => void out.push({ name, G, nonWeak });
  for (const [T, seed] of [[2, 1], [3, 2], [5, 3], [8, 4]] as const) add(`full rank ${T}×30`, lowRank(T, 30, T, seed));
  add('full rank 4×30, not weakly stationary', lowRank(4, 30, 4, 5, true), true);
  add('rank-deficient 9×50 r5', lowRank(9, 50, 5, 6));
  add('rank-deficient 6×40 r2', lowRank(6, 40, 2, 7));
  add('rank-deficient 7×40 r3, not weakly stationary', lowRank(7, 40, 3, 8, true), true);
  add('T > P 8×3', lowRank(8, 3, 3, 9));
  add('T > P 5×2', lowRank(5, 2, 2, 10));
  add('T > P 12×4, not weakly stationary', lowRank(12, 4, 4, 11, true), true);
  add('rank 1, mixed signs 5×20', lowRank(5, 20, 1, 12));
  add('rank 1, same direction 4×20', lowRank(4, 20, 1, 13, true), true);
  const base = lowRank(3, 25, 3, 14);
  add('duplicated rows 6×25', [0, 1, 2, 0, 1, 0].map((i) => Float32Array.from(base[i]!)));
  const withZeros = lowRank(5, 25, 5, 15);
  withZeros[1]!.fill(0);
  withZeros[3]!.fill(0);
  add('zero rows 5×25', withZeros);
  add('zero matrix 4×10', Array.from({ length: 4 }, () => new Float32Array(10)));
  // Seeds 266 and 22: the Gramian-form NNLS that UPGrad used before moved d by 11%, 3% and 0.3% of
  // max‖gᵢ‖ under a permutation of these rows.
  add('rank-deficient 9×50 r5: 5 rows and 4 combinations of two (2 collinear)', combinations(lowRank(5, 50, 5, 266, true), 4, 266));
  add('rank-deficient 9×50 r5: combinations, mixed signs', combinations(lowRank(5, 50, 5, 266), 4, 266));
  add('rank-deficient 9×50 r5: combinations (another draw)', combinations(lowRank(5, 50, 5, 22, true), 4, 22));
  add('rank-deficient 9×50 r5: conic combinations, not weakly stationary', combinations(lowRank(5, 50, 5, 19, true), 4, 19, true), true);
  add('rank-deficient 12×50 r8, row norms 1e-3…1e3, not weakly stationary', scaleRows(lowRank(12, 50, 8, 21, true), [1e-3, 1, 1e3, 0.1, 10, 1, 1e-2, 1e2, 1, 3, 0.3, 30]), true);
  add('rank 1 with T > P 8×3, not weakly stationary', lowRank(8, 3, 1, 22, true), true);
  const v = lowRank(1, 30, 1, 16)[0]!;
  const noise = lowRank(4, 30, 4, 17);
  add('nearly collinear 4×30', noise.map((e) => Float32Array.from(v, (x, k) => x + 1e-4 * e[k]!)), true);
  add('row norms 1e-3…1e3 6×30', scaleRows(lowRank(6, 30, 6, 18), [1e-3, 1e3, 1, 1e-2, 10, 1e2]));
  // Seeds 1, 8 and 25: the solvers before the cosine form gave d a cosine of −0.85 (UPGrad) and −1e-5
  // (MGDA) with some gᵢ here.
  const ratio = [1e-4, 1e4, 1, 1e2];
  add('row norms 1e-4…1e4 4×20', scaleRows(lowRank(4, 20, 4, 1), ratio));
  add('row norms 1e-4…1e4 4×20 (another draw)', scaleRows(lowRank(4, 20, 4, 25), ratio));
  add('row norms 1e-4…1e4 4×20, not weakly stationary', scaleRows(lowRank(4, 20, 4, 8, true), ratio), true);
  return out;
}

/** The scales each family is also tested at (structure and finiteness). */
export const SCALES = [1e-10, 1e-5, 1, 1e5, 1e10] as const;

/** Seeded positive scale vectors and coefficients for the linearity test. */
export function positive(count: number, seed: number, lo = 0.1, hi = 2): number[] {
  const r = mulberry32(seed);
  return Array.from({ length: count }, () => lo + (hi - lo) * r());
}

/** A seeded permutation of 0…T−1 that moves something when T > 1 (Fisher–Yates, then a rotation if it is the identity). */
export function permutation(T: number, seed: number): number[] {
  const r = mulberry32(seed);
  const p = Array.from({ length: T }, (_, i) => i);
  for (let i = T - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [p[i], p[j]] = [p[j]!, p[i]!];
  }
  return p.every((x, i) => x === i) ? p.map((_, i) => (i + 1) % T) : p;
}
