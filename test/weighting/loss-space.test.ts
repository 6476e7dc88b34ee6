import { beforeAll, describe, expect, it } from 'vitest';
import { mulberry32 } from '../../src/data/split.js';
import { initBackend } from '../../src/engine/backend.js';
import { tf } from '../../src/engine/tf.js';
import { dwaWeights } from '../../src/weighting/dwa.js';
import { createWeighting } from '../../src/weighting/registry.js';
import { rlwWeights } from '../../src/weighting/rlw.js';
import type { Weighting } from '../../src/weighting/types.js';

beforeAll(async () => { await initBackend('cpu'); });

const ctx = { epoch: 0, step: 0 };
const make = (name: string, T = 2, extra: Record<string, unknown> = {}) =>
  createWeighting(name, { taskNames: Array.from({ length: T }, (_, i) => `t${i}`), ...extra });
const scalars = (v: number[]) => v.map((x) => tf.scalar(x));
const valueOf = (w: Weighting, L: number[], c = ctx): number => {
  const ls = scalars(L);
  const out = w.combine(ls, c);
  const v = out.dataSync()[0]!;
  out.dispose();
  ls.forEach((l) => l.dispose());
  return v;
};
/** ∂combine/∂L_t at L, by autodiff. */
function gradWrtLosses(w: Weighting, L: number[]): number[] {
  const ls = scalars(L);
  const gs = tf.grads((...xs: tf.Tensor[]) => w.combine(xs, ctx))(ls);
  const v = gs.map((g) => g.dataSync()[0]!);
  [...gs, ...ls].forEach((t) => t.dispose());
  return v;
}
/** Minimises combine over the method's own variables for fixed losses L (Adam, many steps). */
function optimiseOnFixedLosses(w: Weighting, L: number[], steps = 1500): void {
  const ls = scalars(L);
  const opt = tf.train.adam(0.05);
  for (let i = 0; i < steps; i++) {
    opt.minimize(() => w.combine(ls, ctx) as tf.Scalar, false, w.variables!())?.dispose();
  }
  opt.dispose();
  ls.forEach((l) => l.dispose());
}

describe('uw (Kendall et al. 2018)', () => {
  it('starts at s = 0: L = Σ ½·L_t, weights ½', () => {
    const w = make('uw');
    expect(w.weights()).toEqual([0.5, 0.5]);
    expect(valueOf(w, [1, 3])).toBeCloseTo(2, 6);
  });
  it('reaches s* = log L_t on fixed losses', () => {
    const w = make('uw');
    const L = [0.5, 3];
    optimiseOnFixedLosses(w, L);
    const s = Array.from(w.variables!()[0]!.dataSync());
    s.forEach((v, t) => expect(Math.abs(v - Math.log(L[t]!))).toBeLessThan(1e-2));
    // At the optimum ½·exp(−s) = 1/(2·L).
    w.weights().forEach((v, t) => expect(v).toBeCloseTo(1 / (2 * L[t]!), 2));
  });
});

describe('imtl-l (Liu et al. 2021)', () => {
  it('starts at s = 0: L = Σ L_t, weights 1', () => {
    const w = make('imtl-l');
    expect(w.weights()).toEqual([1, 1]);
    expect(valueOf(w, [1, 3])).toBeCloseTo(4, 6);
  });
  it('reaches s* = −log L_t on fixed losses (e^s·L − 1 = 0)', () => {
    const w = make('imtl-l');
    const L = [0.5, 3];
    optimiseOnFixedLosses(w, L);
    const s = Array.from(w.variables!()[0]!.dataSync());
    s.forEach((v, t) => expect(Math.abs(v + Math.log(L[t]!))).toBeLessThan(1e-2));
  });
});

describe('gls (Chennupati et al. 2019)', () => {
  it('hand-worked on [1, 4]: objective 2, effective weights 1 and 0.25', () => {
    const w = make('gls');
    expect(w.weights()).toEqual([0.5, 0.5]);
    expect(valueOf(w, [1, 4])).toBeCloseTo(2, 5);
    expect(w.weights()[0]).toBeCloseTo(1, 6);
    expect(w.weights()[1]).toBeCloseTo(0.25, 6);
  });
  it('property: objective = geometric mean, reported weights = autodiff gradient (seeded)', () => {
    const rand = mulberry32(11);
    for (let k = 0; k < 20; k++) {
      const T = 2 + Math.floor(rand() * 4);
      const L = Array.from({ length: T }, () => 0.01 + 5 * rand());
      const w = make('gls', T);
      const geo = L.reduce((a, b) => a * b, 1) ** (1 / T);
      expect(valueOf(w, L)).toBeCloseTo(geo, 4);
      const g = gradWrtLosses(w, L);
      w.weights().forEach((v, t) => expect(v).toBeCloseTo(g[t]!, 4));
    }
  });
});

describe('dwa (Liu et al. 2019)', () => {
  it('hand-worked loss sequence', () => {
    const w = make('dwa');
    expect(w.weights()).toEqual([1, 1]); // epoch 1
    w.endEpoch!([1, 1]);
    expect(w.weights()).toEqual([1, 1]); // epoch 2
    w.endEpoch!([0.5, 0.8]);
    // r = [0.5, 0.8], τ = 2: λ_1 = 2·e^{0.25}/(e^{0.25} + e^{0.4}) = 2/(1 + e^{0.15}) = 2/2.1618342 = 0.9251402
    expect(w.weights()[0]).toBeCloseTo(0.9251402, 6);
    expect(w.weights()[1]).toBeCloseTo(2 - 0.9251402, 6);
    // L = Σ λ_t·L_t on losses [2, 3]: 0.9251402·2 + 1.0748598·3 = 5.0748598
    expect(valueOf(w, [2, 3])).toBeCloseTo(5.0748598, 4);
    w.endEpoch!([0.25, 0.8]);
    // r = [0.25/0.5, 0.8/0.8] = [0.5, 1]: λ_1 = 2/(1 + e^{0.25}) = 2/2.2840254 = 0.8756469
    expect(w.weights()[0]).toBeCloseTo(0.8756469, 6);
  });
  it('temperature option: τ = 1 on r = [0.5, 0.8] gives λ_1 = 2/(1 + e^{0.3}) = 2/2.3498588 = 0.8511150', () => {
    const w = make('dwa', 2, { temperature: 1 });
    w.endEpoch!([1, 1]);
    w.endEpoch!([0.5, 0.8]);
    expect(w.weights()[0]).toBeCloseTo(0.851115, 6);
  });
  it('property: weights are positive and sum to T; equal ratios give 1 (seeded)', () => {
    const rand = mulberry32(5);
    for (let k = 0; k < 50; k++) {
      const T = 2 + Math.floor(rand() * 5);
      const a = Array.from({ length: T }, () => 0.1 + rand());
      const b = Array.from({ length: T }, () => 0.1 + rand());
      const lam = dwaWeights(a, b, 0.5 + 3 * rand());
      expect(lam.reduce((x, y) => x + y, 0)).toBeCloseTo(T, 9);
      lam.forEach((v) => expect(v).toBeGreaterThan(0));
      dwaWeights(a, a.map((x) => 0.7 * x), 2).forEach((v) => expect(v).toBeCloseTo(1, 9));
    }
  });
});

describe('rlw (Lin et al. 2022)', () => {
  it('weights are a softmax (positive, sum 1) and combine = Σ λ_t·L_t', () => {
    const w = make('rlw', 3, { seed: 7 });
    expect(w.weights()).toEqual([1 / 3, 1 / 3, 1 / 3]);
    const v = valueOf(w, [1, 2, 3], { epoch: 0, step: 4 });
    const lam = w.weights();
    expect(lam.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    lam.forEach((x) => expect(x).toBeGreaterThan(0));
    expect(v).toBeCloseTo(lam[0]! + 2 * lam[1]! + 3 * lam[2]!, 5);
  });
  it('same seed + step → same weights (a resumed run), other steps/seeds differ', () => {
    const a = make('rlw', 3, { seed: 7 });
    const b = make('rlw', 3, { seed: 7 });
    valueOf(a, [1, 1, 1], { epoch: 0, step: 0 });
    valueOf(a, [1, 1, 1], { epoch: 0, step: 1 });
    valueOf(b, [1, 1, 1], { epoch: 0, step: 1 }); // b "resumes" at step 1
    expect(b.weights()).toEqual(a.weights());
    expect(rlwWeights(3, 7, 2)).not.toEqual(rlwWeights(3, 7, 1));
    expect(rlwWeights(3, 8, 1)).not.toEqual(rlwWeights(3, 7, 1));
  });
  it('property: log(λ_1/λ_2) = ε_1 − ε_2 ~ N(0, 2), and E[λ_t] = 1/T by symmetry', () => {
    const n = 20000;
    let s = 0, s2 = 0;
    const mean = [0, 0, 0];
    for (let step = 0; step < n; step++) {
      const lam = rlwWeights(3, 123, step);
      const d = Math.log(lam[0]! / lam[1]!);
      s += d; s2 += d * d;
      lam.forEach((x, t) => (mean[t]! += x / n));
    }
    expect(Math.abs(s / n)).toBeLessThan(0.05);
    expect(Math.abs(s2 / n - 2)).toBeLessThan(0.1);
    mean.forEach((m) => expect(Math.abs(m - 1 / 3)).toBeLessThan(0.01));
  });
});
