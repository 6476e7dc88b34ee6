import { beforeAll, describe, expect, it } from 'vitest';
import { mulberry32 } from '../../src/data/split.js';
import { initBackend } from '../../src/engine/backend.js';
import { tf } from '../../src/engine/tf.js';
import { createWeighting, weightingNames } from '../../src/weighting/registry.js';
import { heldState, type SteppedWeighting } from '../helpers/weighting.js';

beforeAll(async () => { await initBackend('cpu'); });

const METHODS = ['uw', 'dwa', 'rlw', 'gls', 'imtl-l', 'gradnorm', 'db-mtl', 'famo', 'stch', 'excess-mtl', 'moco'];
const T = 3;
const make = (name: string) => heldState(createWeighting(name, { taskNames: ['a', 'b', 'c'], seed: 5 }));

/** Drives a method through a few seeded steps/epochs with every hook it has. */
function drive(w: SteppedWeighting, seed: number, steps = 6): void {
  const rand = mulberry32(seed);
  const opt = tf.train.sgd(0.1);
  for (let k = 0; k < steps; k++) {
    const c = { epoch: Math.floor(k / 2), step: k };
    const L = Array.from({ length: T }, () => 0.2 + rand());
    const ls = L.map((x) => tf.scalar(x));
    const vars = w.variables?.() ?? [];
    if (vars.length) opt.minimize(() => w.combine(ls, c) as tf.Scalar, false, vars);
    else tf.tidy(() => { w.combine(ls, c); });
    if (w.terms) tf.dispose(tf.tidy(() => w.terms!(ls, c)));
    if (w.combineGradients) w.combineGradients(Array.from({ length: T }, () => Float32Array.from({ length: 5 }, () => rand() - 0.5)), L, c);
    w.afterStep?.(L, () => L.map((x) => x * (0.7 + 0.3 * rand())), c);
    if (k % 2 === 1) w.endEpoch?.(L);
    ls.forEach((l) => l.dispose());
  }
  opt.dispose();
}

describe('registry', () => {
  it('registers every method by name', () => {
    for (const m of METHODS) {
      expect(weightingNames()).toContain(m);
      expect(make(m).name).toBe(m);
      expect(make(m).weights()).toHaveLength(T);
    }
  });
});

describe('state round-trips through JSON', () => {
  for (const m of METHODS) {
    it(m, () => {
      const a = make(m);
      drive(a, 1);
      const saved = JSON.parse(JSON.stringify(a.state!()));
      const b = make(m);
      b.restore!(saved);
      expect(b.weights()).toEqual(a.weights());
      // And both continue identically (same next steps).
      drive(a, 2);
      drive(b, 2);
      b.weights().forEach((x, t) => expect(x).toBeCloseTo(a.weights()[t]!, 6));
      if (a.combineGradients) {
        const G = [Float32Array.of(1, 2), Float32Array.of(0, 3), Float32Array.of(-1, 1)];
        const dA = a.combineGradients(G.map((g) => g.map((x) => x * 1.5)), [1, 1, 1], { epoch: 9, step: 99 });
        const dB = b.combineGradients!(G.map((g) => g.map((x) => x * 1.5)), [1, 1, 1], { epoch: 9, step: 99 });
        expect(Array.from(dB)).toEqual(Array.from(dA));
      }
    });
  }
  it('rejects a malformed state', () => {
    for (const m of METHODS) expect(() => make(m).restore!({ nonsense: true })).toThrow(/checkpoint state/);
  });
});

describe('no tensor leaks', () => {
  for (const m of METHODS) {
    it(`${m}: 10 combine calls in tf.tidy, 10 steps under tf.variableGrads`, () => {
      const w = make(m);
      const ls = [tf.scalar(0.5), tf.scalar(1.5), tf.scalar(2)];
      const x = tf.variable(tf.tensor1d([0.3, -0.2, 0.8]));
      const before = tf.memory().numTensors;
      for (let k = 0; k < 10; k++) {
        tf.tidy(() => { w.combine(ls, { epoch: 0, step: k }); });
        if (w.terms) tf.dispose(tf.tidy(() => w.terms!(ls, { epoch: 0, step: k })));
      }
      expect(tf.memory().numTensors).toBe(before);
      for (let k = 0; k < 10; k++) {
        const { value, grads } = tf.variableGrads(() => {
          const losses = [0, 1, 2].map((i) => tf.add(tf.square(tf.gather(x, i)), 0.1));
          return w.combine(losses, { epoch: 0, step: k }) as tf.Scalar;
        }, [x, ...(w.variables?.() ?? [])]);
        value.dispose();
        Object.values(grads).forEach((g) => g.dispose());
      }
      expect(tf.memory().numTensors).toBe(before);
      [...ls, x].forEach((t) => t.dispose());
    });
  }
});
