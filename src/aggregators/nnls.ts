/**
 * Non-negative least squares on a Gramian — Lawson & Hanson (1974), "Solving Least Squares
 * Problems", ch. 23, algorithm NNLS — written for Q = AᵀA and q = Aᵀb so that A is never formed:
 *   minimise ½ zᵀQz − qᵀz  subject to z ≥ 0   (≡ min ‖Az − b‖², z ≥ 0).
 * An active-set method: exact up to rounding and finite. Its optimality test is the KKT condition
 * wⱼ = (q − Qz)ⱼ ≤ tol for every j at the bound, wⱼ = 0 on the passive set. Both loops are capped;
 * an index that rounding stops from entering (singular or non-positive sub-solution) is skipped
 * until z next changes, so the method cannot cycle. Used by MGDA/CAGrad (simplex.ts) and UPGrad.
 */
import { solve } from './linalg.js';
import type { Matrix } from './types.js';

export function nnls(Q: Matrix, q: readonly number[]): number[] {
  const n = q.length;
  const z = new Array<number>(n).fill(0);
  const passive = new Array<boolean>(n).fill(false);
  let skipped = new Array<boolean>(n).fill(false);
  const maxIter = 10 * n + 20;
  for (let outer = 0; outer < maxIter; outer++) {
    const w = q.map((qi, i) => qi - Q[i]!.reduce((s, m, k) => s + m * z[k]!, 0));
    const zMax = z.reduce((m, x) => Math.max(m, x), 0);
    const scale = Q.reduce((m, row, i) => Math.max(m, Math.abs(row[i]!)), 0) * Math.max(zMax, 1) + q.reduce((m, x) => Math.max(m, Math.abs(x)), 0);
    const tol = 1e-12 * scale;
    let j = -1;
    for (let i = 0; i < n; i++) if (!passive[i] && !skipped[i] && w[i]! > tol && (j < 0 || w[i]! > w[j]!)) j = i;
    if (j < 0) break;
    passive[j] = true;
    for (let inner = 0; inner < maxIter; inner++) {
      const P = passive.flatMap((p, i) => (p ? [i] : []));
      const s = solve(P.map((r) => P.map((c) => Q[r]![c]!)), P.map((r) => q[r]!));
      if (s === null || (inner === 0 && !(s[P.indexOf(j)]! > 0))) {
        // Rounding: j cannot enter (its column is dependent on the passive ones). Leave z as it is;
        // past the first step z has moved, so stop there (z is feasible, and the best found).
        if (inner > 0) return z;
        passive[j] = false;
        skipped[j] = true;
        break;
      }
      if (s.every((x) => x > 0)) {
        P.forEach((i, k) => (z[i] = s[k]!));
        skipped = skipped.map(() => false);
        break;
      }
      // Step from z towards s until the first passive coordinate reaches 0; drop those that do.
      let theta = 1;
      let first = -1;
      P.forEach((i, k) => {
        if (s[k]! > 0) return;
        const r = z[i]! / (z[i]! - s[k]!);
        if (first < 0 || r < theta) [theta, first] = [r, i];
      });
      P.forEach((i, k) => {
        z[i] = z[i]! + theta * (s[k]! - z[i]!);
        if (i === first || z[i]! <= 1e-15 * Math.max(zMax, 1)) {
          z[i] = 0;
          passive[i] = false;
        }
      });
    }
  }
  return z;
}
