import { describe, expect, it } from 'vitest';
import { aggregate, checkAggregatorOptions, weightsOf } from '../../src/aggregators/index.js';
import { gram, maxAbsDiff, randomGrads, vcombine, vdot, vmean } from './helpers.js';

describe('fairgrad', () => {
  it('hand case, orthogonal gradients: ‖gᵢ‖²wᵢ = wᵢ^(−1/α), wᵢ = ‖gᵢ‖^(−2α/(1+α))', () => {
    const G = [
      [3, 0],
      [0, 0.5],
    ];
    // α = 1 (Nash-MTL): w = (1/3, 2), d = (1, 1).
    expect(maxAbsDiff(aggregate('fairgrad', G), [1, 1])).toBeLessThan(1e-6);
    // α = 2: dᵢ = ‖gᵢ‖·‖gᵢ‖^(−4/3) = ‖gᵢ‖^(−1/3).
    expect(maxAbsDiff(aggregate('fairgrad', G, { alpha: 2 }), [3 ** (-1 / 3), 0.5 ** (-1 / 3)])).toBeLessThan(1e-6);
    // α = 0: linear scalarisation, the mean.
    expect(maxAbsDiff(aggregate('fairgrad', G, { alpha: 0 }), vmean(G))).toBeLessThan(1e-7);
  });

  it('(GGᵀ)w = w^(−1/α) to 1e-6 relative, w > 0, for α = 0.5, 1, 2, 5 (so gᵢ·d > 0: no conflict)', () => {
    for (const alpha of [0.5, 1, 2, 5]) {
      for (let seed = 0; seed < 20; seed++) {
        const T = 2 + (seed % 7);
        const G = randomGrads(T, 40, 900 + seed, 10 ** ((seed % 5) - 2));
        const w = weightsOf('fairgrad', G, { alpha });
        const M = gram(G);
        w.forEach((x, i) => {
          expect(x).toBeGreaterThan(0);
          const Mw = M[i]!.reduce((s, m, j) => s + m * w[j]!, 0);
          expect(Math.abs(Mw / x ** (-1 / alpha) - 1), `α ${alpha} seed ${seed}`).toBeLessThan(1e-6);
        });
        const d = vcombine(G, w);
        G.forEach((g) => expect(vdot(g, d)).toBeGreaterThan(0));
      }
    }
  });

  it('α = 1 is Nash-MTL', () => {
    const G = randomGrads(5, 30, 4);
    expect(maxAbsDiff(aggregate('fairgrad', G, { alpha: 1 }), aggregate('nash-mtl', G))).toBe(0);
  });

  it('checks alpha', () => {
    expect(() => aggregate('fairgrad', randomGrads(2, 3, 1), { alpha: -1 })).toThrow(/"fairgrad".*alpha/);
    expect(() => checkAggregatorOptions('fairgrad', { alpha: -0.5 })).toThrow(/fairgrad.*alpha/);
    expect(() => checkAggregatorOptions('fairgrad', { alpha: 2, mode: 'rep' })).not.toThrow();
  });
});
