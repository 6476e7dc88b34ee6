import { describe, expect, it } from 'vitest';
import { aggregate, checkAggregatorOptions, weightsOf } from '../../src/aggregators/index.js';
import { maxAbsDiff, randomGrads, vcombine, vdot, vnorm } from './helpers.js';

describe('config', () => {
  it('hand case: orthogonal g1=[1,0], g2=[0,2] → g_u = (1,1), d = (Σgᵢ·u)u = (1.5, 1.5); with weights [1,3] → (0.7, 2.1)', () => {
    const G = [
      [1, 0],
      [0, 2],
    ];
    expect(maxAbsDiff(aggregate('config', G), [1.5, 1.5])).toBeLessThan(1e-6);
    // g_u = (1, 3), u = (1, 3)/√10, Σgᵢ·u = 7/√10: d = 0.7·(1, 3).
    expect(maxAbsDiff(aggregate('config', G, { weights: [1, 3] }), [0.7, 2.1])).toBeLessThan(1e-6);
  });

  it('hand case: g1=[1,0], g2=[1,1] → g_u = (1, √2−1), equal projections on u1 and u2', () => {
    const r2 = Math.SQRT2;
    const f = (1 + r2) / (4 - 2 * r2);
    const d = aggregate('config', [
      [1, 0],
      [1, 1],
    ]);
    expect(maxAbsDiff(d, [f, f * (r2 - 1)])).toBeLessThan(1e-6);
    expect(d[0]).toBeCloseTo((d[0]! + d[1]!) / r2, 6);
  });

  it('linearly independent rows: equal projections of d on every unit gradient (w = 𝟙), so no conflict', () => {
    for (let seed = 0; seed < 20; seed++) {
      const T = 2 + (seed % 6);
      const G = randomGrads(T, 30, 700 + seed);
      const d = vcombine(G, weightsOf('config', G));
      const proj = G.map((g) => vdot(g, d) / vnorm(g));
      proj.forEach((p) => {
        expect(p).toBeGreaterThan(0);
        expect(Math.abs(p - proj[0]!)).toBeLessThan(1e-8 * vnorm(d));
      });
    }
  });

  it('degenerate: a zero row adds nothing; opposite rows give 0 (g_u = 0)', () => {
    expect(maxAbsDiff(aggregate('config', [[3, 4], [0, 0]]), [3, 4])).toBeLessThan(1e-6);
    expect(vnorm(aggregate('config', [[1, 2], [-1, -2]]))).toBe(0);
  });

  it('checks its preference vector', () => {
    expect(() => aggregate('config', randomGrads(3, 4, 1), { weights: [1, 2] })).toThrow(/"config".*weights must be 3 positive numbers/);
    expect(() => aggregate('config', randomGrads(2, 4, 1), { weights: [1, -2] })).toThrow(/"config".*weights/);
    expect(() => checkAggregatorOptions('config', { weights: [1, 0] })).toThrow(/config.*weights/);
    expect(() => checkAggregatorOptions('config', { weights: [1, 2], mode: 'rep' })).not.toThrow();
  });
});
