import { describe, expect, it } from 'vitest';
import { aggregate, weightsOf } from '../../src/aggregators/index.js';
import { cagradObjective, cagradSubproblem } from '../../src/aggregators/cagrad.js';
import { mulberry32 } from '../../src/data/split.js';
import { gram, maxAbsDiff, randomGrads, simplexPoint, vcombine, vdot, vmean, vnorm } from './helpers.js';

describe('cagrad', () => {
  it('c = 0 is the mean', () => {
    const G = randomGrads(4, 30, 2);
    expect(maxAbsDiff(aggregate('cagrad', G, { c: 0 }), vmean(G))).toBeLessThan(1e-6);
  });

  it('w minimises F over the simplex (sampled points and vertices)', () => {
    const rand = mulberry32(4);
    for (let seed = 0; seed < 30; seed++) {
      const T = 2 + (seed % 6);
      const G = randomGrads(T, seed % 4 === 0 ? 3 : 40, 50 + seed);
      const M = gram(G);
      for (const c of [0.2, 0.4, 0.9]) {
        const w = cagradSubproblem(M, c);
        const F = cagradObjective(M, w, c);
        const tol = 1e-9 * Math.max(...M.map((r, i) => r[i]!));
        const points = [...M.map((_, i) => M.map((__, j) => (i === j ? 1 : 0))), ...Array.from({ length: 300 }, () => simplexPoint(T, rand))];
        for (const p of points) expect(F).toBeLessThanOrEqual(cagradObjective(M, p, c) + tol);
      }
    }
  });

  it('w satisfies the KKT conditions of F (∇F = b + c‖g₀‖ Mw/‖g_w‖ equal on the support, larger off it)', () => {
    for (let seed = 0; seed < 30; seed++) {
      const T = 2 + (seed % 6);
      const G = randomGrads(T, 40, 300 + seed);
      const M = gram(G);
      const c = 0.4;
      const w = cagradSubproblem(M, c);
      const gw = vcombine(G, w);
      const g0 = vmean(G);
      const grad = G.map((g) => vdot(g, g0) + (c * vnorm(g0) * vdot(g, gw)) / vnorm(gw));
      const low = Math.min(...grad);
      const tol = 1e-7 * Math.max(...M.map((r, i) => r[i]!));
      w.forEach((wi, i) => {
        if (wi > 1e-9) expect(grad[i]! - low).toBeLessThanOrEqual(tol);
      });
    }
  });

  it('d(1 + c²) maximises minᵢ gᵢᵀd over the ball ‖d − g₀‖ ≤ c‖g₀‖ (the primal problem)', () => {
    const rand = mulberry32(8);
    for (let seed = 0; seed < 20; seed++) {
      const T = 2 + (seed % 5);
      const G = randomGrads(T, 6, 200 + seed);
      const c = 0.5;
      const d = Array.from(aggregate('cagrad', G, { c }), (x) => x * (1 + c * c));
      const g0 = vmean(G);
      const r = c * vnorm(g0);
      const worst = (x: number[]): number => Math.min(...G.map((g) => vdot(g, x)));
      expect(vnorm(d.map((x, k) => x - g0[k]!))).toBeCloseTo(r, 4);
      const best = worst(d);
      for (let s = 0; s < 500; s++) {
        const u = Array.from({ length: 6 }, () => rand() - 0.5);
        const f = (r * Math.cbrt(rand())) / vnorm(u);
        expect(worst(g0.map((x, k) => x + f * u[k]!))).toBeLessThanOrEqual(best + 1e-5 * (1 + Math.abs(best)));
      }
    }
  });

  it('weights give the direction', () => {
    const G = randomGrads(3, 20, 7);
    expect(maxAbsDiff(aggregate('cagrad', G), vcombine(G, weightsOf('cagrad', G)))).toBeLessThan(1e-5);
  });

  it('rejects a bad c', () => {
    expect(() => aggregate('cagrad', randomGrads(2, 3, 1), { c: -1 })).toThrow(/cagrad.*c/);
  });
});
