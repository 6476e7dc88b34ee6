import { describe, expect, it } from 'vitest';
import { aggregate, weightsOf } from '../../src/aggregators/index.js';
import { maxAbsDiff, randomGrads, simplexPoint, vcombine, vdot } from './helpers.js';
import { mulberry32 } from '../../src/data/split.js';

describe('mgda', () => {
  it('hand case: g1=[1,0], g2=[0,1] → d = [0.5, 0.5]', () => {
    const d = aggregate('mgda', [
      [1, 0],
      [0, 1],
    ]);
    expect(d[0]).toBeCloseTo(0.5, 7);
    expect(d[1]).toBeCloseTo(0.5, 7);
  });

  it('satisfies the KKT conditions of the min-norm problem on random gradients', () => {
    const rand = mulberry32(1);
    for (let seed = 0; seed < 40; seed++) {
      const T = 2 + (seed % 7);
      const G = randomGrads(T, seed % 3 === 0 ? 4 : 50, seed); // some with T > P
      const alpha = weightsOf('mgda', G);
      expect(alpha.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
      alpha.forEach((a) => expect(a).toBeGreaterThanOrEqual(0));
      const d = vcombine(G, alpha);
      const dd = vdot(d, d);
      const tol = 1e-8 * Math.max(...G.map((g) => vdot(g, g)));
      G.forEach((g, i) => {
        const gd = vdot(g, d);
        expect(gd).toBeGreaterThanOrEqual(dd - tol);
        if (alpha[i]! > 1e-9) expect(Math.abs(gd - dd)).toBeLessThanOrEqual(tol);
      });
      // No sampled point of the hull is closer to 0.
      for (let s = 0; s < 200; s++) {
        const p = vcombine(G, simplexPoint(T, rand));
        expect(vdot(p, p)).toBeGreaterThanOrEqual(dd - tol);
      }
      expect(maxAbsDiff(aggregate('mgda', G), d)).toBeLessThan(1e-5 * Math.sqrt(Math.max(dd, 1)));
    }
  });

  it('0 in the hull gives d = 0', () => {
    const d = aggregate('mgda', [
      [1, 1],
      [-1, -1],
      [3, 0],
    ]);
    expect(Math.abs(d[0]!) + Math.abs(d[1]!)).toBeLessThan(1e-7);
  });
});
