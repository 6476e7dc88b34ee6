import { describe, expect, it } from 'vitest';
import { aggregate } from '../../src/aggregators/index.js';
import { randomGrads } from './helpers.js';

describe('graddrop', () => {
  it('is seeded: same seed same result, another seed another', () => {
    const G = randomGrads(4, 200, 3);
    expect(aggregate('graddrop', G, { seed: 1 })).toEqual(aggregate('graddrop', G, { seed: 1 }));
    expect(aggregate('graddrop', G, { seed: 2 })).not.toEqual(aggregate('graddrop', G, { seed: 1 }));
  });

  it('each coordinate is the sum of one sign only (all positive or all negative components)', () => {
    const G = randomGrads(5, 500, 8);
    const d = aggregate('graddrop', G, { seed: 4 });
    let pos = 0;
    let neg = 0;
    d.forEach((x, k) => {
      const p = Math.fround(G.reduce((s, g) => s + Math.max(g[k]!, 0), 0));
      const n = Math.fround(G.reduce((s, g) => s + Math.min(g[k]!, 0), 0));
      expect(x === p || x === n || x === 0).toBe(true);
      if (x > 0) pos++;
      if (x < 0) neg++;
    });
    expect(pos).toBeGreaterThan(100);
    expect(neg).toBeGreaterThan(100);
  });

  it('a coordinate where every task agrees in sign keeps it; all-zero coordinates give 0', () => {
    const d = aggregate('graddrop', [
      [1, -2, 0],
      [3, -1, 0],
    ], { seed: 9 });
    expect(Array.from(d)).toEqual([4, -3, 0]);
  });

  it('keeps the positive sign with probability P = ½(1 + Σg/Σ|g|)', () => {
    // Per coordinate: g1 = 3, g2 = −1 → P = ½(1 + 2/4) = 0.75.
    const P = 20000;
    const G = [new Array(P).fill(3), new Array(P).fill(-1)];
    const d = aggregate('graddrop', G, { seed: 5 });
    const kept = d.reduce((s, x) => s + (x === 3 ? 1 : 0), 0) / P;
    expect(kept).toBeGreaterThan(0.74);
    expect(kept).toBeLessThan(0.76);
    expect(d.every((x) => x === 3 || x === -1)).toBe(true);
  });
});
