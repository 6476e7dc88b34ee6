import { beforeAll, describe, expect, it } from 'vitest';
import { rowsView, type GradientMethod, type GradientView } from '../../src/aggregators/method.js';
import { mulberry32 } from '../../src/data/split.js';
import { initBackend } from '../../src/engine/backend.js';
import { tf } from '../../src/engine/tf.js';
import { buildModel } from '../../src/models/registry.js';
import { createTask } from '../../src/tasks/registry.js';
import { Trainer } from '../../src/train/trainer.js';
import { modoMethod } from '../../src/weighting/modo.js';
import { createWeighting } from '../../src/weighting/registry.js';
import { sdmgradMethod } from '../../src/weighting/sdmgrad.js';
import { projectSimplex } from '../../src/weighting/simplex-projection.js';
import { syntheticDataset } from '../helpers/synthetic.js';

beforeAll(async () => { await initBackend('cpu'); });

const names = (T: number) => Array.from({ length: T }, (_, i) => `t${i}`);
const ctxWith = (samples: number[][][], step = 0) => ({ epoch: 0, step, seed: 0, losses: [], samples: samples.map((g) => rowsView(g)) });
const weightsOf = (d: { weights: number[] } | { vector: Float32Array }) => {
  if (!('weights' in d)) throw new Error('expected weights');
  return d.weights;
};
const sum = (a: number[]) => a.reduce((x, y) => x + y, 0);
const dist = (a: number[], b: number[]) => Math.sqrt(sum(a.map((v, i) => (v - b[i]!) ** 2)));

function randomRows(rand: () => number, T: number, P: number, scale = 1): number[][] {
  return Array.from({ length: T }, () => Array.from({ length: P }, () => (rand() * 2 - 1) * scale));
}

/** A random point of the simplex (normalised exponentials). */
function simplexPoint(rand: () => number, n: number): number[] {
  const e = Array.from({ length: n }, () => -Math.log(1 - rand()));
  const s = sum(e);
  return e.map((v) => v / s);
}

describe('projectSimplex (Euclidean projection onto the probability simplex)', () => {
  it('known examples, worked by hand', () => {
    // On the simplex already: unchanged.
    expect(projectSimplex([0.25, 0.75])).toEqual([0.25, 0.75]);
    // [1, 1]: θ = (2 − 1)/2 = ½ → [½, ½].
    expect(projectSimplex([1, 1])).toEqual([0.5, 0.5]);
    // [2, 0]: u = [2, 0]; j=1: 2 − (2−1)/1 = 1 > 0; j=2: 0 − (2−1)/2 < 0 → θ = 1 → [1, 0].
    expect(projectSimplex([2, 0])).toEqual([1, 0]);
    // [−1, 0, 3]: θ = 3 − 1 = 2 (j=2: 0 − (3−1)/2 < 0) → [0, 0, 1].
    expect(projectSimplex([-1, 0, 3])).toEqual([0, 0, 1]);
    // [0.2, 0.3, 0.9]: all three stay positive, θ = (1.4 − 1)/3 = 2/15 → [1/15, 5/30, 23/30].
    const p = projectSimplex([0.2, 0.3, 0.9]);
    [0.2 - 2 / 15, 0.3 - 2 / 15, 0.9 - 2 / 15].forEach((v, i) => expect(p[i]).toBeCloseTo(v, 12));
    // A uniform shift does not matter: [5, 5, 5] and [−5, −5, −5] both go to the centre.
    for (const y of [[5, 5, 5], [-5, -5, -5]]) projectSimplex(y).forEach((v) => expect(v).toBeCloseTo(1 / 3, 12));
    expect(() => projectSimplex([])).toThrow(/empty/);
  });

  it('properties: on the simplex, idempotent, and no point of the simplex is closer', () => {
    const rand = mulberry32(11);
    for (let k = 0; k < 200; k++) {
      const n = 1 + Math.floor(rand() * 6);
      const y = Array.from({ length: n }, () => (rand() * 2 - 1) * 3);
      const p = projectSimplex(y);
      expect(sum(p)).toBeCloseTo(1, 12);
      p.forEach((v) => expect(v).toBeGreaterThanOrEqual(0));
      projectSimplex(p).forEach((v, i) => expect(v).toBeCloseTo(p[i]!, 12));
      for (let m = 0; m < 20; m++) expect(dist(simplexPoint(rand, n), y)).toBeGreaterThanOrEqual(dist(p, y) - 1e-12);
    }
  });
});

describe('modo (Chen et al. 2023)', () => {
  // G₁ = [(1, 0), (0, 2)], G₂ = [(3, 0), (1, 1)], G₃ = [(1, −1), (2, 1)] (rows: tasks; P = 2).
  // C = G₁G₂ᵀ = [[1·3 + 0·0, 1·1 + 0·1], [0·3 + 2·0, 0·1 + 2·1]] = [[3, 1], [0, 2]].
  // λ₀ = [½, ½]: Cλ₀ = [2, 1]; with ρ = 0.1, Cλ₀ + ρλ₀ = [2.05, 1.05].
  const G1 = [[1, 0], [0, 2]], G2 = [[3, 0], [1, 1]], G3 = [[1, -1], [2, 1]];

  it('hand-worked update, inside the simplex: γ = 0.1', () => {
    const m = modoMethod({ taskNames: names(2), gamma: 0.1, rho: 0.1 });
    // λ₀ − γ(…) = [0.295, 0.395]; Π_Δ: θ = (0.69 − 1)/2 = −0.155 → λ₁ = [0.45, 0.55].
    // d = G₃ᵀλ₁ = 0.45·(1, −1) + 0.55·(2, 1) = (1.55, 0.1): the weights λ₁ applied to the step's G₃.
    const { direction, state } = m.update(rowsView(G3), m.init(2), ctxWith([G1, G2]));
    const w = weightsOf(direction);
    expect(w[0]).toBeCloseTo(0.45, 12);
    expect(w[1]).toBeCloseTo(0.55, 12);
    expect(state.lambda).toEqual(w);
    expect(m.reportedWeights!(state)).toEqual(w);
  });

  it('hand-worked update onto a vertex: γ = 1', () => {
    const m = modoMethod({ taskNames: names(2), gamma: 1, rho: 0.1 });
    // λ₀ − (2.05, 1.05) = (−1.55, −0.55); θ = −0.55 − 1 = −1.55 (j=2: −1.55 − (−2.1 − 1)/2 = 0, not > 0)
    // → λ₁ = (0, 1): d = G₃ᵀλ₁ = (2, 1), task 1 (whose cross term g₁₁·G₂ᵀλ is larger) is dropped.
    const w = weightsOf(m.update(rowsView(G3), m.init(2), ctxWith([G1, G2])).direction);
    expect(w[0]).toBeCloseTo(0, 12);
    expect(w[1]).toBeCloseTo(1, 12);
  });

  it('defaults are LibMTL\'s: γ = 0.001, ρ = 0.1', () => {
    const m = modoMethod({ taskNames: names(2) });
    // λ₁ = Π(½ − 0.001·[2.05, 1.05]) = [0.49795, 0.49895] + θ-shift 0.00155 → [0.4995, 0.5005].
    const w = weightsOf(m.update(rowsView(G3), m.init(2), ctxWith([G1, G2])).direction);
    expect(w[0]).toBeCloseTo(0.4995, 12);
    expect(w[1]).toBeCloseTo(0.5005, 12);
  });

  it('refuses a step without its two extra gradient samples', () => {
    const m = modoMethod({ taskNames: names(2) });
    expect(m.samples).toBe(3);
    expect(() => m.update(rowsView(G3), m.init(2), { epoch: 0, step: 0, seed: 0, losses: [] })).toThrow(/2 more independent minibatches/);
    expect(() => m.update(rowsView(G3), m.init(2), ctxWith([G1]))).toThrow(/got 1 more/);
  });
});

describe('sdmgrad (Xiao et al. 2023)', () => {
  it('hand-worked update: λ = 0.5, 2 inner steps, lr 0.5, momentum 0.5', () => {
    // G_ξ = [(1, 0), (0, 1)], G_ξ' = [(1, 0), (1, 1)]: C = G_ξG_ξ'ᵀ = [[1, 1], [0, 1]];
    // diag = [1, 1], s = 1, so C/(s² + 1e-8) = C (to 1e-8); c = C𝟙/2 = [1, ½]. w₀ = [½, ½].
    // step 1: g = Cw + λc = [1, ½] + [½, ¼] = [1.5, 0.75] = b; w − 0.5b = [−0.25, 0.125];
    //         Π_Δ: θ = (−0.125 − 1)/2 = −0.5625 → w₁ = [0.3125, 0.6875].
    // step 2: Cw₁ = [1, 0.6875]; g = [1.5, 0.9375]; b = 0.5·[1.5, 0.75] + g = [2.25, 1.3125];
    //         w₁ − 0.5b = [−0.8125, 0.03125]; θ = (−0.78125 − 1)/2 = −0.890625 → w₂ = [0.078125, 0.921875].
    // β = (w₂ + λ/T)/(1 + λ) = [0.328125, 1.171875]/1.5 = [0.21875, 0.78125]; d = G_ζᵀβ.
    const m = sdmgradMethod({ taskNames: names(2), lambda: 0.5, iterations: 2, lr: 0.5, momentum: 0.5 });
    const Gz = [[4, 0], [0, 4]];
    const { direction, state } = m.update(rowsView(Gz), m.init(2), ctxWith([[[1, 0], [0, 1]], [[1, 0], [1, 1]]]));
    [0.078125, 0.921875].forEach((v, i) => expect(state.w[i]).toBeCloseTo(v, 7));
    const beta = weightsOf(direction);
    [0.21875, 0.78125].forEach((v, i) => expect(beta[i]).toBeCloseTo(v, 7));
    expect(m.reportedWeights!(state)).toEqual(beta);
  });

  it('d = (G_ζᵀw + λḡ_ζ)/(1 + λ), and the weights do not depend on the gradients\' scale', () => {
    const rand = mulberry32(3);
    const m = sdmgradMethod({ taskNames: names(3) });
    const [Gz, A, B] = [randomRows(rand, 3, 5), randomRows(rand, 3, 5), randomRows(rand, 3, 5)];
    const r = m.update(rowsView(Gz), m.init(3), ctxWith([A, B]));
    const beta = weightsOf(r.direction);
    const lambda = 0.3;
    for (let j = 0; j < 5; j++) {
      const d = sum(Gz.map((g, t) => g[j]! * beta[t]!));
      const expected = (sum(Gz.map((g, t) => g[j]! * r.state.w[t]!)) + (lambda * sum(Gz.map((g) => g[j]!))) / 3) / (1 + lambda);
      expect(d).toBeCloseTo(expected, 12);
    }
    // s normalises C: gradients 1000× larger give the same w.
    const big = m.update(rowsView(Gz), m.init(3), ctxWith([A.map((g) => g.map((x) => x * 1000)), B.map((g) => g.map((x) => x * 1000))]));
    big.state.w.forEach((v, t) => expect(v).toBeCloseTo(r.state.w[t]!, 5));
  });

  it('a negative diagonal of the cross-Gramian counts as 0 in the scale (LibMTL)', () => {
    // G_ξ = [(1, 0), (0, 1)], G_ξ' = [(−1, 0), (0, 2)]: C = diag(−1, 2), s = (0 + √2)/2, s² = ½.
    // Scaled C = diag(−2, 4), c = [−1, 2]. One plain step (momentum 0), lr 0.1, λ = 0.3, w₀ = [½, ½]:
    // g = [−1 − 0.3, 2 + 0.6] = [−1.3, 2.6]; w₀ − 0.1g = [0.63, 0.24]; θ = (0.87 − 1)/2 = −0.065 → [0.695, 0.305].
    const m = sdmgradMethod({ taskNames: names(2), iterations: 1, lr: 0.1, momentum: 0 });
    const r = m.update(rowsView([[1, 0], [0, 1]]), m.init(2), ctxWith([[[1, 0], [0, 1]], [[-1, 0], [0, 2]]]));
    [0.695, 0.305].forEach((v, i) => expect(r.state.w[i]).toBeCloseTo(v, 6));
  });

  it('refuses a step without its two extra gradient samples; checks its options', () => {
    const m = sdmgradMethod({ taskNames: names(2) });
    expect(m.samples).toBe(3);
    expect(() => m.update(rowsView([[1], [2]]), m.init(2), { epoch: 0, step: 0, seed: 0, losses: [] })).toThrow(/2 more independent minibatches/);
    expect(() => createWeighting('sdmgrad', { taskNames: names(2), iterations: 2.5 })).toThrow(/iterations/);
    expect(() => createWeighting('sdmgrad', { taskNames: names(2), momentum: 1 })).toThrow(/momentum/);
    expect(() => createWeighting('modo', { taskNames: names(2), gama: 0.1 })).toThrow(/gama/);
  });
});

describe('both: the weights stay on the simplex, and the state round-trips', () => {
  const METHODS: [string, (T: number) => GradientMethod<unknown>][] = [
    ['modo', (T) => modoMethod({ taskNames: names(T), gamma: 0.05 }) as GradientMethod<unknown>],
    ['sdmgrad', (T) => sdmgradMethod({ taskNames: names(T) }) as GradientMethod<unknown>],
  ];
  const draw = (rand: () => number, T: number): [GradientView, ReturnType<typeof ctxWith>] => {
    const scale = 10 ** (rand() * 4 - 2);
    return [rowsView(randomRows(rand, T, 7, scale)), ctxWith([randomRows(rand, T, 7, scale), randomRows(rand, T, 7, scale)])];
  };
  for (const [name, make] of METHODS) {
    it(`${name}: 300 random updates keep λ ≥ 0, Σλ = 1`, () => {
      const rand = mulberry32(name.length);
      for (const T of [1, 2, 4]) {
        const m = make(T);
        let s = m.init(T);
        for (let k = 0; k < 100; k++) {
          const [G, ctx] = draw(rand, T);
          const r = m.update(G, s, ctx);
          s = r.state;
          for (const w of [weightsOf(r.direction), m.reportedWeights!(s)]) {
            expect(w).toHaveLength(T);
            expect(sum(w)).toBeCloseTo(1, 10);
            w.forEach((v) => expect(v).toBeGreaterThanOrEqual(0));
          }
        }
      }
    });

    it(`${name}: the state round-trips through JSON, and the continuation is identical`, () => {
      const rand = mulberry32(7);
      const m = make(3);
      let s = m.init(3);
      for (let k = 0; k < 5; k++) {
        const [G, ctx] = draw(rand, 3);
        s = m.update(G, s, ctx).state;
      }
      const restored = m.decode!(JSON.parse(JSON.stringify(m.encode!(s))), 3);
      expect(restored).toEqual(s);
      const [G, ctx] = draw(rand, 3);
      expect(m.update(G, restored, ctx)).toEqual(m.update(G, s, ctx));
      expect(() => m.decode!({ nonsense: true }, 3)).toThrow(/checkpoint state/);
      expect(() => m.decode!({ weights: [1], w: [1] }, 3)).toThrow(/3 numbers/);
    });
  }
});

describe('a seeded training run with each method', () => {
  const ds = syntheticDataset(192, 8, 6);
  for (const method of ['modo', 'sdmgrad']) {
    it(`${method} lowers every task's training loss; flat tensor count; same seed → same run`, async () => {
      const run = async () => {
        const tasks = ds.tasks.map((s) => createTask(s, {}, { values: ds.labels[s.name], n: ds.n }));
        const model = buildModel('hps', { inputShape: ds.inputShape, tasks, seed: 3 }, { encoder: { type: 'mlp', hidden: [8] } });
        const counts: number[] = [];
        const t = new Trainer(model, tasks, {
          epochs: 5, batchSize: 32, optimizer: { name: 'adam', lr: 0.01 }, seed: 4,
          weighting: { method }, onEpoch: () => counts.push(tf.memory().numTensors),
        });
        const r = await t.fit(ds);
        const out = { history: r.history.map((e) => ({ train: e.train, weights: e.weights })), counts, final: model.trainableVariables().map((v) => Array.from(v.dataSync())) };
        t.dispose();
        model.dispose();
        return out;
      };
      const a = await run();
      const first = a.history[0]!.train, last = a.history.at(-1)!.train;
      for (const task of ['a', 'b', 'c']) expect(last[task]!.loss).toBeLessThan(first[task]!.loss);
      for (const e of a.history) {
        const w = Object.values(e.weights);
        expect(sum(w)).toBeCloseTo(1, 6);
        w.forEach((v) => expect(v).toBeGreaterThanOrEqual(0));
      }
      expect(new Set(a.counts).size).toBe(1);
      expect((await run()).final).toEqual(a.final);
    });
  }
});
