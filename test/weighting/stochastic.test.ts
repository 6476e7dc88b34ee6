import { beforeAll, describe, expect, it } from 'vitest';
import { mulberry32 } from '../../src/data/split.js';
import { initBackend } from '../../src/engine/backend.js';
import { tf } from '../../src/engine/tf.js';
import { createWeighting } from '../../src/weighting/registry.js';
import { heldState } from '../helpers/weighting.js';

beforeAll(async () => { await initBackend('cpu'); });

const make = (name: string, T = 2, extra: Record<string, unknown> = {}) =>
  heldState(createWeighting(name, { taskNames: Array.from({ length: T }, (_, i) => `t${i}`), ...extra }));
const sum = (a: number[]) => a.reduce((x, y) => x + y, 0);
/** ∂objective/∂L_t at the given loss values. */
function lossGrads(w: ReturnType<typeof make>, L: number[], epoch: number): { value: number; grads: number[] } {
  const ls = L.map((x) => tf.scalar(x));
  const { value, grads } = tf.valueAndGrads((...xs: tf.Tensor[]) => w.combine(xs, { epoch, step: 0 }))(ls);
  const out = { value: value.dataSync()[0]!, grads: grads.map((g) => g.dataSync()[0]!) };
  [value, ...grads, ...ls].forEach((t) => t.dispose());
  return out;
}

describe('stch (Lin et al. 2024)', () => {
  it('warm-up: Σ log L_t, and the reference point is the mean loss of epoch W', () => {
    const w = make('stch', 2, { warmupEpochs: 1 });
    const r = lossGrads(w, [2, 4], 0);
    expect(r.value).toBeCloseTo(Math.log(8), 5);
    expect(r.grads[0]).toBeCloseTo(0.5, 5);
    expect(r.grads[1]).toBeCloseTo(0.25, 5);
    w.afterStep!([9, 9], () => [0, 0], { epoch: 0, step: 0 }); // epoch 0 < W: not counted
    w.afterStep!([1, 2], () => [0, 0], { epoch: 1, step: 1 });
    w.afterStep!([3, 0.5], () => [0, 0], { epoch: 1, step: 2 });
    lossGrads(w, [1, 1], 2);
    expect((w.state!() as { nadir: number[] }).nadir).toEqual([2, 1.25]);
  });
  it('hand-worked step after the warm-up: z = [2, 1], L = [2, e], μ = 1', () => {
    const w = make('stch', 2, { warmupEpochs: 0 });
    w.afterStep!([2, 1], () => [0, 0], { epoch: 0, step: 0 });
    // ℓ = [log 1, log e] = [0, 1]; objective T·μ·log(e⁰ + e¹) = 2·log(1 + e)
    // s = softmax(ℓ) = [1, e]/(1 + e); weights on ℓ: T·s; ∂/∂L_t = T·s_t/L_t = [2/(1+e)/2, 2e/(1+e)/e]
    const r = lossGrads(w, [2, Math.E], 1);
    const E = Math.E;
    expect(r.value).toBeCloseTo(2 * Math.log(1 + E), 5);
    expect(r.grads[0]).toBeCloseTo(1 / (1 + E), 5);
    expect(r.grads[1]).toBeCloseTo(2 / (1 + E), 5);
    expect(w.weights()[0]).toBeCloseTo(2 / (1 + E), 6);
    expect(w.weights()[1]).toBeCloseTo((2 * E) / (1 + E), 6);
    // terms T·s_t·ℓ_t (s constant) have the same gradients
    const ls = [tf.scalar(2), tf.scalar(E)];
    const g = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.addN(w.terms!([a, b], { epoch: 1, step: 0 })))(ls);
    expect(g[0]!.dataSync()[0]).toBeCloseTo(r.grads[0]!, 5);
    expect(g[1]!.dataSync()[0]).toBeCloseTo(r.grads[1]!, 5);
    [...g, ...ls].forEach((t) => t.dispose());
  });
  it('properties: weights positive, Σ = T; μ → ∞ gives the warm-up weights (1), μ → 0 the max (Tchebycheff)', () => {
    const rand = mulberry32(4);
    for (let k = 0; k < 20; k++) {
      const T = 2 + Math.floor(rand() * 3);
      const ref = Array.from({ length: T }, () => 0.2 + rand());
      const L = Array.from({ length: T }, () => 0.2 + rand());
      const ell = L.map((l, t) => Math.log(l / ref[t]!));
      const worst = ell.indexOf(Math.max(...ell));
      for (const [mu, check] of [
        [1, (x: number[]) => x.forEach((v) => expect(v).toBeGreaterThan(0))],
        [1e6, (x: number[]) => x.forEach((v) => expect(v).toBeCloseTo(1, 4))],
        [1e-4, (x: number[]) => x.forEach((v, t) => expect(v).toBeCloseTo(t === worst ? T : 0, 3))],
      ] as const) {
        const w = make('stch', T, { warmupEpochs: 0, mu });
        w.afterStep!(ref, () => ref, { epoch: 0, step: 0 });
        lossGrads(w, L, 1);
        expect(sum(w.weights())).toBeCloseTo(T, 6);
        check(w.weights());
      }
    }
  });
  it('rejects a bad option', () => {
    expect(() => make('stch', 2, { mu: 0 })).toThrow(/mu/);
    expect(() => make('stch', 2, { warmupEpochs: 1.5 })).toThrow(/warmupEpochs/);
  });
});

describe('excess-mtl (He et al. 2024)', () => {
  const f32 = (v: number[]) => Float32Array.from(v);
  it('hand-worked: the first step records e⁽⁰⁾ (EW), the second moves λ by exp(η·e/e⁽⁰⁾)', () => {
    const w = make('excess-mtl');
    // S = [[1,0],[0,4]]: e = [1/√1, 4/√4] = [1, 2] = e⁽⁰⁾; λ = [1, 1], d = Σ g_t
    const d1 = w.combineGradients!([f32([1, 0]), f32([0, 2])], [1, 1], { epoch: 0, step: 0 });
    expect(Array.from(d1)).toEqual([1, 2]);
    expect(w.weights()).toEqual([1, 1]);
    // g = [[2,0],[0,2]]: S = [[5,0],[0,8]], e = [4/√5, 4/√8], e/e⁽⁰⁾ = [1.7888544, 0.7071068]
    const r = [4 / Math.sqrt(5), 4 / Math.sqrt(8) / 2];
    const x = r.map((v) => Math.exp(0.01 * v));
    const lam = x.map((v) => (2 * v) / (x[0]! + x[1]!));
    const d2 = w.combineGradients!([f32([2, 0]), f32([0, 2])], [1, 1], { epoch: 0, step: 1 });
    expect(w.weights()[0]).toBeCloseTo(lam[0]!, 6);
    expect(w.weights()[1]).toBeCloseTo(lam[1]!, 6);
    expect(w.weights()[0]).toBeGreaterThan(1); // the task whose excess risk grew gains
    expect(d2[0]).toBeCloseTo(2 * lam[0]!, 5);
    expect(d2[1]).toBeCloseTo(2 * lam[1]!, 5);
  });
  it('terms are λ_t·L_t and the method divides G_t by λ_t: scaling the rows by λ changes nothing', () => {
    const rand = mulberry32(2);
    const a = make('excess-mtl', 3, { stepSize: 0.3 });
    const b = make('excess-mtl', 3, { stepSize: 0.3 });
    for (let k = 0; k < 10; k++) {
      const g = Array.from({ length: 3 }, () => Array.from({ length: 4 }, () => rand() - 0.5));
      const lam = a.weights();
      // a is driven as the trainer does (G_t = ∇(λ_t·L_t)); b the same raw g through the same λ
      const da = a.combineGradients!(g.map((r, t) => f32(r.map((v) => v * lam[t]!))), [1, 1, 1], { epoch: 0, step: k });
      const db = b.combineGradients!(g.map((r, t) => f32(r.map((v) => v * b.weights()[t]!))), [1, 1, 1], { epoch: 0, step: k });
      Array.from(da).forEach((v, j) => expect(v).toBeCloseTo(db[j]!, 5));
    }
    const ls = [tf.scalar(2), tf.scalar(3), tf.scalar(5)];
    const terms = a.terms!(ls, { epoch: 0, step: 0 });
    terms.forEach((t, i) => expect(t.dataSync()[0]).toBeCloseTo([2, 3, 5][i]! * a.weights()[i]!, 5));
    [...terms, ...ls].forEach((t) => t.dispose());
  });
  it('properties: λ > 0, Σλ = T under random gradients; η → 0 is EW (d = Σ g_t)', () => {
    const rand = mulberry32(8);
    const T = 4;
    const w = make('excess-mtl', T, { stepSize: 1 });
    const ew = make('excess-mtl', T, { stepSize: 1e-12 });
    for (let k = 0; k < 50; k++) {
      const G = Array.from({ length: T }, () => f32(Array.from({ length: 5 }, () => (rand() - 0.5) * 4)));
      w.combineGradients!(G.map((g, t) => g.map((x) => x * w.weights()[t]!)), [1, 1, 1, 1], { epoch: 0, step: k });
      expect(sum(w.weights())).toBeCloseTo(T, 9);
      w.weights().forEach((x) => expect(x).toBeGreaterThan(0));
      const d = ew.combineGradients!(G, [1, 1, 1, 1], { epoch: 0, step: k });
      for (let j = 0; j < 5; j++) expect(d[j]).toBeCloseTo(G.reduce((a, g) => a + g[j]!, 0), 5);
    }
  });
});

describe('moco (Fernando et al. 2023)', () => {
  const f32 = (v: number[]) => Float32Array.from(v);
  it('hand-worked first step: ĝ = g/‖g‖·L, y = β·ĝ, λ = softmax(λ − γ·YYᵀλ), d = Yᵀλ', () => {
    const w = make('moco');
    // ĝ = [[1.2, 1.6], [0, 1]], y = ½ĝ = [[0.6, 0.8], [0, 0.5]], YYᵀ = [[1, 0.4], [0.4, 0.25]]
    // YYᵀλ = [0.7, 0.325] → λ = softmax([0.43, 0.4675])
    const d = w.combineGradients!([f32([3, 4]), f32([0, 1])], [2, 1], { epoch: 0, step: 0 });
    const l1 = 1 / (1 + Math.exp(-0.0375));
    expect(w.weights()[1]).toBeCloseTo(l1, 6);
    expect(w.weights()[0]).toBeCloseTo(1 - l1, 6);
    expect(d[0]).toBeCloseTo(0.6 * (1 - l1), 5);
    expect(d[1]).toBeCloseTo(0.8 * (1 - l1) + 0.5 * l1, 5);
    // second step, same gradients: β₂ = 0.5/√2, y ← y − β₂(y − ĝ)
    const b2 = 0.5 / Math.SQRT2;
    const d2 = w.combineGradients!([f32([3, 4]), f32([0, 1])], [2, 1], { epoch: 0, step: 1 });
    const y0 = [0.6 + b2 * 0.6, 0.8 + b2 * 0.8];
    const lam = w.weights();
    expect(d2[0]).toBeCloseTo(lam[0]! * y0[0]!, 5);
  });
  it('properties: λ stays on the simplex (seeded); γ → 0 and β = 1, σβ = 0 give the mean of ĝ (EW on normalised gradients)', () => {
    const rand = mulberry32(6);
    const T = 3;
    const w = make('moco', T, { rho: 0.1 });
    const ew = make('moco', T, { gamma: 1e-12, beta: 1, betaSigma: 0 });
    for (let k = 0; k < 40; k++) {
      const G = Array.from({ length: T }, () => f32(Array.from({ length: 4 }, () => (rand() - 0.5) * 3)));
      const L = Array.from({ length: T }, () => 0.1 + rand());
      w.combineGradients!(G, L, { epoch: 0, step: k });
      expect(sum(w.weights())).toBeCloseTo(1, 9);
      w.weights().forEach((x) => expect(x).toBeGreaterThan(0));
      const d = ew.combineGradients!(G, L, { epoch: 0, step: k });
      const n = G.map((g) => Math.sqrt(Array.from(g).reduce((a, x) => a + x * x, 0)));
      for (let j = 0; j < 4; j++) expect(d[j]).toBeCloseTo(G.reduce((a, g, t) => a + (g[j]! / n[t]!) * L[t]!, 0) / T, 5);
    }
  });
});
