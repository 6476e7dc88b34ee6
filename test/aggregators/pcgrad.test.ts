import { describe, expect, it } from 'vitest';
import { aggregate } from '../../src/aggregators/index.js';
import { mulberry32, shuffled } from '../../src/aggregators/random.js';
import { pcgradCoefficients } from '../../src/aggregators/pcgrad.js';
import { gram, maxAbsDiff, randomGrads, vcombine, vdot, vsum } from './helpers.js';

describe('pcgrad', () => {
  it('T = 2 by hand: g1=[1,0], g2=[-1,1]', () => {
    // g1·g2 = −1 < 0: g1' = g1 − (−1/2) g2 = [0.5, 0.5]; g2' = g2 − (−1/1) g1 = [0, 1]; d = [0.5, 1.5].
    const d = aggregate('pcgrad', [
      [1, 0],
      [-1, 1],
    ]);
    expect(d[0]).toBeCloseTo(0.5, 12);
    expect(d[1]).toBeCloseTo(1.5, 12);
  });

  it('T = 2: the projected gradients no longer conflict with the other task', () => {
    for (let seed = 0; seed < 20; seed++) {
      const G = randomGrads(2, 30, seed);
      const C = pcgradCoefficients(gram(G), { seed });
      const projected = C.map((c) => vcombine(G, c));
      const scale = vdot(G[0]!, G[0]!) + vdot(G[1]!, G[1]!);
      expect(vdot(projected[0]!, G[1]!)).toBeGreaterThanOrEqual(-1e-12 * scale);
      expect(vdot(projected[1]!, G[0]!)).toBeGreaterThanOrEqual(-1e-12 * scale);
      const d = aggregate('pcgrad', G, { seed });
      expect(maxAbsDiff(d, vsum(projected))).toBeLessThan(1e-5);
    }
  });

  it('leaves non-conflicting gradients unchanged (d = Σ gᵢ)', () => {
    const G = [
      [1, 0, 2],
      [1, 1, 0],
      [0, 3, 1],
    ];
    expect(Array.from(aggregate('pcgrad', G, { seed: 5 }))).toEqual(vsum(G));
  });

  it('same seed, same result; the order matters for T ≥ 3', () => {
    const G = randomGrads(5, 40, 9);
    expect(aggregate('pcgrad', G, { seed: 3 })).toEqual(aggregate('pcgrad', G, { seed: 3 }));
    const results = new Set(Array.from({ length: 10 }, (_, s) => Array.from(aggregate('pcgrad', G, { seed: s })).join(',')));
    expect(results.size).toBeGreaterThan(1);
  });

  it('matches a direct vector implementation of Algorithm 1 (same order), T = 2..6', () => {
    for (let seed = 0; seed < 15; seed++) {
      const T = 2 + (seed % 5);
      const G = randomGrads(T, 20, 40 + seed);
      const rand = mulberry32(seed);
      const rows = G.map((gi, i) => {
        const p = [...gi];
        for (const j of shuffled(G.map((_, k) => k).filter((k) => k !== i), rand)) {
          const gj = G[j]!;
          const pj = vdot(p, gj);
          if (pj < 0) gj.forEach((x, k) => (p[k] = p[k]! - (pj / vdot(gj, gj)) * x));
        }
        return p;
      });
      expect(maxAbsDiff(aggregate('pcgrad', G, { seed }), vsum(rows))).toBeLessThan(1e-5);
    }
  });
});
