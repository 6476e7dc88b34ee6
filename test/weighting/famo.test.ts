import { beforeAll, describe, expect, it } from 'vitest';
import { mulberry32 } from '../../src/data/split.js';
import { initBackend } from '../../src/engine/backend.js';
import { tf } from '../../src/engine/tf.js';
import { famoWeighting } from '../../src/weighting/famo.js';

beforeAll(async () => { await initBackend('cpu'); });

const ctx = { epoch: 0, step: 0 };
const make = (T = 2, extra: Record<string, unknown> = {}) => famoWeighting({ taskNames: Array.from({ length: T }, (_, i) => `t${i}`), ...extra });
const sum = (a: number[]) => a.reduce((x, y) => x + y, 0);

describe('famo (Liu et al. 2023)', () => {
  it('hand-worked effective weights on [1, 4] with z = [½, ½]: c⁻¹ = ½ + ⅛, weights [0.8, 0.2] = ∂L/∂L_t', () => {
    const w = make();
    const ls = [tf.scalar(1), tf.scalar(4)];
    const gs = tf.grads((a: tf.Tensor, b: tf.Tensor) => w.combine([a, b], ctx))(ls);
    expect(w.weights()[0]).toBeCloseTo(0.8, 6);
    expect(w.weights()[1]).toBeCloseTo(0.2, 6);
    expect(gs[0]!.dataSync()[0]).toBeCloseTo(0.8, 5);
    expect(gs[1]!.dataSync()[0]).toBeCloseTo(0.2, 5);
    // value: c·Σ z_t·log L_t = 1.6·(½·0 + ½·log 4) = 0.8·log 4
    const v = w.combine(ls, ctx);
    expect(v.dataSync()[0]).toBeCloseTo(0.8 * Math.log(4), 5);
    [...gs, ...ls, v].forEach((t) => t.dispose());
  });
  it('hand-worked update: task 0 improved more → z shifts to task 1', () => {
    const w = make();
    w.afterStep!([1, 1], () => [0.5, 0.9], ctx);
    // δ = [log 2, log(1/0.9)], z = [½, ½]: g = Jᵀδ = ¼·(δ_0 − δ_1)·[1, −1] > 0 for task 0.
    // First Adam step moves each logit by lr·sign(g): ξ = [−0.025, 0.025] → z_1 = 1/(1 + e^{−0.05}) = 0.5124974
    const z = w.distribution();
    expect(z[1]).toBeGreaterThan(z[0]!);
    expect(z[1]).toBeCloseTo(0.5124974, 6);
    expect(sum(z)).toBeCloseTo(1, 12);
  });
  it('minLosses shifts the log: weights use L_t − m_t', () => {
    const w = make(2, { minLosses: [0.5, 0] });
    const ls = [tf.scalar(1), tf.scalar(1)];
    w.combine(ls, ctx).dispose();
    // D = [0.5, 1], z = ½: c⁻¹ = 1 + ½ → weights [1/1.5, 0.5/1.5]
    expect(w.weights()[0]).toBeCloseTo(2 / 3, 6);
    ls.forEach((t) => t.dispose());
  });
  it('property: z stays a distribution, effective weights sum to 1, the slower task gains (seeded)', () => {
    const rand = mulberry32(21);
    const T = 3;
    const w = make(T);
    for (let k = 0; k < 100; k++) {
      const before = Array.from({ length: T }, () => 0.1 + rand());
      const ls = before.map((x) => tf.scalar(x));
      w.combine(ls, ctx).dispose();
      ls.forEach((t) => t.dispose());
      expect(sum(w.weights())).toBeCloseTo(1, 6);
      // task 2 always improves least
      w.afterStep!(before, () => before.map((x, t) => x * (t === 2 ? 0.99 : 0.8)), ctx);
      const z = w.distribution();
      expect(sum(z)).toBeCloseTo(1, 12);
      z.forEach((x) => expect(x).toBeGreaterThan(0));
    }
    const z = w.distribution();
    expect(z[2]).toBeGreaterThan(z[0]!);
    expect(z[2]).toBeGreaterThan(z[1]!);
  });
});
