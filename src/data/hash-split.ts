/**
 * A seeded split that needs no index: which side a row lands on is a hash of its key (its index among
 * the file's data rows, or its group's value) and the seed, so every pass over a streamed file puts
 * every row on the same
 * side, and nothing per row is kept in memory. The side fractions hold in expectation (a binomial
 * draw per row), not exactly as trainTestSplit's round(n × fraction).
 *
 *   u = mix32(key, seed) / 2^32 ∈ [0, 1)
 *   test        when u < testFraction
 *   validation  when (u − testFraction) / (1 − testFraction) < validationFraction
 *   train       otherwise
 *
 * mix32 is murmur3's 32-bit finaliser over the key and the seed (integer arithmetic only: the same on
 * every platform); a text key is first hashed with FNV-1a (./feature-ids.ts). Pure code.
 */
import { fnv1a } from './feature-ids.js';
import { fmix32 } from '../util/fmix32.js';

export type Side = 'train' | 'validation' | 'test';


/** A uniform number in [0, 1) from a key (an integer, or a text) and a seed. */
export function hashUnit(key: number | string, seed: number): number {
  const k = typeof key === 'number' ? key >>> 0 : fnv1a(key);
  const hi = typeof key === 'number' ? Math.floor(key / 4294967296) >>> 0 : 0;
  return fmix32(fmix32(k ^ Math.imul(seed >>> 0, 0x9e3779b1)) ^ fmix32(hi + 0x632be5ab + (seed >>> 0))) / 4294967296;
}

export interface HashSplitOptions {
  seed: number;
  /** Share of rows for test (0 when a test file is given). */
  testFraction: number;
  /** Share of the non-test rows for validation (0 when a validation file is given or none is wanted). */
  validationFraction: number;
}

/** The side of the row with this key. */
export function hashSide(key: number | string, o: HashSplitOptions): Side {
  if (o.testFraction <= 0 && o.validationFraction <= 0) return 'train';
  const u = hashUnit(key, o.seed);
  if (u < o.testFraction) return 'test';
  return (u - o.testFraction) / (1 - o.testFraction) < o.validationFraction ? 'validation' : 'train';
}
