import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../src/data/split.js';
import { matmul, nuclearNorm, svd, zeros } from '../../src/relations/dense.js';
import {
  clusteredMtl, clusteredObjective, column, dataLoss, independentRidge, pooledRidge, regressionScores, ridge, taskMoments,
  traceNormMtl, traceNormObjective, traceNormRhoMax, type LinearTask, type TaskMoments,
} from '../../src/relations/linear-mtl.js';

function gaussian(rand: () => number): number {
  const u = Math.max(rand(), 1e-12), v = rand();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/** Tasks y = Xw_t + noise with given true weight vectors. */
function makeTasks(weights: number[][], n: number, noise: number, seed: number): LinearTask[] {
  const rand = mulberry32(seed);
  return weights.map((w) => {
    const d = w.length, x = new Float64Array(n * d), y = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let j = 0; j < d; j++) { x[i * d + j] = gaussian(rand); s += x[i * d + j]! * w[j]!; }
      y[i] = s + noise * gaussian(rand);
    }
    return { n, x, y };
  });
}

describe('ridge', () => {
  it('matches the hand-worked 2-D closed form', () => {
    // X = [[1,0],[0,1],[1,1]], y = [1,2,3]: XᵀX = [[2,1],[1,2]], Xᵀy = [4,5].
    // λ = 1: (XᵀX + I) = [[3,1],[1,3]], inverse = [[3,−1],[−1,3]]/8 → w = [(12−5)/8, (−4+15)/8] = [7/8, 11/8].
    const task = { n: 3, x: Float64Array.from([1, 0, 0, 1, 1, 1]), y: Float64Array.from([1, 2, 3]) };
    const w = ridge(task, 2, 1);
    expect(w[0]).toBeCloseTo(7 / 8, 12);
    expect(w[1]).toBeCloseTo(11 / 8, 12);
  });

  it('independent ridge fits each task, pooled ridge one shared vector', () => {
    const tasks = makeTasks([[1, 0], [0, 1]], 200, 0, 1);
    const ms = tasks.map((t) => taskMoments(t, 2));
    const Wi = independentRidge(ms, 1e-6);
    expect(column(Wi, 0)[0]).toBeCloseTo(1, 5);
    expect(column(Wi, 1)[1]).toBeCloseTo(1, 5);
    const Wp = pooledRidge(ms, 1e-6);
    expect(Array.from(column(Wp, 0))).toEqual(Array.from(column(Wp, 1)));
    // = ridge on the concatenated samples.
    const all = { n: 400, x: Float64Array.from([...tasks[0]!.x, ...tasks[1]!.x]), y: Float64Array.from([...tasks[0]!.y, ...tasks[1]!.y]) };
    const w = ridge(all, 2, 1e-6);
    column(Wp, 0).forEach((v, j) => expect(v).toBeCloseTo(w[j]!, 10));
  });
});

describe('trace-norm MTL (proximal gradient)', () => {
  // 8 tasks whose weights lie in a 2-D subspace of R⁶.
  const rand = mulberry32(7);
  const basis = [Array.from({ length: 6 }, () => gaussian(rand)), Array.from({ length: 6 }, () => gaussian(rand))];
  const weights = Array.from({ length: 8 }, () => {
    const a = gaussian(rand), b = gaussian(rand);
    return basis[0]!.map((v, j) => a * v + b * basis[1]![j]!);
  });
  const tasks = makeTasks(weights, 12, 0.5, 3);
  const ms: TaskMoments[] = tasks.map((t) => taskMoments(t, 6));

  it('plain proximal gradient never increases the objective, and converges', () => {
    const rho = 5;
    const r = traceNormMtl(ms, { rho, accelerated: false, maxIter: 20000, tol: 1e-10 });
    for (let i = 1; i < r.objective.length; i++) expect(r.objective[i]!).toBeLessThanOrEqual(r.objective[i - 1]! + 1e-9);
    expect(r.converged).toBe(true);
    expect(r.objective.at(-1)!).toBeLessThan(r.objective[0]!);
    expect(Math.abs(traceNormObjective(ms, r.W, rho) - r.objective.at(-1)!)).toBeLessThan(1e-9 * r.objective.at(-1)!);
  });

  it('accelerated (FISTA + restart) is monotone too, reaches the same optimum in fewer iterations', () => {
    const rho = 5;
    const plain = traceNormMtl(ms, { rho, accelerated: false, maxIter: 20000, tol: 1e-10 });
    const fast = traceNormMtl(ms, { rho, accelerated: true, maxIter: 20000, tol: 1e-10 });
    for (let i = 1; i < fast.objective.length; i++) expect(fast.objective[i]!).toBeLessThanOrEqual(fast.objective[i - 1]! + 1e-9);
    expect(fast.iterations).toBeLessThan(plain.iterations);
    expect(Math.abs(fast.objective.at(-1)! - plain.objective.at(-1)!)).toBeLessThan(1e-6 * plain.objective.at(-1)!);
  });

  it('is optimal: the subgradient condition −∇L(W)/ρ ∈ ∂‖W‖_* holds (‖∇L‖₂ ≤ ρ; on the support, −∇L = ρ U Vᵀ)', () => {
    const rho = 5;
    const { W } = traceNormMtl(ms, { rho, maxIter: 20000, tol: 1e-12 });
    const G = zeros(6, 8);
    ms.forEach((m, t) => {
      const w = column(W, t);
      for (let i = 0; i < 6; i++) {
        let s = -m.b[i]!;
        for (let j = 0; j < 6; j++) s += m.G.data[i * 6 + j]! * w[j]!;
        G.data[i * 8 + t] = s;
      }
    });
    expect(svd(G).s[0]!).toBeLessThan(rho * (1 + 1e-4));
    const { u, s, v } = svd(W);
    const r = Array.from(s).filter((x) => x > 1e-6 * s[0]!).length;
    // −G projected on the column space of W equals ρ U_r V_rᵀ.
    const Ur = zeros(6, r), Vr = zeros(8, r);
    for (let i = 0; i < 6; i++) for (let k = 0; k < r; k++) Ur.data[i * r + k] = u.data[i * s.length + k]!;
    for (let i = 0; i < 8; i++) for (let k = 0; k < r; k++) Vr.data[i * r + k] = v.data[i * s.length + k]!;
    const UVt = matmul(Ur, { rows: r, cols: 8, data: Float64Array.from({ length: r * 8 }, (_, idx) => Vr.data[(idx % 8) * r + Math.floor(idx / 8)]!) });
    const UUt = matmul(Ur, { rows: r, cols: 6, data: Float64Array.from({ length: r * 6 }, (_, idx) => Ur.data[(idx % 6) * r + Math.floor(idx / 6)]!) });
    const proj = matmul(UUt, G);
    for (let i = 0; i < proj.data.length; i++) expect(Math.abs(-proj.data[i]! - rho * UVt.data[i]!)).toBeLessThan(1e-3 * rho);
  });

  it('ρ ≥ ρ_max gives W = 0; a large ρ gives a low rank; ρ → 0 approaches least squares', () => {
    const rhoMax = traceNormRhoMax(ms);
    expect(nuclearNorm(traceNormMtl(ms, { rho: rhoMax * 1.01 }).W)).toBeLessThan(1e-9);
    expect(traceNormMtl(ms, { rho: rhoMax * 0.3, maxIter: 20000 }).rank).toBeLessThanOrEqual(3);
    const tiny = traceNormMtl(ms, { rho: 1e-6, maxIter: 50000, tol: 1e-12 });
    expect(dataLoss(ms, tiny.W)).toBeLessThan(dataLoss(ms, independentRidge(ms, 1e-3)) + 1e-3);
  });
});

describe('clustered MTL (alternating k-means)', () => {
  it('recovers planted clusters of synthetic tasks', () => {
    const rand = mulberry32(21);
    const centres = [[3, 0, 0, 1, 0], [0, -3, 0, 0, 1], [0, 0, 3, -1, 0]];
    const truth: number[] = [];
    const weights: number[][] = [];
    for (let t = 0; t < 30; t++) {
      const c = t % 3;
      truth.push(c);
      weights.push(centres[c]!.map((v) => v + 0.3 * gaussian(rand)));
    }
    const tasks = makeTasks(weights, 15, 0.5, 22);
    const ms = tasks.map((t) => taskMoments(t, 5));
    const r = clusteredMtl(ms, { k: 3, lambda: 10, lambdaCenter: 0.1, seed: 1 });
    // Same partition up to relabelling: co-membership matches for every pair.
    for (let i = 0; i < 30; i++) for (let j = 0; j < 30; j++) expect(r.assignment[i] === r.assignment[j]).toBe(truth[i] === truth[j]);
    expect(clusteredObjective(ms, r.W, r.centers, r.assignment, 10, 0.1)).toBeCloseTo(r.objective, 8);
    // The centres sit near the planted ones.
    for (let c = 0; c < 3; c++) {
      const members = r.assignment.flatMap((a, t) => (a === c ? [t] : []));
      const planted = centres[truth[members[0]!]!]!;
      column(r.centers, c).forEach((v, j) => expect(Math.abs(v - planted[j]!)).toBeLessThan(0.6));
    }
  });

  it('pulls tasks toward their centre: beats independent ridge when tasks are near-identical and data scarce', () => {
    const rand = mulberry32(5);
    const weights = Array.from({ length: 20 }, () => [1, -2, 0.5, 0, 1, 2].map((v) => v + 0.05 * gaussian(rand)));
    const tasks = makeTasks(weights, 8, 1, 6);
    const test = makeTasks(weights, 200, 0, 7);
    const ms = tasks.map((t) => taskMoments(t, 6));
    const err = (W: ReturnType<typeof independentRidge>) => {
      const preds = test.map((t, i) => { const w = column(W, i); return Array.from({ length: t.n }, (_, r) => w.reduce((s, wj, j) => s + wj * t.x[r * 6 + j]!, 0)); });
      return regressionScores(preds, test.map((t) => t.y)).rmse;
    };
    const cl = clusteredMtl(ms, { k: 1, lambda: 50, lambdaCenter: 0.01 });
    expect(err(cl.W)).toBeLessThan(0.7 * err(independentRidge(ms, 1)));
  });
});

describe('regression scores', () => {
  it('pooled RMSE / explained variance and their per-task means', () => {
    const s = regressionScores([[1, 2], [3, 3]], [[1, 3], [2, 4]]);
    // squared errors 0, 1, 1, 1 → MSE 0.75; y = 1,3,2,4 has variance 1.25 → EV 0.4.
    expect(s.rmse).toBeCloseTo(Math.sqrt(0.75), 12);
    expect(s.explainedVariance).toBeCloseTo(0.4, 12);
    expect(s.meanTaskRmse).toBeCloseTo((Math.sqrt(0.5) + 1) / 2, 12);
    // task 0: MSE 0.5, Var 1 → 0.5; task 1: MSE 1, Var 1 → 0.
    expect(s.meanTaskExplainedVariance).toBeCloseTo(0.25, 12);
  });
});
