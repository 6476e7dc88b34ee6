/**
 * ConFIG — Liu et al. (2024), "ConFIG: Towards Conflict-free Training of Physics Informed Neural
 * Networks", Eq. 2: with the unit gradients U = [g₁/‖g₁‖; …; g_T/‖g_T‖] (rows),
 *   g_u = U⁺w,   u = g_u/‖g_u‖,   d = (Σᵢ gᵢ·u) u,
 * w = 𝟙 (equal conflict-free projections on every task) or the preference vector `weights` (length T,
 * positive). On the Gramian: U⁺ = Uᵀ(UUᵀ)⁺ and UUᵀ = C, the cosine matrix (gramian-factor.ts), so
 * g_u = Σᵢ aᵢuᵢ with a = C⁺w, d = Gᵀβ. The pseudo-inverse drops eigenvalues of C ≤ 1e-12·L·λ_max
 * (L live tasks): float32 rounding of G leaves ~1e-15·L there for dependent rows, and a ridge would
 * amplify that rounding by up to 1/(2√ε) where the pseudo-inverse removes it. A zero row has no
 * direction: its row of U is 0 (as torchjd's nan_to_num), it adds nothing to Σgᵢ·u. If g_u = 0
 * (w ⟂ range(U): ‖CC⁺w‖ ≤ 1e-10‖w‖), d = 0.
 *
 * Properties: permutation invariant (weights permuted with the tasks), linear under scaling (U and u
 * do not change under G → diag(c)G, c > 0, and Σcᵢgᵢ·u is linear in c), weighted. Non-conflicting only
 * when the rows are linearly independent (then U u = w/‖g_u‖ > 0); not in general.
 */
import { z } from 'zod';
import { cosineGramian, pseudoInverseSolve } from './gramian-factor.js';
import type { AggregatorOptions, Matrix } from './types.js';
import { fromWeights } from './weighted.js';

/** ConFIG's option: the preference vector `weights` (one positive number per task; default all 1). */
export const configOptions = z.strictObject({ weights: z.array(z.number().positive()).min(1).optional() });

function preference(options: AggregatorOptions, T: number): number[] {
  const w = options.weights;
  if (w === undefined) return new Array<number>(T).fill(1);
  if (!Array.isArray(w) || w.length !== T || !w.every((x) => Number.isFinite(x) && x > 0)) {
    throw new Error(`aggregator "config": option weights must be ${T} positive numbers (one per task), got ${JSON.stringify(w)}`);
  }
  return w;
}

export function configWeights(M: Matrix, options: AggregatorOptions = {}): number[] {
  const T = M.length;
  const w = preference(options, T);
  const g = cosineGramian(M);
  const out = new Array<number>(T).fill(0);
  if (g.live.length === 0) return out;
  const a = pseudoInverseSolve(g, g.live.map((i) => w[i]!));
  // ‖g_u‖² = aᵀCa; Σᵢ gᵢ·g_u = Σᵢ Σⱼ aⱼ Mᵢⱼ/nⱼ.
  const Ca = g.cosines.map((row) => row.reduce((s, c, k) => s + c * a[k]!, 0));
  const gu2 = Ca.reduce((s, x, k) => s + x * a[k]!, 0);
  // CC⁺w is w's part in the range of U: when it is rounding (w ⟂ range(U), e.g. g and −g with
  // w = 𝟙) g_u = 0 and u has no direction — not the direction of the rounding.
  const wNorm = Math.sqrt(g.live.reduce((s, i) => s + w[i]! ** 2, 0));
  if (!(Math.sqrt(Ca.reduce((s, x) => s + x * x, 0)) > 1e-10 * wNorm && gu2 > 0)) return out;
  const beta0 = g.live.map((j, k) => a[k]! / g.norms[j]!); // g_u = Σ beta0ⱼ gⱼ
  let length = 0; // Σᵢ gᵢ·g_u
  for (let i = 0; i < T; i++) g.live.forEach((j, k) => (length += M[i]![j]! * beta0[k]!));
  // d = (Σᵢ gᵢ·u) u = (Σᵢ gᵢ·g_u) g_u / ‖g_u‖².
  g.live.forEach((j, k) => (out[j] = (length * beta0[k]!) / gu2));
  return out;
}

export const config = fromWeights(configWeights);
