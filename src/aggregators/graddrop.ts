/**
 * GradDrop — Chen et al. (2020), "Just Pick a Sign: Optimizing Deep Multitask Models with Gradient
 * Sign Dropout", eq. (1)–(3). Per coordinate k:
 *   Pₖ = ½ (1 + Σᵢ gᵢₖ / Σᵢ |gᵢₖ|)     (the gradient positive sign purity)
 *   Uₖ ~ Uniform[0, 1)                  (seeded: option `seed`, one draw per coordinate, k = 0…P−1)
 *   keep the positive components gᵢₖ > 0 where Pₖ > Uₖ and the negative ones where Pₖ < Uₖ,
 * and d = Σᵢ (masked gᵢ). A coordinate where every gᵢₖ = 0 gives 0. Coordinate-wise, so it is not a
 * Gramian combination. (In the trainer it runs on the gradients at the shared representation.)
 *
 * Properties: permutation invariant for a given seed — the draws Uₖ are per coordinate, not per task,
 * and Pₖ and the kept sums do not depend on the task order. Not weighted (each coordinate keeps other
 * tasks), not linear under scaling (Pₖ changes with the scales), not non-conflicting, not strongly
 * stationary.
 */
import { rngFor } from './random.js';
import type { AggregatorOptions, GradientRows } from './types.js';

export function graddrop(G: GradientRows, options: AggregatorOptions = {}): Float32Array {
  const rand = rngFor('graddrop', options.seed);
  const P = G.length ? G[0]!.length : 0;
  const out = new Float32Array(P);
  for (let k = 0; k < P; k++) {
    let signed = 0;
    let abs = 0;
    let pos = 0;
    let neg = 0;
    for (let i = 0; i < G.length; i++) {
      const g = G[i]![k]!;
      signed += g;
      abs += Math.abs(g);
      if (g > 0) pos += g;
      else neg += g;
    }
    const u = rand();
    if (abs === 0) continue;
    const purity = 0.5 * (1 + signed / abs);
    out[k] = (purity > u ? pos : 0) + (purity < u ? neg : 0);
  }
  return out;
}
