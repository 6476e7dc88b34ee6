import { beforeAll, describe, expect, it } from 'vitest';
import { mulberry32 } from '../../src/data/split.js';
import { initBackend } from '../../src/engine/backend.js';
import { tf } from '../../src/engine/tf.js';
import { createWeighting } from '../../src/weighting/registry.js';
import { heldState } from '../helpers/weighting.js';

beforeAll(async () => { await initBackend('cpu'); });

const ctx = { epoch: 0, step: 0 };
const make = (name: string, T = 2, extra: Record<string, unknown> = {}) =>
  heldState(createWeighting(name, { taskNames: Array.from({ length: T }, (_, i) => `t${i}`), ...extra }));
const f32 = (v: number[]) => Float32Array.from(v);
const norm = (a: ArrayLike<number>) => Math.sqrt(Array.from(a).reduce((s, x) => s + x * x, 0));
const sum = (a: number[]) => a.reduce((x, y) => x + y, 0);

describe('gradnorm (Chen et al. 2018)', () => {
  it('hand-worked step: unequal norms, equal r_t → weights move to equalise w_t·‖∇L_t‖, Σw = T', () => {
    const w = make('gradnorm');
    // n = [3, 1], n̄ = 2, r = [1, 1] → target 2 each; ∂/∂w = [+1·3/1, −1·1/1] = [3, −1]
    // w = [1 − 0.025·3, 1 + 0.025·1] = [0.925, 1.025], ×2/1.95 → [0.9487179, 1.0512821]
    const d = w.combineGradients!([f32([3, 0]), f32([0, 1])], [1, 1], ctx);
    expect(Array.from(d)).toEqual([3, 1]); // Σ G_t with the weights of this step
    expect(w.weights()[0]).toBeCloseTo(0.9487179, 6);
    expect(w.weights()[1]).toBeCloseTo(1.0512821, 6);
    expect(sum(w.weights())).toBeCloseTo(2, 12);
  });
  it('repeated steps drive w_t·‖∇L_t‖ together (fixed per-task gradients, equal rates)', () => {
    const w = make('gradnorm');
    const g = [[3, 0], [0, 1]];
    const gap = () => Math.abs(w.weights()[0]! * 3 - w.weights()[1]! * 1);
    const gap0 = gap();
    let tail = 0;
    for (let k = 0; k < 300; k++) {
      const G = g.map((gt, t) => f32(gt.map((x) => x * w.weights()[t]!))); // G_t = ∇(w_t·L_t)
      w.combineGradients!(G, [1, 1], ctx);
      expect(sum(w.weights())).toBeCloseTo(2, 9);
      if (k >= 200) tail += w.weights()[0]! / 100;
    }
    // The |·| loss gives sign steps of size lr·n_t/w_t, so w oscillates around the balance point
    // 3·w_0 = w_1 (w_0 = 0.5) within about one step; its time average sits on it.
    expect(gap()).toBeLessThan(0.15 * gap0);
    expect(tail).toBeCloseTo(0.5, 1);
  });
  it('a task that trained slower (larger L_t/L_t(0)) gets a larger target', () => {
    const w = make('gradnorm', 2, { alpha: 1.5 });
    w.combineGradients!([f32([1, 0]), f32([0, 1])], [1, 1], ctx); // equal norms at the start: no move
    expect(w.weights()[0]).toBeCloseTo(1, 12);
    // now task 0 is at 0.9 of its start, task 1 at 0.3: r = [1.5, 0.5]; equal norms → w_0 up, w_1 down
    w.combineGradients!([f32([1, 0]), f32([0, 1])], [0.9, 0.3], ctx);
    expect(w.weights()[0]).toBeGreaterThan(1);
    expect(w.weights()[1]).toBeLessThan(1);
  });
  it('terms and combine use the weights: w_t·L_t', () => {
    const w = make('gradnorm');
    w.combineGradients!([f32([3, 0]), f32([0, 1])], [1, 1], ctx);
    const ls = [tf.scalar(2), tf.scalar(5)];
    const terms = w.terms!(ls, ctx);
    const lam = w.weights();
    expect(terms[0]!.dataSync()[0]).toBeCloseTo(2 * lam[0]!, 5);
    expect(terms[1]!.dataSync()[0]).toBeCloseTo(5 * lam[1]!, 5);
    [...terms, ...ls].forEach((t) => t.dispose());
  });
  it('property: Σw = T and w > 0 under random gradients and losses (seeded)', () => {
    const rand = mulberry32(3);
    const T = 4;
    const w = make('gradnorm', T, { lr: 0.5 });
    for (let k = 0; k < 200; k++) {
      const G = Array.from({ length: T }, () => f32(Array.from({ length: 6 }, () => (rand() - 0.5) * 10 * rand())));
      w.combineGradients!(G, Array.from({ length: T }, () => 0.01 + rand()), ctx);
      expect(sum(w.weights())).toBeCloseTo(T, 9);
      w.weights().forEach((x) => expect(x).toBeGreaterThan(0));
    }
  });
});

describe('db-mtl (Lin et al. 2023)', () => {
  it('terms are log(L_t + 1e-8)', () => {
    const w = make('db-mtl');
    const ls = [tf.scalar(2), tf.scalar(0.5)];
    const terms = w.terms!(ls, ctx);
    expect(terms[0]!.dataSync()[0]).toBeCloseTo(Math.log(2), 6);
    expect(terms[1]!.dataSync()[0]).toBeCloseTo(Math.log(0.5), 6);
    [...terms, ...ls].forEach((t) => t.dispose());
  });
  it('hand-worked with β = 0: G = [[3,4],[1,0]] → scales [1, 5], d = [8, 4]', () => {
    const w = make('db-mtl', 2, { beta: 0 });
    const d = w.combineGradients!([f32([3, 4]), f32([1, 0])], [1, 1], ctx);
    expect(d[0]).toBeCloseTo(8, 5);
    expect(d[1]).toBeCloseTo(4, 5);
    expect(w.weights()[0]).toBeCloseTo(1, 6);
    expect(w.weights()[1]).toBeCloseTo(5, 6);
  });
  it('property (β = 0): every scaled ĝ_t has norm max_i ‖ĝ_i‖ (seeded)', () => {
    const rand = mulberry32(9);
    for (let k = 0; k < 30; k++) {
      const T = 2 + Math.floor(rand() * 4);
      const G = Array.from({ length: T }, () => f32(Array.from({ length: 7 }, () => (rand() - 0.5) * 20 * rand())));
      const w = make('db-mtl', T, { beta: 0 });
      w.combineGradients!(G, new Array(T).fill(1), ctx);
      const mx = Math.max(...G.map(norm));
      w.weights().forEach((a, t) => expect(a * norm(G[t]!)).toBeCloseTo(mx, 3));
    }
  });
  it('EMA with β = 0.9 from a zero buffer: ĝ = 0.1·G, then 0.19·G for a repeated G', () => {
    const w = make('db-mtl', 2, { beta: 0.9 });
    const G = [f32([3, 4]), f32([1, 0])];
    const d1 = w.combineGradients!(G, [1, 1], ctx);
    expect(d1[0]).toBeCloseTo(0.8, 5);
    expect(d1[1]).toBeCloseTo(0.4, 5);
    const d2 = w.combineGradients!(G, [1, 1], ctx);
    expect(d2[0]).toBeCloseTo(0.19 * 8, 5);
    expect(d2[1]).toBeCloseTo(0.19 * 4, 5);
  });
});
