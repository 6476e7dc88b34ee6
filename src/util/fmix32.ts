/**
 * murmur3's 32-bit finaliser (Appleby): mixes every input bit into every output bit, so a counter or a
 * combination of seeds becomes a well-spread 32-bit value. Used for stable hash splits, per-step dropout seeds
 * and per-step sample seeds; each caller combines its inputs with constants of its own first.
 */
export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
