import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../src/data/split.js';
import { adapt, Adam, mamlGradient, trainMaml, trainPooled, trainReptile, type Episode } from '../../src/meta/maml.js';
import { finiteDifferenceHvp, linearModel, mlpModel, type ParamModel, type RegressionData } from '../../src/meta/models.js';

function gaussian(rand: () => number): number {
  const u = Math.max(rand(), 1e-12), v = rand();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/** y = wᵀx + noise on n Gaussian inputs. */
function regressionTask(w: number[], n: number, noise: number, rand: () => number): RegressionData {
  const d = w.length, x = new Float64Array(n * d), y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < d; j++) { x[i * d + j] = gaussian(rand); s += w[j]! * x[i * d + j]!; }
    y[i] = s + noise * gaussian(rand);
  }
  return { n, x, y };
}

/** L(θ) = ½ a (θ − c)² on a scalar θ: gradient a(θ − c), Hessian a. */
interface Quad { a: number; c: number }
const quadratic: ParamModel<Quad> = {
  name: 'quadratic', size: 1,
  init: () => Float64Array.of(0),
  loss: (t, q) => 0.5 * q.a * (t[0]! - q.c) ** 2,
  grad: (t, q) => Float64Array.of(q.a * (t[0]! - q.c)),
  hvp: (_t, q, v) => Float64Array.of(q.a * v[0]!),
};

function numericGrad(f: (t: Float64Array) => number, theta: Float64Array, h = 1e-6): Float64Array {
  return theta.map((_, i) => {
    const p = theta.slice(), m = theta.slice();
    p[i] += h; m[i] -= h;
    return (f(p) - f(m)) / (2 * h);
  });
}

describe('MAML meta-gradient on a hand-worked quadratic', () => {
  // Support ½·2(θ − 3)², query ½·4(θ − 0)², α = 0.1, θ = 1.
  const ep: Episode<Quad> = { support: { a: 2, c: 3 }, query: { a: 4, c: 0 } };
  const theta = Float64Array.of(1);

  it('first order: equals the query gradient at the adapted parameters', () => {
    // φ₁ = 1 − 0.1·2·(1 − 3) = 1.4; ∇L_Q(φ₁) = 4·1.4 = 5.6.
    const r1 = mamlGradient(quadratic, theta, ep, { steps: 1, lr: 0.1, firstOrder: true });
    expect(r1.grad[0]).toBeCloseTo(5.6, 12);
    expect(r1.queryLoss).toBeCloseTo(0.5 * 4 * 1.4 ** 2, 12);
    // Two steps: φ₂ = 1.4 − 0.2·(1.4 − 3) = 1.72 → 6.88.
    const phi = adapt(quadratic, theta, ep.support, { steps: 2, lr: 0.1 });
    expect(phi[0]).toBeCloseTo(1.72, 12);
    expect(mamlGradient(quadratic, theta, ep, { steps: 2, lr: 0.1, firstOrder: true }).grad[0]).toBeCloseTo(4 * phi[0]!, 12);
  });

  it('second order: multiplies by (1 − αa) per inner step', () => {
    expect(mamlGradient(quadratic, theta, ep, { steps: 1, lr: 0.1 }).grad[0]).toBeCloseTo(0.8 * 5.6, 12);
    expect(mamlGradient(quadratic, theta, ep, { steps: 2, lr: 0.1 }).grad[0]).toBeCloseTo(0.8 * 0.8 * 6.88, 12);
  });
});

describe('models', () => {
  const rand = mulberry32(3);
  const data = regressionTask([0.5, -1, 2, 0.3], 30, 0.2, rand);

  it('MLP gradient matches finite differences of the loss', () => {
    const m = mlpModel(4, 5);
    const theta = m.init(1);
    const g = m.grad(theta, data);
    const num = numericGrad((t) => m.loss(t, data), theta);
    g.forEach((v, i) => expect(Math.abs(v - num[i]!)).toBeLessThan(1e-6));
  });

  it('the linear model\'s exact Hessian-vector product equals the finite-difference one', () => {
    const m = linearModel(4);
    const theta = m.init(2), v = Float64Array.of(1, -2, 0.5, 3);
    const exact = m.hvp!(theta, data, v), fd = finiteDifferenceHvp(m, theta, data, v);
    exact.forEach((e, i) => expect(Math.abs(e - fd[i]!)).toBeLessThan(1e-6 * (1 + Math.abs(e))));
  });

  it('second-order MAML equals the numerical gradient of the post-adaptation query loss (linear exact, MLP by differences)', () => {
    const ep = { support: regressionTask([1, 0, -1, 0.5], 12, 0.1, rand), query: regressionTask([1, 0, -1, 0.5], 10, 0.1, rand) };
    for (const m of [linearModel(4), mlpModel(4, 3)]) {
      const theta = m.init(4);
      const o = { steps: 3, lr: 0.1 };
      const meta = (t: Float64Array) => m.loss(adapt(m, t, ep.support, o), ep.query);
      const num = numericGrad(meta, theta);
      const g = mamlGradient(m, theta, ep, o).grad;
      g.forEach((v, i) => expect(Math.abs(v - num[i]!)).toBeLessThan(1e-5 * (1 + Math.abs(v))));
    }
  });

  it('Adam minimises a quadratic', () => {
    const adam = new Adam(2, 0.1);
    const t = Float64Array.of(3, -2);
    for (let i = 0; i < 500; i++) adam.step(t, Float64Array.of(2 * (t[0]! - 1), 2 * (t[1]! + 1)));
    expect(t[0]).toBeCloseTo(1, 2);
    expect(t[1]).toBeCloseTo(-1, 2);
  });
});

describe('meta-learning a family of linear tasks w_t = w₀ + small noise', () => {
  const d = 5;
  const w0 = [1.5, -2, 0.5, 1, -1];
  const family = (rand: () => number) => w0.map((v) => v + 0.1 * gaussian(rand));
  const sampleTask = (rand: () => number) => regressionTask(family(rand), 20, 0.1, rand);
  const sampleEpisode = (rand: () => number): Episode<RegressionData> => {
    const w = family(rand);
    return { support: regressionTask(w, 10, 0.1, rand), query: regressionTask(w, 10, 0.1, rand) };
  };
  const model = linearModel(d);
  const dist = (t: Float64Array) => Math.sqrt(w0.reduce((s, v, i) => s + (t[i]! - v) ** 2, 0));
  const opts = { iterations: 300, metaBatch: 5, innerSteps: 5, innerLr: 0.1, seed: 0 };

  it("Reptile's meta-init converges toward w₀, and 1-step adaptation from it beats random init", () => {
    const start = model.init(0);
    const theta = trainReptile(model, sampleTask, { ...opts, outerLr: 1 });
    expect(dist(start)).toBeGreaterThan(1.5);
    expect(dist(theta)).toBeLessThan(0.15);
    // Held-out tasks of the family: query loss after one step from each init.
    const rand = mulberry32(99);
    let meta = 0, random = 0;
    for (let k = 0; k < 20; k++) {
      const ep = sampleEpisode(rand);
      meta += model.loss(adapt(model, theta, ep.support, { steps: 1, lr: 0.1 }), ep.query);
      random += model.loss(adapt(model, model.init(100 + k), ep.support, { steps: 1, lr: 0.1 }), ep.query);
    }
    expect(meta).toBeLessThan(0.2 * random);
  });

  it('first-order MAML and the pooled fit also land near w₀', () => {
    const theta = trainMaml(model, sampleEpisode, { ...opts, outerLr: 0.05 });
    expect(dist(theta)).toBeLessThan(0.2);
    const rand = mulberry32(7);
    const tasks = Array.from({ length: 30 }, () => sampleTask(rand));
    const pooled = {
      n: tasks.reduce((s, t) => s + t.n, 0),
      x: Float64Array.from(tasks.flatMap((t) => Array.from(t.x))),
      y: Float64Array.from(tasks.flatMap((t) => Array.from(t.y))),
    };
    expect(dist(trainPooled(model, pooled, { iterations: 1500, lr: 0.02, batch: 64, seed: 1 }))).toBeLessThan(0.2);
  });
});
