/**
 * Mean ± std and the paired tests against values worked by hand and from Student's t tables.
 */
import { describe, expect, it } from 'vitest';
import { formatSpread, incompleteBeta, pairedTest, spread, studentTwoSidedP } from '../../src/eval/uncertainty.js';

describe('spread', () => {
  it('mean and sample standard deviation', () => {
    // [1, 2, 3, 4]: mean 2.5, Σ(x−m)² = 5, s² = 5/3
    const s = spread([1, 2, 3, 4]);
    expect(s.mean).toBe(2.5);
    expect(s.std).toBeCloseTo(Math.sqrt(5 / 3), 14);
    expect(formatSpread(s, 2)).toBe('2.50 ± 1.29');
    expect(spread([7]).std).toBe(0);
    expect(formatSpread(spread([7]), 1)).toBe('7.0');
  });
});

describe("Student's t", () => {
  it('matches the tables: two-sided 5% critical values give p = 0.05', () => {
    // t_{0.975, df}: df 1 → 12.706, 2 → 4.303, 4 → 2.776, 10 → 2.228, 30 → 2.042
    for (const [df, t] of [[1, 12.7062], [2, 4.3027], [4, 2.7764], [10, 2.2281], [30, 2.0423]] as const) {
      expect(studentTwoSidedP(t, df)).toBeCloseTo(0.05, 4);
    }
    expect(studentTwoSidedP(0, 5)).toBeCloseTo(1, 12);
    // df = 1 is Cauchy: P(|T| ≥ 1) = 1/2 exactly.
    expect(studentTwoSidedP(1, 1)).toBeCloseTo(0.5, 12);
  });

  it('I_x(a, b) against closed forms: I_x(1, 1) = x, I_x(a, 1) = x^a', () => {
    expect(incompleteBeta(0.3, 1, 1)).toBeCloseTo(0.3, 12);
    expect(incompleteBeta(0.6, 3, 1)).toBeCloseTo(0.216, 12);
    expect(incompleteBeta(0.5, 2.5, 2.5)).toBeCloseTo(0.5, 12);
  });
});

describe('paired test', () => {
  it('hand-worked: d = [1, 2, 3] → t = 2/(1/√3) = 3.464, df 2, p = 0.0742; sign test 3/3 → p = 0.25', () => {
    const r = pairedTest([1, 2, 3]);
    expect(r.t).toBeCloseTo(3.4641, 4);
    expect(r.p).toBeCloseTo(0.0742, 4);
    expect(r.wins).toBe(3);
    expect(r.signP).toBeCloseTo(0.25, 12);
    expect(r.verdict).toMatch(/^no significant difference between MTL and STL: mean Δm% \+2\.00 ± 1\.00, paired t-test p = 0\.074 over 3 seeds \(sign test 3\/3, p = 0\.25\)/);
  });

  it('a clear win over 6 seeds is significant; one seed says it is one draw', () => {
    const r = pairedTest([1.1, 0.9, 1.2, 1.0, 0.8, 1.05]);
    expect(r.p!).toBeLessThan(0.001);
    expect(r.verdict).toMatch(/^MTL beats STL/);
    expect(pairedTest([-2, -2.1, -1.9, -2.2]).verdict).toMatch(/^STL beats MTL/);
    expect(pairedTest([0.4]).verdict).toMatch(/one run: Δm% is a single draw/);
  });
});
