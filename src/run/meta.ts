/**
 * `mtl meta`: meta-learning over the family of school tasks. A seeded 20% of the schools are held out
 * (meta-test); the others (meta-train) train an initialisation θ. On each held-out school, θ is adapted
 * by k full-batch gradient steps (learning rate α, the same for every init) on its training pupils
 * (support) and scored on its test pupils (query). Inits compared:
 *   MAML (first order, and second order with `secondOrder`), Reptile   — meta-trained on episodes of
 *     meta-train schools: a random 80/20 support/query split of a school's pupils per episode
 *     (Reptile adapts on all of the school's pupils: it has no query set);
 *   pooled → fine-tune  — θ = one model trained on all meta-train pupils pooled (Adam);
 *   scratch             — a random init (the mean over `scratchSeeds` seeds).
 * Features are standardised and scores centred/scaled with statistics of the meta-train schools only;
 * errors are reported in exam-score units, pooled over all query pupils of the held-out schools.
 *
 * Model: a 1-hidden-layer tanh MLP (default 16 units) or a linear model, in pure TypeScript float64
 * (src/meta/models.ts): episodes are a few steps on ~100 pupils, where tfjs' per-op overhead would
 * dominate, and the hand-written gradients make MAML's meta-gradient exactly testable.
 */
import fs from 'node:fs';
import path from 'node:path';
import { buildSchool, readSchool, type SchoolArrays } from '../data/loaders/school.js';
import { shuffleIndices } from '../data/split.js';
import { adaptTrajectory, trainMaml, trainPooled, trainReptile, type Episode } from '../meta/maml.js';
import { linearModel, mlpModel, type ParamModel, type RegressionData } from '../meta/models.js';
import { ridge } from '../relations/linear-mtl.js';
import { writeFileAtomic } from '../train/node/atomic.js';

export interface MetaRunOptions {
  dataDir?: string;
  seed?: number;
  model?: 'mlp' | 'linear';
  hidden?: number;
  /** Adaptation steps to report (the table's columns; 0 is always added). */
  steps?: number[];
  /** Share of schools held out for meta-test. */
  heldOut?: number;
  innerLr?: number;
  /** Inner steps during meta-training. */
  innerSteps?: number;
  iterations?: number;
  metaBatch?: number;
  mamlLr?: number;
  reptileLr?: number;
  secondOrder?: boolean;
  scratchSeeds?: number;
  outDir?: string;
  log?: (line: string) => void;
}

export interface MetaRow {
  init: string;
  /** Query RMSE (score units) after each number of steps. */
  rmse: Record<number, number>;
  /** Query explained variance (pooled) after each number of steps. */
  ev: Record<number, number>;
  seconds: number;
}

export interface MetaResult {
  model: string;
  schools: { metaTrain: number; metaTest: number };
  pupils: { support: number; query: number };
  steps: number[];
  settings: Record<string, number | string | boolean>;
  rows: MetaRow[];
  /** Reference: closed-form ridge per held-out school on its support (λ = 30, standardised scores). */
  ridgeReference: { rmse: number; ev: number };
  seconds: number;
}

function standardised(a: SchoolArrays, yMean: number, yStd: number): RegressionData {
  return { n: a.n, x: a.x, y: a.y.map((v) => (v - yMean) / yStd) };
}

function concat(parts: RegressionData[], d: number): RegressionData {
  const n = parts.reduce((s, p) => s + p.n, 0);
  const x = new Float64Array(n * d), y = new Float64Array(n);
  let row = 0;
  for (const p of parts) { x.set(p.x, row * d); y.set(p.y, row); row += p.n; }
  return { n, x, y };
}

function subset(a: RegressionData, idx: number[], d: number): RegressionData {
  const x = new Float64Array(idx.length * d), y = new Float64Array(idx.length);
  idx.forEach((r, i) => { x.set(a.x.subarray(r * d, (r + 1) * d), i * d); y[i] = a.y[r]!; });
  return { n: idx.length, x, y };
}

/** Pooled query RMSE (standardised units) and explained variance of θ adapted 0…maxSteps steps. */
function evaluateInit(model: ParamModel, theta: Float64Array, tasks: Episode<RegressionData>[], steps: number[], lr: number): { mse: Record<number, number>; varY: number } {
  const maxSteps = Math.max(...steps);
  const sse: Record<number, number> = {};
  let n = 0, sum = 0, sumSq = 0;
  for (const ep of tasks) {
    const traj = adaptTrajectory(model, theta, ep.support, { steps: maxSteps, lr });
    for (const k of steps) {
      const p = model.predict!(traj[k]!, ep.query.x, ep.query.n);
      let e = 0;
      for (let i = 0; i < ep.query.n; i++) e += (p[i]! - ep.query.y[i]!) ** 2;
      sse[k] = (sse[k] ?? 0) + e;
    }
    n += ep.query.n;
    for (let i = 0; i < ep.query.n; i++) { sum += ep.query.y[i]!; sumSq += ep.query.y[i]! ** 2; }
  }
  const mse: Record<number, number> = {};
  for (const k of steps) mse[k] = sse[k]! / n;
  return { mse, varY: sumSq / n - (sum / n) ** 2 };
}

export async function runMeta(o: MetaRunOptions = {}): Promise<MetaResult> {
  const t0 = performance.now();
  const log = o.log ?? (() => {});
  const seed = o.seed ?? 0;
  const steps = [...new Set([0, ...(o.steps ?? [1, 5, 20])])].sort((a, b) => a - b);
  if (steps.some((s) => !Number.isInteger(s) || s < 0)) throw new Error('steps must be non-negative integers');

  // Which schools are held out is decided before loading, so the statistics come from meta-train only.
  const raw = await readSchool(o.dataDir);
  const ids = [...new Set(raw.school)].sort((a, b) => a - b);
  const perm = shuffleIndices(ids.length, seed * 7 + 101);
  const nTest = Math.round(ids.length * (o.heldOut ?? 0.2));
  const testIds = new Set(perm.slice(0, nTest).map((i) => ids[i]!));
  const data = buildSchool(raw, { seed, statsFrom: (s) => !testIds.has(s) });
  const d = data.d;
  const { yMean, yStd } = data;
  const trainSchools = data.tasks.filter((t) => !testIds.has(t.school)).map((t) => concat([standardised(t.train, yMean, yStd), standardised(t.test, yMean, yStd)], d));
  const testEpisodes = data.tasks.filter((t) => testIds.has(t.school)).map((t) => ({ support: standardised(t.train, yMean, yStd), query: standardised(t.test, yMean, yStd) }));

  const model = o.model === 'linear' ? linearModel(d) : mlpModel(d, o.hidden ?? 16);
  const innerLr = o.innerLr ?? 0.05;
  const innerSteps = o.innerSteps ?? 5;
  const iterations = o.iterations ?? 1000;
  const metaBatch = o.metaBatch ?? 5;
  const mamlLr = o.mamlLr ?? 3e-3;
  const reptileLr = o.reptileLr ?? 0.5;
  log(`meta: ${trainSchools.length} meta-train / ${testEpisodes.length} meta-test schools, model ${model.name} (${model.size} parameters)`);

  const sampleEpisode = (rand: () => number): Episode<RegressionData> => {
    const task = trainSchools[Math.floor(rand() * trainSchools.length)]!;
    const p = shuffleIndices(task.n, Math.floor(rand() * 2 ** 31));
    const nq = Math.max(1, Math.round(task.n * 0.2));
    return { support: subset(task, p.slice(nq), d), query: subset(task, p.slice(0, nq), d) };
  };
  const sampleTask = (rand: () => number) => trainSchools[Math.floor(rand() * trainSchools.length)]!;

  const rows: MetaRow[] = [];
  const addRow = (init: string, thetas: Float64Array[], seconds: number) => {
    const t1 = performance.now();
    const evals = thetas.map((th) => evaluateInit(model, th, testEpisodes, steps, innerLr));
    const rmse: Record<number, number> = {}, ev: Record<number, number> = {};
    for (const k of steps) {
      const mse = evals.reduce((s, e) => s + e.mse[k]!, 0) / evals.length;
      rmse[k] = Math.sqrt(mse) * yStd;
      ev[k] = 1 - mse / evals[0]!.varY;
    }
    const row = { init, rmse, ev, seconds: seconds + (performance.now() - t1) / 1000 };
    rows.push(row);
    log(`${init}: ${steps.map((k) => `${k}→${rmse[k]!.toFixed(3)}`).join(' ')} (${row.seconds.toFixed(1)}s)`);
  };
  const timed = <T>(f: () => T): [T, number] => { const t1 = performance.now(); const r = f(); return [r, (performance.now() - t1) / 1000]; };

  const common = { iterations, metaBatch, innerSteps, innerLr, seed };
  const [fomaml, tFo] = timed(() => trainMaml(model, sampleEpisode, { ...common, outerLr: mamlLr, firstOrder: true }));
  addRow('MAML (first order)', [fomaml], tFo);
  if (o.secondOrder) {
    const [maml2, t2] = timed(() => trainMaml(model, sampleEpisode, { ...common, outerLr: mamlLr, firstOrder: false }));
    addRow('MAML (second order)', [maml2], t2);
  }
  const [reptile, tR] = timed(() => trainReptile(model, sampleTask, { ...common, outerLr: reptileLr }));
  addRow('Reptile', [reptile], tR);
  const pooledData = concat(trainSchools, d);
  const [pooled, tP] = timed(() => trainPooled(model, pooledData, { iterations: 3000, lr: 3e-3, batch: 128, seed }));
  addRow('pooled → fine-tune', [pooled], tP);
  const scratchSeeds = o.scratchSeeds ?? 5;
  addRow(`scratch (random init, mean of ${scratchSeeds})`, Array.from({ length: scratchSeeds }, (_, s) => model.init(seed * 1000 + 17 + s)), 0);

  // Reference without gradient steps: closed-form ridge on each held-out school's support.
  let sse = 0, n = 0, sum = 0, sumSq = 0;
  for (const ep of testEpisodes) {
    const w = ridge(ep.support, d, 30);
    for (let i = 0; i < ep.query.n; i++) {
      let p = 0;
      for (let j = 0; j < d; j++) p += ep.query.x[i * d + j]! * w[j]!;
      sse += (p - ep.query.y[i]!) ** 2; n++; sum += ep.query.y[i]!; sumSq += ep.query.y[i]! ** 2;
    }
  }
  const ridgeReference = { rmse: Math.sqrt(sse / n) * yStd, ev: 1 - sse / n / (sumSq / n - (sum / n) ** 2) };

  const result: MetaResult = {
    model: model.name,
    schools: { metaTrain: trainSchools.length, metaTest: testEpisodes.length },
    pupils: { support: testEpisodes.reduce((s, e) => s + e.support.n, 0), query: testEpisodes.reduce((s, e) => s + e.query.n, 0) },
    steps,
    settings: { seed, innerLr, innerSteps, iterations, metaBatch, mamlLr, reptileLr, secondOrder: !!o.secondOrder, parameters: model.size },
    rows, ridgeReference, seconds: (performance.now() - t0) / 1000,
  };
  if (o.outDir) {
    fs.mkdirSync(o.outDir, { recursive: true });
    writeFileAtomic(path.join(o.outDir, 'meta.json'), JSON.stringify(result, null, 2));
  }
  return result;
}

export function formatMeta(r: MetaResult): string {
  const s = r.settings;
  const lines = [
    `Meta-learning on school: ${r.schools.metaTrain} meta-train schools, ${r.schools.metaTest} held-out schools (${r.pupils.support} support / ${r.pupils.query} query pupils); model ${r.model} (${s['parameters']} parameters).`,
    `Adaptation: k full-batch gradient steps, α = ${s['innerLr']}, on each held-out school's training pupils; query RMSE in exam-score units, pooled over held-out schools (EV % in brackets).`,
    `Meta-training: ${s['iterations']} iterations × ${s['metaBatch']} schools, ${s['innerSteps']} inner steps; MAML outer Adam lr ${s['mamlLr']}, Reptile ε ${s['reptileLr']} → 0.`,
    '',
    `| init | ${r.steps.map((k) => `${k} step${k === 1 ? '' : 's'}`).join(' | ')} | train s |`,
    `|---|${r.steps.map(() => '---').join('|')}|---|`,
  ];
  for (const row of r.rows) {
    lines.push(`| ${row.init} | ${r.steps.map((k) => `${row.rmse[k]!.toFixed(3)} (${(100 * row.ev[k]!).toFixed(1)})`).join(' | ')} | ${row.seconds.toFixed(1)} |`);
  }
  lines.push('', `reference: ridge (λ = 30) fitted in closed form on each held-out school's support: RMSE ${r.ridgeReference.rmse.toFixed(3)} (${(100 * r.ridgeReference.ev).toFixed(1)})`);
  lines.push(`total ${r.seconds.toFixed(1)}s`);
  return lines.join('\n');
}
