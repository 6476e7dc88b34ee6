/**
 * The properties every aggregator claims (its file header and the README's table), tested on the
 * families of families.ts — in the style of torchjd's aggregator property tests:
 *   - structure: d has length P and finite values, at every scale from 0 to 1e10;
 *   - weighted: d = Gᵀβ with β from the Gramian (weightsOf reproduces aggregate);
 *   - non-conflicting: gᵢ·d ≥ −1e-6·‖gᵢ‖(‖d‖ + 1e-3·maxⱼ‖gⱼ‖) for every task (on every input, or
 *     where stated): a cosine of −1e-6, or 1e-9 of the scale where d is ~0;
 *   - permutation invariant: d(ΠG) = d(G) to 1e-6·maxⱼ‖gⱼ‖ for permutations Π;
 *   - linear under scaling: d(diag(a·c₁ + b·c₂)G) = a·d(diag(c₁)G) + b·d(diag(c₂)G) for c₁, c₂ > 0,
 *     a, b > 0, to 1e-6 of the inputs' scale (the scaled matrices are float64, so that the inputs are
 *     exact and what is measured is the method);
 *   - strongly stationary: β > 0 on the non-zero rows, so d = 0 only if a positive combination of the
 *     gradients is 0; and ‖d‖ > 1e-6·max‖gᵢ‖ on the inputs that are not weakly stationary.
 * And the other way round: every property a method does NOT claim fails on some input here (by more
 * than 1e-3), so the table does not under-claim either. Seeded throughout; the whole file takes a
 * few seconds.
 */
import { describe, expect, it } from 'vitest';
import { aggregate, aggregatorNames, isGramianMethod, weightsOf } from '../../src/aggregators/index.js';
import type { AggregatorOptions } from '../../src/aggregators/index.js';
import { baseFamilies, permutation, positive, SCALES, type Family } from './families.js';
import { vcombine, vdot, vnorm } from './helpers.js';

/** Where a non-conflicting claim holds: every input, or only where stated. */
type Where = 'all' | 'non-weak' | 'independent' | false;

interface Claims {
  nonConflicting: Where;
  linear: boolean;
  permutation: boolean;
  /** d = Gᵀβ with β from the Gramian. */
  weighted: boolean;
  /** β > 0 on the non-zero rows (d = 0 only at a strongly stationary point). */
  stationary: boolean;
}

const yes = true;
const no = false;
/** The README's table, as tested. */
const CLAIMS: Record<string, Claims> = {
  sum: { nonConflicting: no, linear: yes, permutation: yes, weighted: yes, stationary: yes },
  mean: { nonConflicting: no, linear: yes, permutation: yes, weighted: yes, stationary: yes },
  pcgrad: { nonConflicting: no, linear: yes, permutation: no, weighted: yes, stationary: yes },
  gradvac: { nonConflicting: no, linear: yes, permutation: no, weighted: yes, stationary: yes },
  graddrop: { nonConflicting: no, linear: no, permutation: yes, weighted: no, stationary: no },
  mgda: { nonConflicting: 'all', linear: no, permutation: yes, weighted: yes, stationary: no },
  cagrad: { nonConflicting: no, linear: no, permutation: yes, weighted: yes, stationary: yes },
  'imtl-g': { nonConflicting: no, linear: no, permutation: yes, weighted: yes, stationary: no },
  'nash-mtl': { nonConflicting: 'non-weak', linear: no, permutation: yes, weighted: yes, stationary: yes },
  'aligned-mtl': { nonConflicting: no, linear: no, permutation: yes, weighted: yes, stationary: no },
  upgrad: { nonConflicting: 'all', linear: yes, permutation: yes, weighted: yes, stationary: yes },
  dualproj: { nonConflicting: 'all', linear: no, permutation: yes, weighted: yes, stationary: yes },
  config: { nonConflicting: 'independent', linear: yes, permutation: yes, weighted: yes, stationary: no },
  fairgrad: { nonConflicting: 'non-weak', linear: no, permutation: yes, weighted: yes, stationary: yes },
  krum: { nonConflicting: no, linear: no, permutation: yes, weighted: yes, stationary: no },
  'trimmed-mean': { nonConflicting: no, linear: no, permutation: yes, weighted: no, stationary: no },
};
const METHODS = Object.keys(CLAIMS);
const TOL = 1e-6;

/** Options valid for T tasks (krum needs T ≥ 2f + 3, the trimmed mean T > 2·trim), null if none. */
function optionsFor(name: string, T: number): AggregatorOptions | null {
  if (name === 'krum') return T >= 5 ? { nByzantine: 1 } : T >= 3 ? { nByzantine: 0 } : null;
  if (name === 'trimmed-mean') return { trim: T >= 3 ? 1 : 0 };
  return {};
}

/** d = A(G) with a fixed seed and a fresh state (gradvac), or null where the method takes no such T. */
function run(name: string, G: readonly ArrayLike<number>[]): Float32Array | null {
  const o = optionsFor(name, G.length);
  return o && aggregate(name, G as Float32Array[], { ...o, seed: 7, state: {} });
}

const scaleOf = (G: readonly ArrayLike<number>[]): number => Math.max(...G.map(vnorm));
const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>): number => Array.from(a).reduce((m, x, k) => Math.max(m, Math.abs(x - b[k]!)), 0);
const FAMILIES = baseFamilies();
/** Linearly independent rows: full rank with T ≤ P and no zero row (the generators' labels say so). */
const independent = (f: Family): boolean => f.name.startsWith('full rank') || f.name.startsWith('nearly collinear') || f.name.startsWith('row norms');

/** The worst violation of each property by `name` on `f` (0 when it holds exactly), relative to the input scale. */
function violations(name: string, f: Family) {
  const G = f.G;
  const s = scaleOf(G);
  const d = run(name, G);
  if (!d || s === 0) return null;
  // Relative to ‖gᵢ‖(‖d‖ + 1e-3·max‖g‖): a cosine where d is not tiny (MGDA's d is as small as the
  // smallest gradient), 1e-9 of the scale where d is ~0 (a stationary input; the ridge ε = 1e-10 of
  // gramian-factor.ts allows gᵢ·d ≈ −ε‖gᵢ‖·max‖g‖ there).
  const conflict = Math.max(0, ...G.map((g) => (vnorm(g) > 0 ? -vdot(g, d) / (vnorm(g) * (vnorm(d) + 1e-3 * s)) : 0)));
  let perm = 0;
  for (const seed of [1, 2, 3]) {
    const p = permutation(G.length, seed);
    const dp = run(name, p.map((i) => G[i]!))!;
    perm = Math.max(perm, maxDiff(dp, d) / s);
  }
  let linear = 0;
  for (const seed of [1, 2]) {
    const [c1, c2] = [positive(G.length, 10 * seed), positive(G.length, 10 * seed + 1)];
    const [a, b] = positive(2, 10 * seed + 2, 0.3, 1.5) as [number, number];
    const scaled = (c: number[]) => G.map((g, i) => Float64Array.from(g, (x) => x * c[i]!));
    const d1 = run(name, scaled(c1))!;
    const d2 = run(name, scaled(c2))!;
    const d12 = run(name, scaled(c1.map((x, i) => a * x + b * c2[i]!)))!;
    const ref = scaleOf(scaled(c1.map((x, i) => a * x + b * c2[i]!)));
    linear = Math.max(linear, maxDiff(d12, Array.from(d1, (x, k) => a * x + b * d2[k]!)) / ref);
  }
  return { d, s, conflict, perm, linear };
}

describe('aggregator properties on generated inputs', () => {
  it('the claims cover every built-in aggregator', () => {
    expect([...aggregatorNames()].sort()).toEqual([...METHODS].sort());
    for (const name of METHODS) expect(isGramianMethod(name), name).toBe(CLAIMS[name]!.weighted);
  });

  for (const name of METHODS) {
    const claims = CLAIMS[name]!;
    describe(name, () => {
      it('structure: length P, finite values, at every scale (and the zero matrix)', () => {
        for (const f of FAMILIES) {
          for (const scale of [0, ...SCALES]) {
            const G = f.G.map((g) => Float32Array.from(g, (x) => x * scale));
            const d = run(name, G);
            if (!d) continue;
            expect(d, `${f.name} × ${scale}`).toHaveLength(G[0]!.length);
            expect(d.every(Number.isFinite), `${f.name} × ${scale}`).toBe(true);
          }
        }
      });

      // Computed once, on first use inside a test (not while the tests are collected).
      let cache: ({ f: Family } & NonNullable<ReturnType<typeof violations>>)[] | undefined;
      const checkedAll = () =>
        (cache ??= FAMILIES.flatMap((f) => {
          const v = violations(name, f);
          return v ? [{ f, ...v }] : [];
        }));

      if (claims.weighted) {
        it('weighted: d = Gᵀβ with β = weightsOf(G)', () => {
          for (const { f, d, s } of checkedAll()) {
            const beta = weightsOf(name, f.G, { ...optionsFor(name, f.G.length)!, seed: 7, state: {} });
            expect(maxDiff(vcombine(f.G, beta), d) / s, f.name).toBeLessThan(TOL);
          }
        });
      }

      const where = claims.nonConflicting;
      if (where) {
        it(`non-conflicting (${where === 'all' ? 'every input' : where === 'non-weak' ? 'inputs not weakly stationary' : 'linearly independent rows'}): cos(gᵢ, d) ≥ −1e-6 (−1e-9 of the scale where d ≈ 0)`, () => {
          for (const { f, conflict } of checkedAll()) {
            if (where === 'non-weak' && !f.nonWeak) continue;
            if (where === 'independent' && !independent(f)) continue;
            expect(conflict, f.name).toBeLessThan(TOL);
          }
        });
      }

      if (claims.permutation) {
        it('permutation invariant: d(ΠG) = d(G)', () => {
          for (const { f, perm } of checkedAll()) expect(perm, f.name).toBeLessThan(TOL);
        });
      }

      if (claims.linear) {
        it('linear under scaling: d(diag(a·c₁ + b·c₂)G) = a·d(diag(c₁)G) + b·d(diag(c₂)G)', () => {
          for (const { f, linear } of checkedAll()) expect(linear, f.name).toBeLessThan(TOL);
        });
      }

      if (claims.stationary) {
        it('strongly stationary: β > 0 on the non-zero rows; d ≠ 0 where the input is not weakly stationary', () => {
          for (const { f, d, s } of checkedAll()) {
            const beta = weightsOf(name, f.G, { ...optionsFor(name, f.G.length)!, seed: 7, state: {} });
            f.G.forEach((g, i) => {
              if (vnorm(g) > 0) expect(beta[i], `${f.name} row ${i}`).toBeGreaterThan(0);
            });
            if (f.nonWeak) expect(vnorm(d) / s, f.name).toBeGreaterThan(1e-6); // rounding leaves ~1e-8
          }
        });
      }

      it('what it does not claim fails on some input (by more than 1e-3): the table does not under-claim', () => {
        const worst = (key: 'conflict' | 'perm' | 'linear'): number => Math.max(...checkedAll().map((c) => c[key]));
        if (!where) expect(worst('conflict')).toBeGreaterThan(1e-3);
        if (!claims.permutation) expect(worst('perm')).toBeGreaterThan(1e-3);
        if (!claims.linear) expect(worst('linear')).toBeGreaterThan(1e-3);
      });
    });
  }
});
