import { describe, expect, it } from 'vitest';
import { aggregate, weightsOf } from '../../src/aggregators/index.js';
import { gram, maxAbsDiff, randomGrads, vcombine, vscale } from './helpers.js';

describe('nash-mtl', () => {
  it('(GGᵀ)α = 1/α to 1e-5 relative, α > 0', () => {
    for (let seed = 0; seed < 40; seed++) {
      const T = 2 + (seed % 7);
      const G = randomGrads(T, 50, seed, 10 ** ((seed % 5) - 2));
      const alpha = weightsOf('nash-mtl', G);
      const M = gram(G);
      alpha.forEach((a, i) => {
        expect(a).toBeGreaterThan(0);
        const Ma = M[i]!.reduce((s, m, j) => s + m * alpha[j]!, 0);
        expect(Math.abs(Ma * a - 1)).toBeLessThan(1e-5);
      });
      expect(maxAbsDiff(aggregate('nash-mtl', G), vcombine(G, alpha))).toBeLessThan(1e-4);
    }
  });

  it('orthogonal gradients: αᵢ = 1/‖gᵢ‖, d = Σ gᵢ/‖gᵢ‖', () => {
    const d = aggregate('nash-mtl', [
      [3, 0, 0],
      [0, 0.5, 0],
    ]);
    expect(d[0]).toBeCloseTo(1, 6);
    expect(d[1]).toBeCloseTo(1, 6);
    expect(d[2]).toBe(0);
  });

  it('d does not depend on the scale of the gradients', () => {
    const G = randomGrads(4, 20, 3);
    const d1 = aggregate('nash-mtl', G);
    const d2 = aggregate('nash-mtl', G.map((g) => vscale(g, 1000)));
    expect(maxAbsDiff(d1, d2)).toBeLessThan(1e-4);
  });
});
