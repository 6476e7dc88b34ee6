/**
 * Seeded randomness for the aggregators: the project's mulberry32 PRNG (same seed → same draws on
 * every platform) and a Fisher–Yates shuffle driven by it.
 */
import { mulberry32 } from '../data/split.js';

export { mulberry32 };

/** The PRNG of a method call: `seed` (default 0) as an unsigned 32-bit integer. */
export function rngFor(method: string, seed: number | undefined): () => number {
  const s = seed ?? 0;
  if (!Number.isFinite(s)) throw new Error(`aggregator "${method}": option seed must be a finite number, got ${s}`);
  return mulberry32(Math.trunc(s) >>> 0);
}

/** A new array holding `items` in a random order (Fisher–Yates). */
export function shuffled<T>(items: readonly T[], rand: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    const t = out[i]!;
    out[i] = out[j]!;
    out[j] = t;
  }
  return out;
}
