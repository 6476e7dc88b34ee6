/**
 * Seeded randomness for the aggregators: the project's mulberry32 PRNG (same seed → same draws on
 * every platform) and Fisher–Yates shuffle (both src/data/split.ts's), and each method call's PRNG.
 */
import { mulberry32, shuffled } from '../data/split.js';

export { mulberry32, shuffled };

/** The PRNG of a method call: `seed` (default 0) as an unsigned 32-bit integer. */
export function rngFor(method: string, seed: number | undefined): () => number {
  const s = seed ?? 0;
  if (!Number.isFinite(s)) throw new Error(`aggregator "${method}": option seed must be a finite number, got ${s}`);
  return mulberry32(Math.trunc(s) >>> 0);
}
