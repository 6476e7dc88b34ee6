import { describe, expect, it } from 'vitest';
import { aggregate, weightsOf } from '../../src/aggregators/index.js';
import { maxAbsDiff, randomGrads, vcombine, vdot, vmean } from './helpers.js';

describe('dualproj', () => {
  it('hand case: g1=[1,0], g2=[-2,1]: the mean [-0.5,0.5] conflicts with g1 and is projected onto the cone to [0,0.5]', () => {
    // Cone {x : x₁ ≥ 0, x₂ ≥ 2x₁}: the mean violates x₁ ≥ 0 only; its projection on that face is (0, 0.5),
    // = 1·g1 + 0.5·g2, so w = (1, 0.5) ≥ (1/2, 1/2). UPGrad gives (0.1, 0.7) here (each gᵢ projected).
    const G = [
      [1, 0],
      [-2, 1],
    ];
    const d = aggregate('dualproj', G);
    expect(d[0]).toBeCloseTo(0, 7);
    expect(d[1]).toBeCloseTo(0.5, 7);
    weightsOf('dualproj', G).forEach((w, i) => expect(w).toBeCloseTo([1, 0.5][i]!, 7));
    const u = aggregate('upgrad', G);
    expect(u[0]).toBeCloseTo(0.1, 7);
    expect(u[1]).toBeCloseTo(0.7, 7);
  });

  it('is not linear under scaling (hand counterexample): d(diag(2,1)G) ≠ ½d(diag(1,1)G) + ½d(diag(3,1)G)', () => {
    // Rows c·[1,0] and [-2,1]: the cone {x₁ ≥ 0, x₂ ≥ 2x₁} does not change with c. The mean ((c−2)/2, ½) projects
    // to (0, ½) for c = 1 and 2, and to (0.3, 0.6) for c = 3 (onto x₂ = 2x₁); the average of c = 1 and 3 is (0.15, 0.55).
    const d = (c: number) => Array.from(aggregate('dualproj', [[c, 0], [-2, 1]]));
    expect(maxAbsDiff(d(1), [0, 0.5])).toBeLessThan(1e-7);
    expect(maxAbsDiff(d(3), [0.3, 0.6])).toBeLessThan(1e-7);
    expect(maxAbsDiff(d(2), [0, 0.5])).toBeLessThan(1e-7);
    // UPGrad is: its d(diag(2,1)G) is the average.
    const u = (c: number) => Array.from(aggregate('upgrad', [[c, 0], [-2, 1]]));
    expect(maxAbsDiff(u(2), u(1).map((x, k) => (x + u(3)[k]!) / 2))).toBeLessThan(1e-7);
  });

  it('the mean when it conflicts with no task', () => {
    const G = [
      [1, 0, 2],
      [1, 1, 0],
      [0, 3, 1],
    ];
    expect(maxAbsDiff(aggregate('dualproj', G), vmean(G))).toBeLessThan(1e-7);
  });

  it('on random conflicting gradients: no conflict, w ≥ 1/T, and d is the closest point of the cone to the mean (KKT)', () => {
    for (let seed = 0; seed < 30; seed++) {
      const T = 2 + (seed % 7);
      const G = randomGrads(T, seed % 4 === 0 ? 3 : 40, 500 + seed);
      const w = weightsOf('dualproj', G);
      const d = vcombine(G, w);
      const scale = Math.max(...G.map((g) => vdot(g, g)));
      w.forEach((x) => expect(x).toBeGreaterThanOrEqual(1 / T - 1e-12));
      G.forEach((g, i) => {
        const gd = vdot(g, d);
        expect(gd).toBeGreaterThanOrEqual(-1e-9 * scale);
        // Complementary slackness: a constraint that is not tight has wᵢ = 1/T.
        if (gd > 1e-7 * scale) expect(w[i]! - 1 / T).toBeLessThan(1e-9);
      });
    }
  });
});
