import { describe, expect, it } from 'vitest';
import { aggregate, aggregatorNames, registerAggregator, weightsOf, type AggregatorOptions } from '../../src/aggregators/index.js';
import { maxAbsDiff, randomGrads, vcombine, vnorm, vscale } from './helpers.js';

const METHODS = ['sum', 'mean', 'pcgrad', 'gradvac', 'graddrop', 'mgda', 'cagrad', 'imtl-g', 'nash-mtl', 'aligned-mtl', 'upgrad', 'dualproj', 'config', 'fairgrad', 'krum', 'trimmed-mean'];
/** Methods defined for T = 2 with their defaults (Krum needs T ≥ 2f + 3, the trimmed mean T > 2·trim). */
const T2 = METHODS.filter((m) => m !== 'krum' && m !== 'trimmed-mean');
/** Options that make every method defined for T tasks. */
const forT = (name: string, T: number): AggregatorOptions =>
  name === 'krum' ? { nByzantine: Math.max(0, Math.floor((T - 3) / 2)) } : name === 'trimmed-mean' ? { trim: T >= 3 ? 1 : 0 } : {};

describe('registry', () => {
  it('lists every method; unknown names are rejected with the list', () => {
    expect(aggregatorNames()).toEqual(expect.arrayContaining(METHODS));
    expect(() => aggregate('nope', [[1]])).toThrow(/unknown aggregation method "nope".*pcgrad/);
    expect(() => aggregate('toString', [[1]])).toThrow(/unknown aggregation method/);
  });

  it('registerAggregator adds a method', () => {
    registerAggregator('first-task', (G) => Float32Array.from(G[0]!));
    expect(Array.from(aggregate('first-task', [[1, 2], [3, 4]]))).toEqual([1, 2]);
    expect(() => weightsOf('first-task', [[1, 2], [3, 4]])).toThrow(/not a weighted combination/);
  });

  it('weightsOf reproduces aggregate for every weighted method', () => {
    const G = randomGrads(4, 25, 12);
    for (const name of METHODS.filter((m) => m !== 'graddrop' && m !== 'trimmed-mean')) {
      const beta = weightsOf(name, G, { seed: 3, state: {}, ...forT(name, 4) });
      expect(maxAbsDiff(aggregate(name, G, { seed: 3, state: {}, ...forT(name, 4) }), vcombine(G, beta))).toBeLessThan(1e-5 * Math.max(1, vnorm(vcombine(G, beta))));
    }
  });
});

describe('degenerate input, every method', () => {
  it('T = 1 returns the gradient', () => {
    const g = Float32Array.from([0.5, -2, 3, 0]);
    for (const name of METHODS) {
      expect(aggregate(name, [g], { state: {} }), name).toEqual(g);
      expect(aggregate(name, [[1, -1]]), name).toEqual(Float32Array.from([1, -1]));
    }
  });

  it('invalid input gives a clear error naming the method and the problem', () => {
    for (const name of METHODS) {
      expect(() => aggregate(name, [[1, NaN], [0, 1]])).toThrow(new RegExp(`"${name}".*row 0 has NaN at index 1`));
      expect(() => aggregate(name, [[1, 2], [0, Infinity]])).toThrow(new RegExp(`"${name}".*row 1 has Infinity`));
      expect(() => aggregate(name, [[1, 2], [0]])).toThrow(new RegExp(`"${name}".*ragged.*row 1 has length 1`));
      expect(() => aggregate(name, [])).toThrow(new RegExp(`"${name}".*non-empty`));
    }
  });

  it('a zero row', () => {
    const g = [1, 2];
    const G = [g, [0, 0]];
    const c = 0.4;
    const expected: Record<string, number[]> = {
      sum: g,
      mean: vscale(g, 0.5),
      pcgrad: g,
      gradvac: g,
      graddrop: g,
      mgda: [0, 0], // 0 is in the hull
      cagrad: vscale(g, 0.5 / (1 + c * c)), // optimum at g_w = 0: the ball's centre g₀/(1 + c²)
      'imtl-g': g, // a zero gradient has no direction: α = (1, 0)
      'nash-mtl': vscale(g, 1 / vnorm(g)), // α₁ = 1/‖g‖ (the zero task's α does not matter)
      'aligned-mtl': vscale(g, 0.5), // rank 1: B = e₁e₁ᵀ
      upgrad: vscale(g, 0.5), // no conflict: the mean
      dualproj: vscale(g, 0.5), // the mean conflicts with nothing
      config: g, // U = [u; 0]: g_u = u, d = (g·u)u
      fairgrad: vscale(g, 1 / vnorm(g)), // α = 1: Nash-MTL's
    };
    for (const name of T2) expect(maxAbsDiff(aggregate(name, G, { c, state: {} }), expected[name]!), name).toBeLessThan(1e-5);
    for (const name of METHODS) expect(Array.from(aggregate(name, [[0, 0], [0, 0], [0, 0]], { state: {}, ...forT(name, 3) })), name).toEqual([0, 0]);
  });

  it('identical rows', () => {
    const g = [1, -2, 3];
    const c = 0.4;
    const expected: Record<string, number[]> = {
      sum: vscale(g, 2),
      mean: g,
      pcgrad: vscale(g, 2),
      gradvac: vscale(g, 2),
      graddrop: vscale(g, 2),
      mgda: g,
      cagrad: vscale(g, (1 + c) / (1 + c * c)),
      'imtl-g': g,
      'nash-mtl': vscale(g, Math.SQRT2 / vnorm(g)), // 2‖g‖²α = 1/α
      'aligned-mtl': g,
      upgrad: g,
      dualproj: g,
      config: vscale(g, 2), // u = g/‖g‖, Σgᵢ·u = 2‖g‖
      fairgrad: vscale(g, Math.SQRT2 / vnorm(g)),
    };
    for (const name of T2) expect(maxAbsDiff(aggregate(name, [g, g], { c, state: {} }), expected[name]!), name).toBeLessThan(1e-5);
  });

  it('opposite rows give 0 (graddrop keeps one sign per coordinate)', () => {
    const g = [1, -2, 3];
    const G = [g, vscale(g, -1)];
    for (const name of T2.filter((m) => m !== 'graddrop')) {
      expect(vnorm(aggregate(name, G, { state: {} })), name).toBeLessThan(1e-5);
    }
    const d = aggregate('graddrop', G, { seed: 1 });
    d.forEach((x, k) => expect(Math.abs(x)).toBe(Math.abs(g[k]!)));
  });

  it('empty rows (P = 0) give an empty direction', () => {
    for (const name of METHODS) expect(aggregate(name, [[], [], []], { state: {}, ...forT(name, 3) }), name).toEqual(new Float32Array(0));
  });

  it('random T = 2..8, P = 50 (and T > P, and extreme scales): finite, no hang', () => {
    for (const name of METHODS) {
      const start = Date.now();
      for (let seed = 0; seed < 28; seed++) {
        const T = 2 + (seed % 7);
        const P = seed % 4 === 3 ? 3 : 50;
        const scale = [1, 1e-12, 1e12, 1][seed % 4]!;
        const G = randomGrads(T, P, 1000 + seed, scale).map((r) => Float32Array.from(r));
        if (T < 3 && !T2.includes(name)) continue;
        const d = aggregate(name, G, { seed, state: {}, ...forT(name, T) });
        expect(d).toHaveLength(P);
        expect(d.every(Number.isFinite), `${name} seed ${seed}`).toBe(true);
      }
      expect(Date.now() - start, name).toBeLessThan(10_000);
    }
  });

  it('tolerances are relative: aggregate(sG)/s = aggregate(G) for s = 1e-12, 1e12 (nash-mtl, fairgrad at α = 1: scale-invariant)', () => {
    const G = randomGrads(5, 20, 77);
    for (const name of METHODS) {
      const d = aggregate(name, G, { seed: 2, state: {} });
      for (const s of [1e-12, 1e12]) {
        const f = name === 'nash-mtl' || name === 'fairgrad' ? 1 : 1 / s;
        const ds = vscale(aggregate(name, G.map((g) => vscale(g, s)), { seed: 2, state: {} }), f);
        expect(maxAbsDiff(ds, d) / Math.max(vnorm(d), 1e-30), `${name} ${s}`).toBeLessThan(1e-4);
      }
    }
  });

  it('nearly identical and nearly opposite rows: finite, no hang', () => {
    const base = randomGrads(1, 30, 5)[0]!;
    const noise = randomGrads(4, 30, 6);
    for (const eps of [1e-3, 1e-7, 1e-12]) {
      for (const sign of [1, -1]) {
        const G = noise.map((n, i) => base.map((x, k) => (i % 2 ? sign : 1) * x + eps * n[k]!));
        for (const name of METHODS) {
          const d = aggregate(name, G, { state: {}, ...forT(name, 4) });
          expect(d.every(Number.isFinite), `${name} ${eps} ${sign}`).toBe(true);
        }
      }
    }
  });
});
