/**
 * `mtl school`: which multi-task coupling helps on the ILEA school data (139 schools = 139 regression
 * tasks). Every school's pupils are split 80/20 into train/test (seeded, per school); the training
 * pupils are split again 80/20 per school into fit/validation to choose each method's
 * hyperparameter; the linear methods are then refitted on all training pupils with the chosen value.
 *
 * Methods (src/relations/linear-mtl.ts; features standardised, targets centred and scaled with the
 * pooled training mean/std, so the bias column's weight is a school's offset from the mean):
 *   independent ridge  one ridge model per school                         λ ∈ RIDGE_GRID
 *   pooled ridge       one ridge model for all schools                     λ ∈ RIDGE_GRID
 *   trace norm         L(W) + ρ‖W‖_* (FISTA)                                ρ ∈ ρ_max(fit) × TRACE_FRACTIONS
 *   clustered          k-means clustered MTL                                K × λ grid, λ_c = 1
 *   hard sharing       tfjs `hps`: shared MLP encoder (32 relu units) + a linear head per school (139
 *                      heads), trained by the Trainer on the multi-input Dataset with per-task batching
 *                      (each step takes `hpsBatch` = 32 pupils of every school, i.e. 4,448 rows), Adam,
 *                      early stopping on the validation pupils. It is trained on the fit part only (the
 *                      validation pupils stop it), not refitted. Cost: ~3.5–5 s per epoch on 2 busy
 *                      cores; the 139 heads are not the bottleneck (all heads as one dense layer measured
 *                      the same): the 139 masked per-task losses over every row of a step are.
 * Scores on the test pupils, in exam-score units: RMSE and explained variance 1 − MSE/Var(y), pooled
 * over all test pupils of all schools (the MALSAR convention) and averaged over schools.
 */
import fs from 'node:fs';
import path from 'node:path';
import { loadSchool, type SchoolArrays, type SchoolData, type SchoolTask } from '../data/loaders/school.js';
import { shuffleIndices } from '../data/split.js';
import type { Dataset } from '../data/types.js';
import { buildModel } from '../models/registry.js';
import type { Mat } from '../relations/dense.js';
import {
  clusteredMtl, column, independentRidge, pooledRidge, predict, regressionScores, taskMoments, traceNormMtl, traceNormRhoMax,
  type RegressionScores, type TaskMoments,
} from '../relations/linear-mtl.js';
import { createTask } from '../tasks/registry.js';
import { writeFileAtomic } from '../train/node/atomic.js';
import { evaluateDataset } from '../train/evaluate.js';
import { Trainer } from '../train/node/trainer.js';

export const RIDGE_GRID = [0.1, 0.3, 1, 3, 10, 30, 100, 300, 1000, 3000];
export const TRACE_FRACTIONS = [0.5, 0.3, 0.2, 0.15, 0.1, 0.07, 0.05, 0.03, 0.02, 0.01, 0.005];
export const CLUSTER_KS = [1, 2, 3, 4, 6, 8];
export const CLUSTER_LAMBDAS = [10, 30, 100, 300, 1000, 3000];

export interface SchoolRunOptions {
  dataDir?: string;
  seed?: number;
  testFraction?: number;
  /** Share of each school's training pupils used for validation (default 0.2). */
  valFraction?: number;
  /** Train the tfjs hard-sharing model (default true). */
  hps?: boolean;
  hpsHidden?: number[];
  hpsEpochs?: number;
  /** Pupils per school per step. */
  hpsBatch?: number;
  hpsLr?: number;
  outDir?: string;
  log?: (line: string) => void;
}

export interface SchoolMethodResult {
  method: string;
  /** The chosen hyperparameters. */
  params: Record<string, number | string>;
  /** Validation RMSE (score units) of the chosen setting. */
  valRmse: number;
  test: RegressionScores;
  seconds: number;
  /** Every setting tried, with its validation RMSE. */
  grid?: { params: Record<string, number>; valRmse: number }[];
  notes?: string;
}

export interface SchoolResult {
  schools: number;
  pupils: { train: number; test: number };
  seed: number;
  results: SchoolMethodResult[];
  seconds: number;
}

interface Part { tasks: SchoolArrays[]; moments: TaskMoments[] }

/** Splits each school's arrays into (fit, val), seeded per school. */
export function splitArrays(arrays: SchoolArrays[], fraction: number, seed: number, d: number): { fit: SchoolArrays[]; val: SchoolArrays[] } {
  const fit: SchoolArrays[] = [], val: SchoolArrays[] = [];
  arrays.forEach((a, t) => {
    const perm = shuffleIndices(a.n, seed * 1_000_003 + t * 104_729 + 17);
    const nVal = Math.min(a.n - 1, Math.max(1, Math.round(a.n * fraction)));
    const pick = (idx: number[]): SchoolArrays => {
      const x = new Float64Array(idx.length * d), y = new Float64Array(idx.length);
      idx.forEach((r, i) => { x.set(a.x.subarray(r * d, (r + 1) * d), i * d); y[i] = a.y[r]!; });
      return { n: idx.length, x, y };
    };
    val.push(pick(perm.slice(0, nVal).sort((p, q) => p - q)));
    fit.push(pick(perm.slice(nVal).sort((p, q) => p - q)));
  });
  return { fit, val };
}

function scaled(a: SchoolArrays, yMean: number, yStd: number): SchoolArrays {
  return { n: a.n, x: a.x, y: a.y.map((v) => (v - yMean) / yStd) };
}

function part(arrays: SchoolArrays[], data: SchoolData): Part {
  return { tasks: arrays, moments: arrays.map((a) => taskMoments(scaled(a, data.yMean, data.yStd), data.d)) };
}

/** Predictions (score units) of the weight matrix W (standardised targets) on each school's arrays. */
function predictAll(W: Mat, arrays: SchoolArrays[], data: SchoolData): Float64Array[] {
  return arrays.map((a, t) => predict(a.x, a.n, column(W, t)).map((v) => v * data.yStd + data.yMean));
}

function scoresOf(W: Mat, arrays: SchoolArrays[], data: SchoolData): RegressionScores {
  return regressionScores(predictAll(W, arrays, data), arrays.map((a) => a.y));
}

/** Grid search on (fit → val), refit on all training pupils with the best setting, score on test. */
type Fitted = Mat | { W: Mat; info: Record<string, number> };
const weightsOf = (f: Fitted): Mat => ('info' in f ? f.W : f);

function selectAndRefit<P extends Record<string, number>>(
  method: string, grid: P[], fitFn: (p: P, data: Part, warm?: Mat) => Fitted,
  fit: Part, val: SchoolArrays[], train: Part, test: SchoolArrays[], data: SchoolData, log: (l: string) => void,
): SchoolMethodResult {
  const t0 = performance.now();
  const tried: { params: P; valRmse: number }[] = [];
  let warm: Mat | undefined;
  for (const p of grid) {
    const W = weightsOf(fitFn(p, fit, warm));
    warm = W;
    tried.push({ params: p, valRmse: scoresOf(W, val, data).rmse });
  }
  const best = tried.reduce((a, b) => (b.valRmse < a.valRmse ? b : a));
  const final = fitFn(best.params, train);
  const W = weightsOf(final);
  const result: SchoolMethodResult = {
    method, params: { ...best.params, ...('info' in final ? final.info : {}) }, valRmse: best.valRmse, test: scoresOf(W, test, data),
    seconds: (performance.now() - t0) / 1000, grid: tried,
  };
  log(`${method}: ${JSON.stringify(best.params)} val RMSE ${best.valRmse.toFixed(3)}, test RMSE ${result.test.rmse.toFixed(3)} (${result.seconds.toFixed(1)}s)`);
  return result;
}

/** The multi-input Dataset of per-school arrays (raw scores as labels, NaN off-school). */
export function schoolDataset(name: string, tasks: SchoolTask[], arrays: SchoolArrays[], d: number): Dataset {
  const n = arrays.reduce((s, a) => s + a.n, 0);
  const x = new Float32Array(n * d);
  const labels: Record<string, Float32Array> = {};
  let row = 0;
  arrays.forEach((a, t) => {
    x.set(a.x, row * d);
    const lab = new Float32Array(n).fill(NaN);
    for (let i = 0; i < a.n; i++) lab[row + i] = a.y[i]!;
    labels[tasks[t]!.name] = lab;
    row += a.n;
  });
  return {
    name, inputShape: [d], n, x, labels,
    tasks: tasks.map((t) => ({ name: t.name, kind: 'regression' as const, width: 1, outputSize: 1, labelNames: ['score'] })),
  };
}

async function hardSharing(data: SchoolData, fit: SchoolArrays[], val: SchoolArrays[], o: SchoolRunOptions, log: (l: string) => void): Promise<SchoolMethodResult> {
  const t0 = performance.now();
  const seed = o.seed ?? 0;
  const hidden = o.hpsHidden ?? [32];
  const fitDs = schoolDataset('school-fit', data.tasks, fit, data.d);
  const valDs = schoolDataset('school-val', data.tasks, val, data.d);
  const testDs = schoolDataset('school-test', data.tasks, data.tasks.map((t) => t.test), data.d);
  const tasks = fitDs.tasks.map((s) => createTask(s, {}, { values: fitDs.labels[s.name]!, n: fitDs.n }));
  const model = buildModel('hps', { inputShape: [data.d], tasks, seed }, { encoder: { type: 'mlp', hidden, activation: 'relu' }, head: { hidden: [] } });
  const epochs = o.hpsEpochs ?? 12;
  const batch = o.hpsBatch ?? 32;
  const lr = o.hpsLr ?? 1e-2;
  const trainer = new Trainer(model, tasks, {
    epochs, batchSize: batch, optimizer: { name: 'adam', lr }, seed, batching: 'per-task',
    earlyStopping: { patience: 2 }, progress: 'silent',
    onEpoch: (r) => log(`hard sharing: epoch ${r.epoch}/${epochs} (${r.seconds.toFixed(1)}s)${r.best ? ' *' : ''}`),
  });
  const fitResult = await trainer.fit(fitDs, valDs);
  const predsOf = (ds: Dataset, arrays: SchoolArrays[]) => {
    const ev = evaluateDataset(model, tasks, ds);
    let row = 0;
    return arrays.map((a, t) => {
      const p = Float64Array.from(ev.predictions[t]!.subarray(row, row + a.n));
      row += a.n;
      return p;
    });
  };
  const valScores = regressionScores(predsOf(valDs, val), val.map((a) => a.y));
  const test = regressionScores(predsOf(testDs, data.tasks.map((t) => t.test)), data.tasks.map((t) => t.test.y));
  trainer.dispose();
  model.dispose();
  const seconds = (performance.now() - t0) / 1000;
  const epochsRun = fitResult.history.length;
  log(`hard sharing: best epoch ${fitResult.bestEpoch}/${epochsRun}, test RMSE ${test.rmse.toFixed(3)} (${seconds.toFixed(1)}s, ${(seconds / epochsRun).toFixed(1)}s/epoch)`);
  return {
    method: 'hard sharing (tfjs)', valRmse: valScores.rmse, test, seconds,
    params: { encoder: `mlp[${hidden.join(',')}]`, heads: `${tasks.length} linear`, batch: `${batch}/school`, lr, bestEpoch: fitResult.bestEpoch, epochs: epochsRun },
    notes: 'trained on the fit pupils only, stopped early on the validation pupils',
  };
}

export async function runSchool(o: SchoolRunOptions = {}): Promise<SchoolResult> {
  const t0 = performance.now();
  const log = o.log ?? (() => {});
  const seed = o.seed ?? 0;
  const data = await loadSchool({ dataDir: o.dataDir, seed, testFraction: o.testFraction ?? 0.2 });
  const d = data.d;
  const trainArrays = data.tasks.map((t) => t.train);
  const testArrays = data.tasks.map((t) => t.test);
  const { fit: fitArrays, val } = splitArrays(trainArrays, o.valFraction ?? 0.2, seed, d);
  const fit = part(fitArrays, data), train = part(trainArrays, data);
  log(`school: ${data.tasks.length} schools, ${trainArrays.reduce((s, a) => s + a.n, 0)} training / ${testArrays.reduce((s, a) => s + a.n, 0)} test pupils, ${d} features`);

  const results: SchoolMethodResult[] = [];
  const run = <P extends Record<string, number>>(method: string, grid: P[], fn: (p: P, data: Part, warm?: Mat) => Fitted) =>
    results.push(selectAndRefit(method, grid, fn, fit, val, train, testArrays, data, log));

  run('independent ridge', RIDGE_GRID.map((lambda) => ({ lambda })), (p, dd) => independentRidge(dd.moments, p.lambda));
  run('pooled ridge', RIDGE_GRID.map((lambda) => ({ lambda })), (p, dd) => pooledRidge(dd.moments, p.lambda));
  const rhoMax = traceNormRhoMax(fit.moments);
  // Decreasing ρ with warm starts along the path (the refit starts from 0).
  run('trace norm', TRACE_FRACTIONS.map((f) => ({ rho: rhoMax * f })), (p, dd, warm) => {
    const r = traceNormMtl(dd.moments, { rho: p.rho, init: warm, maxIter: 3000, tol: 1e-6 });
    return { W: r.W, info: { rank: r.rank, iterations: r.iterations } };
  });
  run('clustered (k-means)', CLUSTER_KS.flatMap((k) => CLUSTER_LAMBDAS.map((lambda) => ({ k, lambda }))),
    (p, dd) => clusteredMtl(dd.moments, { k: p.k, lambda: p.lambda, lambdaCenter: 1, restarts: 5, seed }).W);
  if (o.hps ?? true) results.push(await hardSharing(data, fitArrays, val, o, log));

  const result: SchoolResult = {
    schools: data.tasks.length,
    pupils: { train: trainArrays.reduce((s, a) => s + a.n, 0), test: testArrays.reduce((s, a) => s + a.n, 0) },
    seed, results, seconds: (performance.now() - t0) / 1000,
  };
  if (o.outDir) {
    fs.mkdirSync(o.outDir, { recursive: true });
    writeFileAtomic(path.join(o.outDir, 'school.json'), JSON.stringify(result, null, 2));
  }
  return result;
}

function fmtParams(p: Record<string, number | string>): string {
  return Object.entries(p).map(([k, v]) => `${k}=${typeof v === 'number' ? (Number.isInteger(v) ? v : v.toPrecision(3)) : v}`).join(', ');
}

export function formatSchool(r: SchoolResult): string {
  const lines = [
    `School (ILEA): ${r.schools} schools as regression tasks, ${r.pupils.train} training / ${r.pupils.test} test pupils (per-school 80/20 split, seed ${r.seed}).`,
    'Test scores in exam-score units. Pooled = over all test pupils (MALSAR convention: EV = 1 − MSE/Var(y)); mean = averaged over schools.',
    '',
    '| method | chosen on validation | val RMSE | test RMSE (pooled) | test EV % (pooled) | mean school RMSE | mean school EV % | seconds |',
    '|---|---|---|---|---|---|---|---|',
  ];
  for (const m of r.results) {
    lines.push(`| ${m.method} | ${fmtParams(m.params)} | ${m.valRmse.toFixed(3)} | ${m.test.rmse.toFixed(3)} | ${(100 * m.test.explainedVariance).toFixed(2)} | ${m.test.meanTaskRmse.toFixed(3)} | ${(100 * m.test.meanTaskExplainedVariance).toFixed(2)} | ${m.seconds.toFixed(1)} |`);
  }
  lines.push('', `total ${r.seconds.toFixed(1)}s`);
  return lines.join('\n');
}
