/**
 * FairGrad — Ban & Ji (ICML 2024), "Fair Resource Allocation in Multi-Task Learning", Sec. 3.2 / Alg. 1
 * (α-fairness): d = Gᵀw with w > 0 solving
 *   (GGᵀ) w = w^(−1/α)        (element-wise power; option `alpha` ≥ 0, default 1),
 * so that every task's rate of decrease gᵢ·d = wᵢ^(−1/α) is α-fair. α = 1 is Nash-MTL's condition
 * (proportional fairness, nash-mtl.ts uses this solver), α → ∞ tends to max-min fairness, and α = 0 is
 * linear scalarisation: the mean (the paper's Sec. 3; w^(−1/α) is undefined there).
 *
 * Solver: (GGᵀ)w − w^(−1/α) is the gradient of f(w) = ½wᵀMw − Σᵢ hᵢ(wᵢ), h(w) = log w (α = 1) or
 * w^(1−1/α)/(1 − 1/α), strictly convex on w > 0 (h is concave), so we minimise f by Newton's method
 * with a backtracking (Armijo) line search while the Newton decrement λ² = −∇fᵀΔ > 1e-6, full steps
 * after (the quadratically convergent phase), every step kept inside w > 0 — not the paper's scipy
 * least_squares. Stopping rule: every equation holds to 1e-13 relative, |(Mw)ᵢ − wᵢ^(−1/α)| ≤
 * 1e-13·wᵢ^(−1/α), or that residual no longer decreasing in the full-step phase (rounding), or no
 * decrease at a step of 2⁻⁶⁰, or 200 steps. The Newton systems are solved with a diagonal (Jacobi)
 * scaling, and M is first divided by its largest diagonal (then w is rescaled exactly: M → sM gives
 * w → s^(−α/(1+α))w). Measured: with gradient norms 10⁶ apart and 0.3 ≤ α ≤ 10 every equation holds
 * to ~1e-7 relative; at 10⁸ apart (or α ≤ 0.1, α ≥ 50 at 10⁶) the smallest tasks' right-hand sides
 * fall below float64's resolution of (Mw)ᵢ, and their equations hold to absolute precision only.
 * Singular GGᵀ: when 0 is in the cone of the gradients (a conic combination Σνᵢgᵢ = 0) f is unbounded
 * below or has no minimiser and w would diverge; we solve with the regularised Gramian M + εD of
 * gramian-factor.ts (ε = 1e-10 relative to each ‖gᵢ‖²), whose solution exists and is unique, so it is
 * independent of the task order. A zero row has no direction: it gets wᵢ = 0.
 *
 * Properties: permutation invariant, weighted (w > 0: d = 0 only at a strongly stationary point);
 * non-conflicting where the unregularised system has a solution (0 not in the cone of the gradients:
 * then gᵢ·d = wᵢ^(−1/α) − ε‖gᵢ‖²wᵢ > 0 to ~1e-10), not linear under scaling.
 */
import { z } from 'zod';
import { cosineGramian, RIDGE } from './gramian-factor.js';
import { solve } from './linalg.js';
import type { AggregatorOptions, Matrix } from './types.js';
import { fromWeights } from './weighted.js';

/** FairGrad's option: the fairness exponent `alpha` ≥ 0 (default 1 = Nash-MTL; 0 = the mean). */
export const fairgradOptions = z.strictObject({ alpha: z.number().nonnegative().optional() });

/** w > 0 with (M + εD)w = w^(−1/α) over the non-zero rows (0 on zero rows). */
export function alphaFairWeights(M: Matrix, alpha: number): number[] {
  const T = M.length;
  if (!(Number.isFinite(alpha) && alpha >= 0)) throw new Error(`aggregator "fairgrad": option alpha must be a finite number ≥ 0, got ${alpha}`);
  if (alpha === 0) return M.map(() => 1 / T);
  const g = cosineGramian(M);
  const out = new Array<number>(T).fill(0);
  const L = g.live.length;
  if (L === 0) return M.map(() => 1 / T); // every gradient is 0: d = 0
  // A = (M + εD)/s on the live rows, from the clipped eigenvalues: positive definite.
  const n = g.live.map((i) => g.norms[i]!);
  const s = Math.max(...n) ** 2;
  const A = g.live.map((_, a) =>
    g.live.map((__, b) => {
      let c = 0;
      for (let k = 0; k < L; k++) c += g.vectors[a]![k]! * (g.values[k]! + RIDGE) * g.vectors[b]![k]!;
      return (c * n[a]! * n[b]!) / s;
    }),
  );
  const p = 1 / alpha;
  const h = (x: number): number => (p === 1 ? Math.log(x) : x ** (1 - p) / (1 - p));
  // f(w), its quadratic term as Σₖ(λₖ + ε)(vₖ·(n∘w))²/s: on near-stationary input w grows to ~1/√ε
  // along the near-null directions of C and wᵀAw summed entry by entry would cancel ~1e10 to O(1).
  const f = (w: number[]): number => {
    let q = 0;
    for (let k = 0; k < L; k++) {
      let y = 0;
      for (let a = 0; a < L; a++) y += g.vectors[a]![k]! * n[a]! * w[a]!;
      q += (g.values[k]! + RIDGE) * y * y;
    }
    return (0.5 * q) / s - w.reduce((acc, x) => acc + h(x), 0);
  };
  // Start at the solution for orthogonal gradients: Aᵢᵢwᵢ = wᵢ^(−p).
  let w = A.map((row, a) => row[a]! ** (-1 / (1 + p)));
  let fw = f(w);
  let previous = Infinity;
  for (let it = 0; it < 200; it++) {
    const grad = A.map((row, a) => row.reduce((acc, m, b) => acc + m * w[b]!, 0) - w[a]! ** -p);
    // Each task's equation relative to its own right-hand side: the decrement weighs the tasks by their
    // scale, and one whose gradient is 10⁴ times smaller would count for nothing in it.
    const residual = Math.max(...grad.map((r, a) => Math.abs(r) * w[a]! ** p));
    if (!(residual > 1e-13)) break;
    const H = A.map((row, a) => row.map((m, b) => (a === b ? m + p * w[a]! ** (-p - 1) : m)));
    // Jacobi scaling: solve (SHS) y = −S∇f, Δ = Sy, S = diag(H)^(−1/2).
    const S = H.map((row, a) => 1 / Math.sqrt(row[a]!));
    const y = solve(H.map((row, a) => row.map((m, b) => S[a]! * m * S[b]!)), grad.map((x, a) => -S[a]! * x));
    if (!y) break;
    const step = y.map((x, a) => S[a]! * x);
    const decrement2 = -grad.reduce((acc, x, a) => acc + x * step[a]!, 0);
    let t = 1;
    while (w.some((x, a) => !(x + t * step[a]! > 0)) && t > 2 ** -60) t *= 0.5;
    let next = w.map((x, a) => x + t * step[a]!);
    let fn = f(next);
    if (decrement2 > 1e-6) {
      // Damped phase: backtrack until f decreases by a quarter of the predicted amount (Armijo).
      while (!(fn <= fw - 0.25 * t * decrement2) && t > 2 ** -60) {
        t *= 0.5;
        next = w.map((x, a) => x + t * step[a]!);
        fn = f(next);
      }
      if (!(fn <= fw)) break;
    } else if (!(residual < previous)) {
      break; // local phase: full Newton steps converge quadratically until rounding stops them
    }
    previous = residual;
    w = next;
    fw = fn;
  }
  const rescale = s ** (-alpha / (1 + alpha));
  g.live.forEach((i, a) => (out[i] = w[a]! * rescale));
  return out;
}

export function fairgradWeights(M: Matrix, options: AggregatorOptions = {}): number[] {
  return alphaFairWeights(M, options.alpha ?? 1);
}

export const fairgrad = fromWeights(fairgradWeights);
