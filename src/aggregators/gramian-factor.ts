/**
 * The Gramian M = GGᵀ as the QP- and solve-based methods use it — MGDA, CAGrad, UPGrad, DualProj,
 * Nash-MTL and FairGrad the regularised C_ε below, IMTL-G and ConFIG the pseudo-inverse C⁺ (their
 * definitions ask for one) — split into the gradient norms nᵢ = √Mᵢᵢ and the cosine matrix
 *   C = D^{-1/2} M D^{-1/2},  Cᵢⱼ = cos(gᵢ, gⱼ),   D = diag(M),
 * over the live (non-zero) rows, with C = VΛVᵀ its eigendecomposition (Jacobi, linalg.ts).
 *
 * Why: the inputs real training produces — duplicated or collinear task gradients, more tasks than
 * dimensions (T > P), gradients whose norms differ by 10²⁰ — make M singular or nearly so, and every
 * method below either solves a system in M or a QP over it. On the cosine matrix
 *   - row scales drop out (they are the nᵢ, applied exactly afterwards), so a row of norm 1e-10 next
 *     to one of 1e10 is as accurate as two of norm 1, and methods that are linear under scaling
 *     (UPGrad, ConFIG) see the same C for diag(c)G as for G;
 *   - rounding (a float32 Gramian, float64 cancellation) can make M slightly indefinite: the
 *     eigenvalues are clipped to λ₊ = max(λ, 0);
 *   - the regularised matrix C_ε = V(Λ₊ + εI)Vᵀ, ε = RIDGE = 1e-10 (relative to cos = 1), is positive
 *     definite, so each QP on it has one solution: its weights, not only its direction, are then
 *     independent of the task order. In M's terms the ridge is εD — every gradient gets a private
 *     component of relative size √ε = 1e-5, so the ridge commutes with scaling rows (diag(c) M_ε
 *     diag(c) is the ridge of diag(c) M diag(c)). Its effect on a well-posed answer is ~ε·cond(C).
 * Zero rows (Mᵢᵢ = 0, no direction) are left out of C; each method says what they get.
 */
import { symEig } from './linalg.js';
import type { Matrix } from './types.js';

/** The ridge ε added to the eigenvalues of the cosine matrix (see the header). */
export const RIDGE = 1e-10;

export interface CosineGramian {
  /** nᵢ = ‖gᵢ‖ for every row (0 for a zero row). */
  norms: number[];
  /** The indices of the rows with nᵢ > 0, in order; C and its eigenvectors are indexed by position in `live`. */
  live: number[];
  /** Cᵢⱼ = Mᵢⱼ/(nᵢnⱼ) over the live rows, clipped to [−1, 1], unit diagonal. */
  cosines: Matrix;
  /** The eigenvalues of C in decreasing order, clipped at 0. */
  values: number[];
  /** vectors[i][k] = component i of the k-th unit eigenvector of C. */
  vectors: Matrix;
}

export function cosineGramian(M: Matrix): CosineGramian {
  const norms = M.map((row, i) => Math.sqrt(Math.max(row[i]!, 0)));
  const live = norms.flatMap((n, i) => (n > 0 ? [i] : []));
  const cosines = live.map((i, a) =>
    live.map((j, b) => (a === b ? 1 : Math.min(1, Math.max(-1, M[i]![j]! / norms[i]! / norms[j]!)))),
  );
  // Symmetrise against a Gramian whose two triangles were summed in different orders.
  for (let a = 0; a < live.length; a++) for (let b = a + 1; b < live.length; b++) cosines[a]![b] = cosines[b]![a] = 0.5 * (cosines[a]![b]! + cosines[b]![a]!);
  const { values, vectors } = symEig(cosines);
  return { norms, live, cosines, values: values.map((v) => Math.max(v, 0)), vectors };
}

/**
 * A square factor A = (Λ₊ + εI)^{1/2} Vᵀ of the regularised cosine matrix, AᵀA = C_ε, with its
 * columns multiplied by `columnScale` (e.g. the norms: then AᵀA = D^{1/2} C_ε D^{1/2} = M + εD on the
 * live rows). Least-squares problems on A have the conditioning √cond(C_ε) ≤ √(L/ε).
 */
export function regularisedFactor(g: CosineGramian, columnScale?: readonly number[]): Matrix {
  const L = g.live.length;
  return Array.from({ length: L }, (_, k) => {
    const f = Math.sqrt(g.values[k]! + RIDGE);
    return Array.from({ length: L }, (_, j) => f * g.vectors[j]![k]! * (columnScale ? columnScale[j]! : 1));
  });
}

/**
 * C⁺x, the pseudo-inverse with eigenvalues ≤ cut·λ_max counted as zero (default 1e-12·L: float32
 * gradients put rounding eigenvalues of C at ~1e-15·L, real ones of a rank-deficient C are above).
 */
export function pseudoInverseSolve(g: CosineGramian, x: readonly number[], cut = 1e-12 * Math.max(g.live.length, 1)): number[] {
  const L = g.live.length;
  const out = new Array<number>(L).fill(0);
  const floor = cut * (g.values[0] ?? 0);
  for (let k = 0; k < L; k++) {
    const lam = g.values[k]!;
    if (!(lam > floor) || lam <= 0) continue;
    let c = 0;
    for (let i = 0; i < L; i++) c += g.vectors[i]![k]! * x[i]!;
    c /= lam;
    for (let i = 0; i < L; i++) out[i] += c * g.vectors[i]![k]!;
  }
  return out;
}
