import { describe, expect, it } from 'vitest';
import { aggregate, weightsOf } from '../../src/aggregators/index.js';
import { maxAbsDiff, randomGrads, vcombine, vdot, vnorm } from './helpers.js';

describe('imtl-g', () => {
  it('equal projections of d on every unit gradient, Σα = 1', () => {
    for (let seed = 0; seed < 30; seed++) {
      const T = 2 + (seed % 7);
      const G = randomGrads(T, 50, seed, 1 + seed);
      // Unequal scales make the balancing non-trivial.
      G.forEach((g, i) => g.forEach((_, k) => (g[k] = g[k]! * (i + 1))));
      const alpha = weightsOf('imtl-g', G);
      expect(alpha.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 10);
      const d = vcombine(G, alpha);
      const proj = G.map((g) => vdot(d, g) / vnorm(g));
      const scale = Math.max(...proj.map(Math.abs), vnorm(d));
      proj.forEach((p) => expect(Math.abs(p - proj[0]!)).toBeLessThanOrEqual(1e-8 * scale));
      const got = aggregate('imtl-g', G);
      expect(maxAbsDiff(got, d)).toBeLessThanOrEqual(1e-5 * Math.max(1, vnorm(d)));
    }
  });

  it('hand case: orthogonal gradients [2,0] and [0,1] → d = [2/3, 2/3]', () => {
    // α₁ + α₂ = 1 and d·u₁ = 2α₁ = d·u₂ = α₂ → α = (1/3, 2/3).
    expect(weightsOf('imtl-g', [[2, 0], [0, 1]]).map((a) => +a.toFixed(12))).toEqual([1 / 3, 2 / 3].map((a) => +a.toFixed(12)));
    const d = aggregate('imtl-g', [[2, 0], [0, 1]]);
    expect(d[0]).toBeCloseTo(2 / 3, 6);
    expect(d[1]).toBeCloseTo(2 / 3, 6);
  });
});
