/**
 * Non-negative least squares — Lawson & Hanson (1974), "Solving Least Squares Problems", ch. 23,
 * algorithm NNLS:
 *   minimise ‖Az − b‖²  subject to z ≥ 0      (A is m × n, here a factor of a regularised Gramian).
 * An active-set method, finite and exact up to rounding. Each passive-set sub-problem is solved on A
 * itself by Householder QR (linalg.ts), not on the normal equations AᵀA: the error grows with cond(A),
 * not cond(A)² — the difference between 1e-11 and garbage on the near-singular Gramians that
 * duplicated or collinear task gradients give (the previous Gramian-form version failed there).
 *
 * Optimality test (KKT): wⱼ = Aⱼᵀ(b − Az) ≤ tolⱼ for every j at its bound, with tolⱼ = 1e-12‖Aⱼ‖‖b‖
 * (scale-free: entering such a j could lower ‖Az − b‖² by at most (1e-12‖b‖)²). An index whose entry
 * rounding makes useless (its sub-solution is not positive, or the passive columns are dependent to
 * working precision) is skipped until z next changes, so the method cannot cycle; both loops are capped.
 */
import { leastSquaresQR } from './linalg.js';
import type { Matrix } from './types.js';

export function nnls(A: Matrix, b: readonly number[]): number[] {
  const m = A.length;
  const n = m ? A[0]!.length : 0;
  const z = new Array<number>(n).fill(0);
  if (n === 0) return z;
  const colNorm = Array.from({ length: n }, (_, j) => Math.sqrt(A.reduce((s, row) => s + row[j]! ** 2, 0)));
  const bNorm = Math.sqrt(b.reduce((s, x) => s + x * x, 0));
  if (!(bNorm > 0)) return z;
  const passive = new Array<boolean>(n).fill(false);
  let skipped = new Array<boolean>(n).fill(false);
  const maxIter = 3 * n + 30;
  const r = new Array<number>(m).fill(0);
  for (let outer = 0; outer < maxIter; outer++) {
    for (let i = 0; i < m; i++) {
      const row = A[i]!;
      let s = b[i]!;
      for (let k = 0; k < n; k++) s -= row[k]! * z[k]!;
      r[i] = s;
    }
    let j = -1;
    let best = 0;
    for (let k = 0; k < n; k++) {
      if (passive[k] || skipped[k] || !(colNorm[k]! > 0)) continue;
      let w = 0;
      for (let i = 0; i < m; i++) w += A[i]![k]! * r[i]!;
      // Compare the cosines wₖ/‖Aₖ‖, so that the choice does not depend on the columns' scales.
      if (w > 1e-12 * colNorm[k]! * bNorm && w / colNorm[k]! > best) [j, best] = [k, w / colNorm[k]!];
    }
    if (j < 0) break;
    passive[j] = true;
    for (let inner = 0; inner < maxIter; inner++) {
      const P = passive.flatMap((p, i) => (p ? [i] : []));
      const s = leastSquaresQR(A.map((row) => P.map((c) => row[c]!)), b);
      if (s === null || (inner === 0 && !(s[P.indexOf(j)]! > 0))) {
        // Rounding: j cannot enter. Before any step z is unchanged: skip j. After a step the
        // passive set shrank to columns that were independent; stop with the feasible z reached.
        if (inner > 0) return z;
        passive[j] = false;
        skipped[j] = true;
        break;
      }
      if (s.every((x) => x > 0)) {
        z.fill(0);
        P.forEach((i, k) => (z[i] = s[k]!));
        skipped = skipped.map(() => false);
        break;
      }
      // Step from z towards s until the first passive coordinate reaches 0; drop those that do.
      let theta = 1;
      let first = -1;
      P.forEach((i, k) => {
        if (s[k]! > 0) return;
        const t = z[i]! / (z[i]! - s[k]!);
        if (first < 0 || t < theta) [theta, first] = [t, i];
      });
      P.forEach((i, k) => {
        z[i] = z[i]! + theta * (s[k]! - z[i]!);
        if (i === first || !(z[i]! > 0)) {
          z[i] = 0;
          passive[i] = false;
        }
      });
    }
  }
  return z;
}
