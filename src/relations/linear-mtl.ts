/**
 * Linear multi-task regression in float64, pure TypeScript: T tasks, task t has n_t samples X_t (n_t × d)
 * and targets y_t; the weights are stacked as W = [w_1 … w_T] (d × T). Every method minimises the
 * same data term plus a different coupling of the columns:
 *
 *   L(W) = Σ_t ½‖X_t w_t − y_t‖²                    (sum of squares: larger tasks weigh more)
 *
 *  - independent ridge   L(W) + (λ/2) Σ_t ‖w_t‖²         → w_t = (X_tᵀX_t + λI)⁻¹ X_tᵀy_t
 *  - pooled ridge        one w for all tasks: Σ_t ½‖X_t w − y_t‖² + (λ/2)‖w‖²
 *  - trace norm          L(W) + ρ‖W‖_*   (‖W‖_* = Σ σ_k(W): a convex surrogate of rank W, so the tasks'
 *                        weight vectors share a low-dimensional subspace; Argyriou et al. 2008, MALSAR
 *                        Least_Trace). Solved by accelerated proximal gradient (FISTA with function-value
 *                        restart; plain ISTA with `accelerated: false`), step η = 1/L_f with
 *                        L_f = max_t λ_max(X_tᵀX_t) (∇L is block diagonal):
 *                          W ← prox_{ηρ‖·‖_*}(Y − η∇L(Y)),  prox shrinks singular values σ ← max(σ − ηρ, 0).
 *  - clustered           alternating k-means on the task weight vectors with a within-cluster penalty
 *                        (the non-convex "k-means" form of clustered MTL, cf. Evgeniou & Pontil 2004 for
 *                        K = 1, Jacob et al. 2008 for the convex relaxation we do not use):
 *                          J(W, c, k) = L(W) + (λ/2) Σ_t ‖w_t − c_{k(t)}‖² + (λ_c/2) Σ_k ‖c_k‖²
 *                        Alternating minimisation, each step exact, so J never increases:
 *                          k(t) ← argmin_k ‖w_t − c_k‖²                        (assignment)
 *                          (W, c) ← argmin J for fixed k(·): a linear system per cluster,
 *                            [(λ n_k + λ_c) I − λ² Σ_{t∈k} A_t⁻¹] c_k = λ Σ_{t∈k} A_t⁻¹ X_tᵀy_t,
 *                            w_t = A_t⁻¹ (X_tᵀy_t + λ c_{k(t)}),  A_t = X_tᵀX_t + λI (n_k tasks in cluster k)
 *                        until the assignment is stable, from k-means++ seeds on the ridge weights
 *                        A_t⁻¹X_tᵀy_t; the best J of `restarts` runs wins.
 *
 * Everything works from each task's moments (XᵀX, Xᵀy, yᵀy), so an iteration costs O(T d²) whatever n_t.
 * No intercept is treated specially: give the data a bias column (and centre y) if you want one; its
 * weight is then penalised like the others (shrunk toward the mean of the targets).
 */
import { mulberry32 } from '../data/split.js';
import { dot } from '../util/linalg.js';
import {
  addDiagonal, cholesky, choleskySolve, frobenius, gramOf, matVec, maxEigenvalue, shrinkSingularValues, svd, xty, zeros,
  type Mat,
} from './dense.js';

/** One task's samples: x is n × d row-major. */
export interface LinearTask {
  n: number;
  x: Float64Array;
  y: Float64Array;
}

/** Sufficient statistics of a task for squared loss. */
export interface TaskMoments {
  n: number;
  d: number;
  /** XᵀX (d × d). */
  G: Mat;
  /** Xᵀy. */
  b: Float64Array;
  /** yᵀy. */
  yy: number;
}

export function taskMoments(task: LinearTask, d: number): TaskMoments {
  if (task.x.length !== task.n * d || task.y.length !== task.n) throw new Error(`taskMoments: expected ${task.n}×${d} inputs and ${task.n} targets`);
  return { n: task.n, d, G: gramOf(task.x, task.n, d), b: xty(task.x, task.y, task.n, d), yy: dot(task.y, task.y) };
}

export function column(W: Mat, t: number): Float64Array {
  const out = new Float64Array(W.rows);
  for (let i = 0; i < W.rows; i++) out[i] = W.data[i * W.cols + t]!;
  return out;
}

export function setColumn(W: Mat, t: number, w: ArrayLike<number>): void {
  for (let i = 0; i < W.rows; i++) W.data[i * W.cols + t] = w[i]!;
}

/** ½‖Xw − y‖² = ½(wᵀGw − 2bᵀw + yᵀy). */
export function taskLoss(m: TaskMoments, w: ArrayLike<number>): number {
  return 0.5 * (dot(w, matVec(m.G, w)) - 2 * dot(m.b, w) + m.yy);
}

/** L(W) = Σ_t ½‖X_t w_t − y_t‖². */
export function dataLoss(ms: TaskMoments[], W: Mat): number {
  return ms.reduce((s, m, t) => s + taskLoss(m, column(W, t)), 0);
}

/** ∇L(W): column t is X_tᵀ(X_t w_t − y_t) = G_t w_t − b_t. */
export function dataGradient(ms: TaskMoments[], W: Mat): Mat {
  const g = zeros(W.rows, W.cols);
  ms.forEach((m, t) => {
    const gw = matVec(m.G, column(W, t));
    for (let i = 0; i < W.rows; i++) gw[i] -= m.b[i]!;
    setColumn(g, t, gw);
  });
  return g;
}

/** Ridge regression from moments: argmin ½‖Xw − y‖² + (λ/2)‖w‖² = (XᵀX + λI)⁻¹Xᵀy (λ > 0). */
export function ridgeFromMoments(m: TaskMoments, lambda: number): Float64Array {
  if (!(lambda > 0)) throw new Error('ridge: lambda must be > 0');
  return choleskySolve(cholesky(addDiagonal(m.G, lambda)), m.b);
}

/** Ridge regression on raw samples. */
export function ridge(task: LinearTask, d: number, lambda: number): Float64Array {
  return ridgeFromMoments(taskMoments(task, d), lambda);
}

/** One ridge model per task (d × T). */
export function independentRidge(ms: TaskMoments[], lambda: number): Mat {
  const d = ms[0]!.d, W = zeros(d, ms.length);
  ms.forEach((m, t) => setColumn(W, t, ridgeFromMoments(m, lambda)));
  return W;
}

/** One ridge model fitted on all tasks' samples together, repeated in every column. */
export function pooledRidge(ms: TaskMoments[], lambda: number): Mat {
  const d = ms[0]!.d;
  const G = zeros(d, d), b = new Float64Array(d);
  let n = 0, yy = 0;
  for (const m of ms) {
    for (let i = 0; i < d * d; i++) G.data[i] += m.G.data[i]!;
    for (let i = 0; i < d; i++) b[i] += m.b[i]!;
    n += m.n; yy += m.yy;
  }
  const w = ridgeFromMoments({ n, d, G, b, yy }, lambda);
  const W = zeros(d, ms.length);
  for (let t = 0; t < ms.length; t++) setColumn(W, t, w);
  return W;
}

// ---------------------------------------------------------------------------------------------------
// Trace-norm regularisation

export interface TraceNormOptions {
  rho: number;
  /** FISTA with function-value restart (default) or plain proximal gradient. */
  accelerated?: boolean;
  maxIter?: number;
  /** Stop when ‖W_{k+1} − W_k‖_F ≤ tol · max(1, ‖W_{k+1}‖_F). Default 1e-7. */
  tol?: number;
  /** Warm start (default 0). */
  init?: Mat;
  /** Step size η; default 1 / max_t λ_max(X_tᵀX_t). */
  step?: number;
}

export interface TraceNormResult {
  W: Mat;
  /** Objective L(W) + ρ‖W‖_* after each accepted iteration (index 0: the start). */
  objective: number[];
  iterations: number;
  converged: boolean;
  /** Number of non-zero singular values of W. */
  rank: number;
  step: number;
}

export function traceNormObjective(ms: TaskMoments[], W: Mat, rho: number): number {
  return dataLoss(ms, W) + rho * svd(W).s.reduce((a, s) => a + s, 0);
}

/** Lipschitz constant of ∇L: max_t λ_max(X_tᵀX_t). */
export function lipschitz(ms: TaskMoments[]): number {
  return Math.max(...ms.map((m) => maxEigenvalue(m.G)));
}

/** The smallest ρ for which W = 0 is optimal: the spectral norm of ∇L(0) = −[X_tᵀy_t]. */
export function traceNormRhoMax(ms: TaskMoments[]): number {
  const B = zeros(ms[0]!.d, ms.length);
  ms.forEach((m, t) => setColumn(B, t, m.b));
  return svd(B).s[0] ?? 0;
}

export function traceNormMtl(ms: TaskMoments[], options: TraceNormOptions): TraceNormResult {
  const { rho } = options;
  if (!(rho >= 0)) throw new Error('traceNormMtl: rho must be ≥ 0');
  const d = ms[0]!.d, T = ms.length;
  const eta = options.step ?? 1 / lipschitz(ms);
  const maxIter = options.maxIter ?? 5000;
  const tol = options.tol ?? 1e-7;
  const accelerated = options.accelerated ?? true;
  let X: Mat = options.init ? { rows: d, cols: T, data: options.init.data.slice() } : zeros(d, T);
  let Y: Mat = { rows: d, cols: T, data: X.data.slice() };
  let t = 1;
  let F = traceNormObjective(ms, X, rho);
  const objective = [F];
  let converged = false, iterations = 0, rank = 0;
  for (let it = 0; it < maxIter; it++) {
    iterations = it + 1;
    const g = dataGradient(ms, Y);
    const Z = zeros(d, T);
    for (let i = 0; i < Z.data.length; i++) Z.data[i] = Y.data[i]! - eta * g.data[i]!;
    const { out: Xn, s } = shrinkSingularValues(Z, eta * rho);
    const Fn = dataLoss(ms, Xn) + rho * s.reduce((a, v) => a + v, 0);
    if (accelerated && Fn > F && t > 1) {
      // Function-value restart (O'Donoghue & Candès 2015): drop the momentum and step from X instead;
      // a plain proximal-gradient step with η ≤ 1/L_f never increases the objective.
      Y = { rows: d, cols: T, data: X.data.slice() };
      t = 1;
      continue;
    }
    let diff = 0;
    for (let i = 0; i < Xn.data.length; i++) diff += (Xn.data[i]! - X.data[i]!) ** 2;
    if (accelerated) {
      const tn = (1 + Math.sqrt(1 + 4 * t * t)) / 2;
      const beta = (t - 1) / tn;
      Y = zeros(d, T);
      for (let i = 0; i < Y.data.length; i++) Y.data[i] = Xn.data[i]! + beta * (Xn.data[i]! - X.data[i]!);
      t = tn;
    } else Y = Xn;
    X = Xn;
    F = Fn;
    rank = s.filter((v) => v > 0).length;
    objective.push(F);
    if (Math.sqrt(diff) <= tol * Math.max(1, frobenius(X))) { converged = true; break; }
  }
  return { W: X, objective, iterations, converged, rank, step: eta };
}

// ---------------------------------------------------------------------------------------------------
// Clustered multi-task learning (alternating k-means form)

export interface ClusteredOptions {
  /** Number of clusters K. */
  k: number;
  /** λ: pull of each task toward its cluster centre. */
  lambda: number;
  /** λ_c > 0: shrinkage of the centres toward 0. Default 1. */
  lambdaCenter?: number;
  /** k-means++ restarts; the lowest objective wins. Default 10. */
  restarts?: number;
  seed?: number;
  maxIter?: number;
}

export interface ClusteredResult {
  W: Mat;
  /** d × K cluster centres. */
  centers: Mat;
  /** Cluster of each task. */
  assignment: number[];
  objective: number;
  iterations: number;
}

export function clusteredObjective(ms: TaskMoments[], W: Mat, centers: Mat, assignment: number[], lambda: number, lambdaCenter: number): number {
  let J = dataLoss(ms, W);
  for (let t = 0; t < ms.length; t++) {
    const w = column(W, t), c = column(centers, assignment[t]!);
    let s = 0;
    for (let i = 0; i < w.length; i++) s += (w[i]! - c[i]!) ** 2;
    J += 0.5 * lambda * s;
  }
  return J + 0.5 * lambdaCenter * dot(centers.data, centers.data);
}

function sqDist(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i]! - b[i]!) ** 2;
  return s;
}

/** k-means++ seeding: indices of K tasks, the first uniform, the next ∝ squared distance to the chosen. */
function kmeansPlusPlus(points: Float64Array[], k: number, rand: () => number): number[] {
  const chosen = [Math.floor(rand() * points.length)];
  const dist = points.map((p) => sqDist(p, points[chosen[0]!]!));
  while (chosen.length < Math.min(k, points.length)) {
    const total = dist.reduce((a, b) => a + b, 0);
    let pick = 0;
    if (total > 0) {
      let r = rand() * total;
      for (pick = 0; pick < points.length - 1; pick++) { r -= dist[pick]!; if (r < 0) break; }
    } else pick = points.findIndex((_, i) => !chosen.includes(i));
    chosen.push(pick);
    points.forEach((p, i) => { dist[i] = Math.min(dist[i]!, sqDist(p, points[pick]!)); });
  }
  return chosen;
}

export function clusteredMtl(ms: TaskMoments[], options: ClusteredOptions): ClusteredResult {
  const { k, lambda } = options;
  const lambdaCenter = options.lambdaCenter ?? 1;
  if (!(Number.isInteger(k) && k >= 1)) throw new Error('clusteredMtl: k must be a positive integer');
  if (!(lambda > 0) || !(lambdaCenter > 0)) throw new Error('clusteredMtl: lambda and lambdaCenter must be > 0');
  const d = ms[0]!.d, T = ms.length;
  // A_t⁻¹ = (G_t + λI)⁻¹ and A_t⁻¹b_t, once per λ: then w_t(c) = A_t⁻¹b_t + λ A_t⁻¹c.
  const inv = ms.map((m) => {
    const l = cholesky(addDiagonal(m.G, lambda));
    const out = zeros(d, d);
    for (let j = 0; j < d; j++) {
      const e = new Float64Array(d);
      e[j] = 1;
      setColumn(out, j, choleskySolve(l, e));
    }
    return out;
  });
  const base = ms.map((m, t) => matVec(inv[t]!, m.b));
  const maxIter = options.maxIter ?? 100;
  const rand = mulberry32((options.seed ?? 0) * 2654435761 + 12345);
  let best: ClusteredResult | null = null;
  for (let r = 0; r < (options.restarts ?? 10); r++) {
    const W = zeros(d, T);
    base.forEach((w, t) => setColumn(W, t, w));
    const centers = zeros(d, k);
    kmeansPlusPlus(base, k, rand).forEach((t, c) => setColumn(centers, c, base[t]!));
    let assignment = new Array<number>(T).fill(-1);
    let J = Infinity, iterations = 0;
    for (let it = 0; it < maxIter; it++) {
      iterations = it + 1;
      // Assignment step: nearest centre.
      const next = Array.from({ length: T }, (_, t) => {
        const w = column(W, t);
        let bi = 0, bd = Infinity;
        for (let c = 0; c < k; c++) {
          const dd = sqDist(w, column(centers, c));
          if (dd < bd) { bd = dd; bi = c; }
        }
        return bi;
      });
      if (next.every((c, t) => c === assignment[t])) break;
      assignment = next;
      // Exact minimisation over (W, c) for these clusters. Eliminating w_t(c) leaves, per cluster,
      //   [(λ n_k + λ_c) I − λ² Σ_{t∈k} A_t⁻¹] c_k = λ Σ_{t∈k} A_t⁻¹b_t     (positive definite: λA_t⁻¹ ≼ I).
      for (let c = 0; c < k; c++) {
        const M = zeros(d, d), rhs = new Float64Array(d);
        let nk = 0;
        assignment.forEach((a, t) => {
          if (a !== c) return;
          nk++;
          const Ai = inv[t]!.data;
          for (let i = 0; i < d * d; i++) M.data[i] -= lambda * lambda * Ai[i]!;
          for (let i = 0; i < d; i++) rhs[i] += lambda * base[t]![i]!;
        });
        for (let i = 0; i < d; i++) M.data[i * d + i] += lambda * nk + lambdaCenter;
        setColumn(centers, c, nk ? choleskySolve(cholesky(M), rhs) : new Float64Array(d));
      }
      ms.forEach((_, t) => {
        const w = matVec(inv[t]!, column(centers, assignment[t]!));
        for (let i = 0; i < d; i++) w[i] = base[t]![i]! + lambda * w[i]!;
        setColumn(W, t, w);
      });
      J = clusteredObjective(ms, W, centers, assignment, lambda, lambdaCenter);
    }
    if (!best || J < best.objective) best = { W, centers, assignment, objective: J, iterations };
  }
  return best!;
}

// ---------------------------------------------------------------------------------------------------
// Prediction and scores

/** Xw for a row-major n × d X. */
export function predict(x: Float64Array, n: number, w: ArrayLike<number>): Float64Array {
  const d = w.length, out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < d; j++) s += x[i * d + j]! * w[j]!;
    out[i] = s;
  }
  return out;
}

export interface RegressionScores {
  /** √(Σ_t Σ_i (ŷ − y)² / Σ_t n_t): over all samples of all tasks. */
  rmse: number;
  /** 1 − MSE / Var(y), both over all samples of all tasks (MALSAR / Argyriou et al.'s convention). */
  explainedVariance: number;
  /** Mean over tasks of each task's RMSE. */
  meanTaskRmse: number;
  /** Mean over tasks of 1 − MSE_t / Var(y_t) (tasks with Var(y_t) = 0 skipped). */
  meanTaskExplainedVariance: number;
  n: number;
}

/** Scores of per-task predictions against per-task targets (same units). */
export function regressionScores(preds: ArrayLike<number>[], targets: ArrayLike<number>[]): RegressionScores {
  let sse = 0, n = 0, sum = 0, sumSq = 0, rmseSum = 0, evSum = 0, evCount = 0;
  targets.forEach((y, t) => {
    const p = preds[t]!;
    let e = 0, m = 0;
    for (let i = 0; i < y.length; i++) { e += (p[i]! - y[i]!) ** 2; m += y[i]!; sum += y[i]!; sumSq += y[i]! ** 2; }
    if (!y.length) return;
    m /= y.length;
    let v = 0;
    for (let i = 0; i < y.length; i++) v += (y[i]! - m) ** 2;
    sse += e; n += y.length;
    rmseSum += Math.sqrt(e / y.length);
    if (v > 1e-12) { evSum += 1 - e / v; evCount++; }
  });
  const mean = sum / n, variance = sumSq / n - mean * mean;
  return {
    rmse: Math.sqrt(sse / n),
    explainedVariance: 1 - sse / n / variance,
    meanTaskRmse: rmseSum / targets.filter((y) => y.length).length,
    meanTaskExplainedVariance: evCount ? evSum / evCount : NaN,
    n,
  };
}
