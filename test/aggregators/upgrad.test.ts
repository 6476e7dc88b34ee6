import { describe, expect, it } from 'vitest';
import { aggregate, weightsOf } from '../../src/aggregators/index.js';
import { maxAbsDiff, randomGrads, vcombine, vdot, vmean } from './helpers.js';

describe('upgrad', () => {
  it('hand case T = 2: g1=[1,0], g2=[-1,1] → mean of the dual-cone projections [0.5,0.5] and [0,1]', () => {
    const d = aggregate('upgrad', [
      [1, 0],
      [-1, 1],
    ]);
    expect(d[0]).toBeCloseTo(0.25, 7);
    expect(d[1]).toBeCloseTo(0.75, 7);
  });

  it('d conflicts with no task on random conflicting gradients', () => {
    let conflicting = 0;
    for (let seed = 0; seed < 40; seed++) {
      const T = 2 + (seed % 7);
      const G = randomGrads(T, seed % 4 === 0 ? 3 : 50, seed);
      const mean = vmean(G);
      if (G.some((g) => vdot(g, mean) < 0)) conflicting++;
      const beta = weightsOf('upgrad', G);
      const d = vcombine(G, beta);
      const tol = 1e-9 * Math.max(...G.map((g) => vdot(g, g)));
      G.forEach((g) => expect(vdot(g, d)).toBeGreaterThanOrEqual(-tol));
      // and each wᵢ ≥ eᵢ, so β ≥ 1/T
      beta.forEach((b) => expect(b).toBeGreaterThanOrEqual(1 / T - 1e-12));
    }
    expect(conflicting).toBeGreaterThan(5);
  });

  it('equals the mean when no pair conflicts', () => {
    const G = [
      [1, 0, 2],
      [1, 1, 0],
      [0, 3, 1],
    ];
    expect(maxAbsDiff(aggregate('upgrad', G), vmean(G))).toBeLessThan(1e-7);
  });
});
