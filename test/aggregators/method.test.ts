/**
 * The gradient-method contract (src/aggregators/method.ts): init → state → update, the state explicit.
 * Every aggregator through it gives aggregate()'s direction; stateful methods (GradVac, GradNorm,
 * DB-MTL) never change the state they are given, and threading the returned state reproduces the old
 * in-place behaviour step for step.
 */
import { describe, expect, it } from 'vitest';
import { aggregate, aggregatorMethod, aggregatorNames } from '../../src/aggregators/index.js';
import { rowsView, type Direction, type GradientMethod } from '../../src/aggregators/method.js';
import { mulberry32 } from '../../src/data/split.js';
import { dbMtlMethod } from '../../src/weighting/db-mtl.js';
import { gradNormMethod } from '../../src/weighting/gradnorm.js';

function randomG(seed: number, T: number, P: number): Float32Array[] {
  const r = mulberry32(seed);
  return Array.from({ length: T }, () => Float32Array.from({ length: P }, () => r() * 2 - 1));
}

function vectorOf(d: Direction, G: Float32Array[]): Float64Array {
  if ('vector' in d) return Float64Array.from(d.vector);
  const out = new Float64Array(G[0]!.length);
  G.forEach((g, t) => g.forEach((v, j) => (out[j]! += d.weights[t]! * v)));
  return out;
}

const ctx = (step: number, losses = [1, 1, 1]) => ({ epoch: 0, step, seed: 4, losses });

describe('aggregators through the contract', () => {
  for (const name of aggregatorNames()) {
    it(`${name}: the direction equals aggregate() with the step's seed`, () => {
      const G = randomG(11, 3, 20);
      const options = name === 'cagrad' ? { c: 0.5 } : name === 'krum' ? { nByzantine: 0 } : {}; // krum: T ≥ 2f + 3
      const m = aggregatorMethod(name, options);
      const { direction } = m.update(rowsView(G), m.init(3), ctx(7));
      const expected = aggregate(name, G, { ...options, seed: 4 * 1_000_003 + 7, state: {} });
      const got = vectorOf(direction, G);
      expected.forEach((v, j) => expect(Math.abs(got[j]! - v)).toBeLessThan(1e-5 * Math.max(1, Math.abs(v))));
    });
  }

  it('gradvac: the given state is left as it was; threading the states equals the in-place history', () => {
    const m = aggregatorMethod('gradvac', { beta: 0.5 });
    let s = m.init(3);
    const inPlace: Record<string, unknown> = {};
    for (let k = 0; k < 5; k++) {
      const G = randomG(100 + k, 3, 12);
      const before = JSON.stringify(s);
      const a = m.update(rowsView(G), s, ctx(k));
      const b = m.update(rowsView(G), s, ctx(k));
      expect(JSON.stringify(s)).toBe(before);
      expect(a).toEqual(b);
      const old = aggregate('gradvac', G, { beta: 0.5, seed: 4 * 1_000_003 + k, state: inPlace });
      vectorOf(a.direction, G).forEach((v, j) => expect(Math.abs(v - old[j]!)).toBeLessThan(1e-5));
      s = a.state;
    }
    expect(s).toEqual(JSON.parse(JSON.stringify(inPlace)));
  });
});

describe('gradient-space weightings through the contract', () => {
  const methods: [string, (o: { taskNames: string[] }) => GradientMethod<unknown>][] = [
    ['gradnorm', (o) => gradNormMethod(o) as GradientMethod<unknown>],
    ['db-mtl', (o) => dbMtlMethod(o) as GradientMethod<unknown>],
  ];
  for (const [name, method] of methods) {
    it(`${name}: pure update, state encodes to JSON and back`, () => {
      const m = method({ taskNames: ['a', 'b', 'c'] });
      let s = m.init(3);
      for (let k = 0; k < 4; k++) {
        const G = randomG(200 + k, 3, 8);
        const frozen = JSON.stringify(m.encode!(s));
        const r = m.update(rowsView(G), s, ctx(k, [1, 0.8 - 0.1 * k, 1.2]));
        expect(JSON.stringify(m.encode!(s))).toBe(frozen);
        s = r.state;
      }
      const back = m.decode!(JSON.parse(JSON.stringify(m.encode!(s))), 3);
      const G = randomG(9, 3, 8);
      const a = m.update(rowsView(G), s, ctx(9));
      const b = m.update(rowsView(G), back, ctx(9));
      expect(Array.from((b.direction as { vector: Float32Array }).vector)).toEqual(Array.from((a.direction as { vector: Float32Array }).vector));
      expect(m.reportedWeights!(b.state)).toEqual(m.reportedWeights!(a.state));
    });
  }
});
