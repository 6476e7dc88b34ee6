import { describe, expect, it } from 'vitest';
import { aggregate } from '../../src/aggregators/index.js';
import { mulberry32, shuffled } from '../../src/aggregators/random.js';
import { gradvacCoefficients, type GradVacState } from '../../src/aggregators/gradvac.js';
import { gram, maxAbsDiff, randomGrads, vcombine, vdot, vnorm, vsum } from './helpers.js';

const cos = (a: ArrayLike<number>, b: ArrayLike<number>): number => vdot(a, b) / (vnorm(a) * vnorm(b));

describe('gradvac', () => {
  it('with zero targets and positive cosines nothing changes (d = Σ gᵢ)', () => {
    const G = [
      [1, 0, 2],
      [1, 1, 0],
      [0, 3, 1],
    ];
    expect(maxAbsDiff(aggregate('gradvac', G, { state: {} }), vsum(G))).toBeLessThan(1e-6);
  });

  it('with zero targets a conflict is projected away as in PCGrad (hand case)', () => {
    const G = [
      [1, 0],
      [-1, 1],
    ];
    const d = aggregate('gradvac', G, { state: {} });
    expect(d[0]).toBeCloseTo(0.5, 7);
    expect(d[1]).toBeCloseTo(1.5, 7);
  });

  it('the state keeps EMA targets across calls, and each adjusted pair reaches the old target (T = 2)', () => {
    const G = [
      [1, 0.2],
      [-1, 1],
    ];
    const phi = cos(G[0]!, G[1]!);
    const state: GradVacState = {};
    aggregate('gradvac', G, { beta: 0.5, state });
    // First call: targets 0 → 0.5·φ for both pairs (the cosine is measured before the adjustment).
    expect(state.targets![0]![1]).toBeCloseTo(0.5 * phi, 12);
    expect(state.targets![1]![0]).toBeCloseTo(0.5 * phi, 12);
    expect(state.targets![0]![0]).toBe(0);
    const before = state.targets!.map((r) => [...r]);
    const C = gradvacCoefficients(gram(G), { beta: 0.5, state });
    // φ < target: gᵢ' is rotated to cos(gᵢ', gⱼ) = target exactly.
    expect(cos(vcombine(G, C[0]!), G[1]!)).toBeCloseTo(before[0]![1]!, 10);
    expect(cos(vcombine(G, C[1]!), G[0]!)).toBeCloseTo(before[1]![0]!, 10);
    expect(state.targets![0]![1]).toBeCloseTo(0.5 * before[0]![1]! + 0.5 * phi, 12);
  });

  it('beta defaults to 0.01; stateless calls start from zero targets; the state is checked', () => {
    const G = randomGrads(2, 10, 1);
    const state: GradVacState = {};
    aggregate('gradvac', G, { state });
    expect(state.targets![1]![0]).toBeCloseTo(0.01 * cos(G[1]!, G[0]!), 12);
    const G3 = randomGrads(3, 10, 1);
    expect(aggregate('gradvac', G3)).toEqual(aggregate('gradvac', G3, { state: {} }));
    expect(() => aggregate('gradvac', G3, { state })).toThrow(/gradvac.*2 tasks/);
    expect(() => aggregate('gradvac', G, { beta: 2 })).toThrow(/gradvac.*beta/);
  });

  it('matches a direct vector implementation of Algorithm 1 over several calls (same order), T = 3..5', () => {
    for (let seed = 0; seed < 6; seed++) {
      const T = 3 + (seed % 3);
      const beta = 0.3;
      const state: GradVacState = {};
      const targets = Array.from({ length: T }, () => new Array<number>(T).fill(0));
      for (let step = 0; step < 4; step++) {
        const G = randomGrads(T, 15, 100 * seed + step);
        const rand = mulberry32(step);
        const rows = G.map((gi, i) => {
          const p = [...gi];
          for (const j of shuffled(G.map((_, k) => k).filter((k) => k !== i), rand)) {
            const gj = G[j]!;
            const phi = cos(p, gj);
            const t = targets[i]![j]!;
            if (phi < t) {
              const w = (vnorm(p) * (t * Math.sqrt(1 - phi * phi) - phi * Math.sqrt(1 - t * t))) / (vnorm(gj) * Math.sqrt(1 - t * t));
              gj.forEach((x, k) => (p[k] = p[k]! + w * x));
            }
            targets[i]![j] = (1 - beta) * t + beta * phi;
          }
          return p;
        });
        const d = aggregate('gradvac', G, { seed: step, beta, state });
        expect(maxAbsDiff(d, vsum(rows)), `seed ${seed} step ${step}`).toBeLessThan(1e-4);
        state.targets!.forEach((r, i) => r.forEach((x, j) => expect(x).toBeCloseTo(targets[i]![j]!, 9)));
      }
    }
  });
});
