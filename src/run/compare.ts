/**
 * `mtl compare`: one config, several MTL methods, the same data, seeds and budget. Each method is an
 * architecture (`mmoe`), a loss weighting (`uw`), a gradient aggregator (`pcgrad`, on the shared parameters; `mgda@rep` on the
 * shared representation), or a combination (`mmoe+uw+pcgrad`). The single-task baselines are trained at
 * every seed too, and each run's Δm% is against the baselines of its own seed. The result is a table of
 * per-task test metrics, Δm% vs STL and epoch time relative to EW, per seed; with several seeds also
 * mean ± std per method and a paired test of Δm% over the seeds (../eval/uncertainty.ts). Written as
 * Markdown, CSV and JSON.
 */
import fs from 'node:fs';
import path from 'node:path';
import { UsageError } from '../config/errors.js';
import { loadConfigDataset } from '../config/dataset.js';
import type { ExperimentConfig } from '../config/schema.js';
import { aggregatorNames } from '../aggregators/index.js';
import { deltaM } from '../eval/delta.js';
import { formatSpread, pairedTest, spread, type PairedTest, type Spread } from '../eval/uncertainty.js';
import { weightingNames } from '../weighting/registry.js';
import { architectureNames } from '../models/registry.js';
import { countParameters } from '../models/params.js';
import { writeFileAtomic } from '../train/node/atomic.js';
import type { DatasetSplit } from '../data/types.js';
import type { TrainerOptions } from '../train/node/trainer.js';
import { selectTasks, trainModel, type ExperimentOptions } from './experiment.js';

export interface MethodSpec {
  label: string;
  /** Architecture override (a name from the architecture registry); default: the config's. */
  architecture?: string;
  weighting: string;
  aggregator?: { method: string; mode: 'param' | 'rep' };
}

export function parseMethod(spec: string): MethodSpec {
  let weighting = 'ew';
  let aggregator: MethodSpec['aggregator'];
  let architecture: string | undefined;
  for (const part of spec.split('+')) {
    const [name, mode] = part.split('@');
    if (mode !== undefined && mode !== 'rep' && mode !== 'param') throw new UsageError(`method "${spec}": mode must be @rep or @param`);
    if (architectureNames().includes(name) && mode === undefined) architecture = name;
    else if (weightingNames().includes(name) && mode === undefined) weighting = name;
    else if (aggregatorNames().includes(name)) aggregator = { method: name, mode: (mode as 'rep' | 'param') ?? 'param' };
    else throw new UsageError(`unknown method "${name}": architectures are ${architectureNames().join(', ')}; weightings are ${weightingNames().join(', ')}; aggregators are ${aggregatorNames().join(', ')} (add @rep for representation gradients)`);
  }
  return { label: spec, architecture, weighting, aggregator };
}

export interface CompareRow {
  method: string;
  seed: number;
  metrics: Record<string, Record<string, number>>;
  deltaM: number;
  epochSeconds: number;
  epochs: number;
  parameters: number;
}

export interface CompareSummary {
  method: string;
  /** task → metric → mean ± std over the seeds. */
  metrics: Record<string, Record<string, Spread>>;
  deltaM: Spread;
  /** Paired test of the per-seed Δm% against 0. */
  test: PairedTest;
}

export interface CompareResult {
  tasks: CompareTaskInfo[];
  /** The single-task baselines' test metrics at the first seed. */
  stl: Record<string, Record<string, number>>;
  /** The baselines at every seed: seed → task → metric. */
  stlBySeed: Record<number, Record<string, Record<string, number>>>;
  rows: CompareRow[];
  /** Per method over the seeds (also the STL baselines, as method "STL"). */
  summary: CompareSummary[];
  markdown: string;
  csv: string;
}

/** Mean training time per epoch (validation excluded: it costs the same for every method). */
function meanEpochSeconds(history: { trainSeconds: number }[]): number {
  return history.reduce((s, h) => s + h.trainSeconds, 0) / Math.max(history.length, 1);
}

/** A task as the table shows it: its primary metric and that metric's direction. */
export interface CompareTaskInfo { name: string; primary: string; higherIsBetter: boolean }

/**
 * One unit of work of a comparison: a single-task baseline, or one method, each at one seed; or (for
 * `mtl affinity --train-groups`, ./affinity.ts) one model on a group of tasks, trained as the config says.
 */
export type CompareUnit = { kind: 'stl'; task: string } | { kind: 'method'; method: string } | { kind: 'group'; tasks: string[] };

/** What training one unit gives (plain JSON: a queue job returns it, ../sweep/). */
export interface UnitResult {
  unit: CompareUnit;
  seed: number;
  /** Test metrics: task → metric → value. */
  metrics: Record<string, Record<string, number>>;
  tasks: CompareTaskInfo[];
  epochs: number;
  /** Mean training seconds per epoch. */
  epochSeconds: number;
  parameters: number;
}

/** Every unit of a comparison, in the order the local loop trains them: the baselines (seed by seed, task by task), then the methods (seed by seed). */
export function compareUnits(taskNames: string[], methods: string[], seeds: number[]): { unit: CompareUnit; seed: number }[] {
  return [
    ...seeds.flatMap((seed) => taskNames.map((task) => ({ unit: { kind: 'stl', task } as CompareUnit, seed }))),
    ...seeds.flatMap((seed) => methods.map((method) => ({ unit: { kind: 'method', method } as CompareUnit, seed }))),
  ];
}

/** The unit's run folder under `outDir` (the layout `mtl compare` has always written). */
export function unitRunDir(outDir: string, unit: CompareUnit, seed: number, nSeeds: number): string {
  if (unit.kind === 'group') return path.join(outDir, `group-${unit.tasks.join('+')}`);
  if (unit.kind === 'stl') return nSeeds > 1 ? path.join(outDir, 'stl', `${unit.task}-s${seed}`) : path.join(outDir, 'stl', unit.task);
  return path.join(outDir, `${unit.method.replace(/[^A-Za-z0-9_.+@-]/g, '_')}-s${seed}`);
}

/** The unit's label on progress lines. */
export function unitLabel(unit: CompareUnit, seed: number, nSeeds: number): string {
  if (unit.kind === 'group') return `group:${unit.tasks.join('+')}`;
  return unit.kind === 'stl' ? `stl:${unit.task}${nSeeds > 1 ? ` (seed ${seed})` : ''}` : unit.method;
}

/**
 * Trains one unit — the baseline of one task, one method on all `taskNames`, or the config's own
 * method on a group of tasks — at `seed`, on the
 * config's data `split`, in `runDir` (resumed from its checkpoint when `options.resume`), and tests it.
 * The local loop (runCompare) and a queue worker (../sweep/processor.ts) both train through this, so a
 * sweep and `mtl compare` give the same numbers for the same seeds.
 */
export async function trainUnit(args: {
  config: ExperimentConfig;
  split: DatasetSplit;
  taskNames: string[];
  unit: CompareUnit;
  seed: number;
  runDir: string;
  label: string;
  options: ExperimentOptions;
  trainerOverrides?: Partial<TrainerOptions>;
}): Promise<UnitResult> {
  const { config, split, unit, seed, runDir, label, options } = args;
  const cfg: ExperimentConfig = structuredClone(config);
  cfg.seed = seed;
  let taskNames = args.taskNames;
  if (unit.kind === 'stl') taskNames = [unit.task];
  else if (unit.kind === 'group') {
    const unknown = unit.tasks.filter((t) => !args.taskNames.includes(t));
    if (unit.tasks.length === 0 || unknown.length) throw new Error(`group unit: ${unit.tasks.length ? `unknown task(s) ${unknown.join(', ')}` : 'no tasks'}`);
    taskNames = unit.tasks;
  } else {
    const spec = parseMethod(unit.method);
    cfg.train.weighting = { method: spec.weighting };
    cfg.train.aggregator = spec.aggregator;
    if (spec.architecture && spec.architecture !== config.model.architecture) {
      // Another architecture than the config's: its own defaults (the config's options are the config
      // architecture's, e.g. mmoe's experts, which ple does not take).
      cfg.model.architecture = spec.architecture;
      cfg.model.options = {};
    }
  }
  const r = await trainModel({ config: cfg, split, taskNames, runDir, label, options, trainerOverrides: args.trainerOverrides });
  try {
    return {
      unit, seed,
      metrics: unit.kind === 'stl' ? { [unit.task]: r.test[unit.task]! } : r.test,
      tasks: r.tasks.map((t) => ({ name: t.name, primary: t.primary, higherIsBetter: t.higherIsBetter })),
      epochs: r.fit.history.length,
      epochSeconds: meanEpochSeconds(r.fit.history),
      parameters: countParameters(r.trainer.model),
    };
  } finally {
    r.trainer.dispose(); r.trainer.model.dispose();
  }
}

export async function runCompare(config: ExperimentConfig, methods: string[], options: ExperimentOptions & { seeds?: number[] }): Promise<CompareResult> {
  methods.forEach(parseMethod); // every spec checked before anything trains
  const seeds = options.seeds ?? [config.seed];
  const log = options.log ?? (() => {});
  const split = await loadConfigDataset(config, options.baseDir, options.dataDir, { log: options.log });
  const taskNames = selectTasks(config, split);
  fs.mkdirSync(options.outDir, { recursive: true });
  const results: UnitResult[] = [];
  for (const { unit, seed } of compareUnits(taskNames, methods, seeds)) {
    if (unit.kind === 'method') log(`method ${unit.method} (seed ${seed})`);
    const runDir = unitRunDir(options.outDir, unit, seed, seeds.length);
    results.push(await trainUnit({ config, split, taskNames, unit, seed, runDir, label: unitLabel(unit, seed, seeds.length), options }));
  }
  const result = compareFromUnits(methods, seeds, results);
  writeCompare(options.outDir, result);
  return result;
}

/** One table row from a method's unit result and its seed's baselines (Δm% against them). */
export function compareRow(r: UnitResult, stl: Record<string, Record<string, number>>): CompareRow {
  if (r.unit.kind !== 'method') throw new Error('compareRow: a method unit expected');
  return {
    method: r.unit.method, seed: r.seed, metrics: r.metrics, epochs: r.epochs, epochSeconds: r.epochSeconds, parameters: r.parameters,
    deltaM: deltaM(r.tasks.map((t) => ({ mtl: r.metrics[t.name]![t.primary]!, stl: stl[t.name]![t.primary]!, higherIsBetter: t.higherIsBetter }))),
  };
}

/**
 * The comparison from every unit's result, whatever order they came in (a queue finishes them in any):
 * baselines by seed, rows in the order of `seeds` × `methods`. Each (unit, seed) must be there exactly once.
 */
export function compareFromUnits(methods: string[], seeds: number[], results: UnitResult[]): CompareResult {
  const key = (u: CompareUnit, seed: number) => `${u.kind}:${u.kind === 'stl' ? u.task : u.kind === 'group' ? u.tasks.join('+') : u.method}:${seed}`;
  const byKey = new Map<string, UnitResult>();
  for (const r of results) {
    const k = key(r.unit, r.seed);
    if (byKey.has(k)) throw new Error(`compare: unit ${k} given twice`);
    byKey.set(k, r);
  }
  const stlBySeed: CompareResult['stlBySeed'] = {};
  for (const seed of seeds) {
    stlBySeed[seed] = {};
    for (const r of results) if (r.unit.kind === 'stl' && r.seed === seed) stlBySeed[seed]![r.unit.task] = r.metrics[r.unit.task]!;
  }
  const rows: CompareRow[] = [];
  let tasks: CompareTaskInfo[] = [];
  for (const seed of seeds) {
    for (const method of methods) {
      const r = byKey.get(key({ kind: 'method', method }, seed));
      if (!r) throw new Error(`compare: no result for method ${method} at seed ${seed}`);
      for (const t of r.tasks) if (!stlBySeed[seed]![t.name]) throw new Error(`compare: no baseline for task ${t.name} at seed ${seed}`);
      tasks = r.tasks;
      rows.push(compareRow(r, stlBySeed[seed]!));
    }
  }
  return compareResult(tasks, stlBySeed, rows, seeds, methods);
}

/** The summary, Markdown and CSV of a comparison from its rows (pure). */
export function compareResult(tasks: CompareTaskInfo[], stlBySeed: CompareResult['stlBySeed'], rows: CompareRow[], seeds: number[], methods: string[]): CompareResult {
  const summary = summarise(methods, rows, stlBySeed, seeds);
  const result: CompareResult = { tasks, stl: stlBySeed[seeds[0]!]!, stlBySeed, rows, summary, markdown: '', csv: '' };
  result.markdown = toMarkdown(result, seeds.length);
  result.csv = toCsv(result);
  return result;
}

/** compare.md, compare.csv and compare.json in `outDir` (each written atomically). */
export function writeCompare(outDir: string, result: CompareResult): void {
  fs.mkdirSync(outDir, { recursive: true });
  writeFileAtomic(path.join(outDir, 'compare.md'), result.markdown + '\n');
  writeFileAtomic(path.join(outDir, 'compare.csv'), result.csv);
  const { tasks, stl, stlBySeed, rows, summary } = result;
  writeFileAtomic(path.join(outDir, 'compare.json'), JSON.stringify({ tasks, stl, stlBySeed, rows, summary }, null, 2));
}

/** Mean ± std of every metric over the seeds, per method and for the baselines, with the paired test of Δm%. */
function summarise(methods: string[], rows: CompareRow[], stlBySeed: CompareResult['stlBySeed'], seeds: number[]): CompareSummary[] {
  const over = (runs: Record<string, Record<string, number>>[]) => {
    const out: Record<string, Record<string, Spread>> = {};
    for (const task of Object.keys(runs[0] ?? {})) {
      out[task] = {};
      for (const metric of Object.keys(runs[0]![task]!)) out[task]![metric] = spread(runs.map((r) => r[task]![metric]!));
    }
    return out;
  };
  const stlRuns = seeds.map((s) => stlBySeed[s]!);
  const zeros = seeds.map(() => 0);
  const summaries: CompareSummary[] = [{ method: 'STL', metrics: over(stlRuns), deltaM: spread(zeros), test: pairedTest(zeros) }];
  for (const method of methods) {
    const mine = rows.filter((r) => r.method === method);
    const d = mine.map((r) => r.deltaM);
    summaries.push({ method, metrics: over(mine.map((r) => r.metrics)), deltaM: spread(d), test: pairedTest(d) });
  }
  return summaries;
}

const f4 = (v: number) => (Number.isFinite(v) ? (Math.abs(v) >= 100 ? v.toFixed(1) : v.toFixed(4)) : '-');

function baseEpochSeconds(r: Pick<CompareResult, 'rows'>, seed: number): number | undefined {
  // The reference is EW (or plain hard sharing when comparing architectures), else the first row.
  const rows = r.rows.filter((x) => x.seed === seed);
  return (rows.find((x) => x.method === 'ew' || x.method === 'hps') ?? rows[0])?.epochSeconds;
}

function toMarkdown(r: Omit<CompareResult, 'markdown' | 'csv'>, nSeeds: number): string {
  const head = ['method', 'seed', ...r.tasks.map((t) => `${t.name} ${t.primary} ${t.higherIsBetter ? '↑' : '↓'}`), 'Δm% ↑', 'epoch time vs EW/first', 'epochs', 'parameters'];
  const lines = [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`];
  for (const [seed, stl] of Object.entries(r.stlBySeed)) lines.push(`| STL | ${seed} | ${r.tasks.map((t) => f4(stl[t.name]![t.primary]!)).join(' | ')} | 0.00 | - | - | - |`);
  for (const row of r.rows) {
    const base = baseEpochSeconds(r, row.seed);
    const rel = base ? `${(row.epochSeconds / base).toFixed(2)}×` : `${row.epochSeconds.toFixed(2)}s`;
    lines.push(`| ${row.method} | ${row.seed} | ${r.tasks.map((t) => f4(row.metrics[t.name]![t.primary]!)).join(' | ')} | ${row.deltaM >= 0 ? '+' : ''}${row.deltaM.toFixed(2)} | ${rel} | ${row.epochs} | ${row.parameters} |`);
  }
  if (nSeeds < 2) {
    lines.push('', `Δm% here is one draw (one seed): the seed alone can move it more than the method does; run with --seeds 0,1,2 for mean ± std and a paired test.`);
    return lines.join('\n');
  }
  const sHead = ['method', ...r.tasks.map((t) => `${t.name} ${t.primary} (mean ± std)`), 'Δm% (mean ± std)', `MTL vs STL over ${nSeeds} seeds`];
  lines.push('', `| ${sHead.join(' | ')} |`, `|${sHead.map(() => '---').join('|')}|`);
  for (const s of r.summary) {
    const d = s.method === 'STL' ? '0.00' : `${s.deltaM.mean >= 0 ? '+' : ''}${s.deltaM.mean.toFixed(2)} ± ${s.deltaM.std.toFixed(2)}`;
    const verdict = s.method === 'STL' ? '-' : verdictShort(s.test);
    lines.push(`| ${s.method} | ${r.tasks.map((t) => formatSpread(s.metrics[t.name]![t.primary]!)).join(' | ')} | ${d} | ${verdict} |`);
  }
  return lines.join('\n');
}

function verdictShort(t: PairedTest): string {
  const p = t.p === undefined ? '-' : t.p.toPrecision(2);
  const better = t.p !== undefined && t.p < 0.05 ? (t.mean > 0 ? 'better' : 'worse') : 'no significant difference';
  return `${better} (paired t p = ${p}; wins ${t.wins}/${t.wins + t.losses})`;
}

function toCsv(r: Omit<CompareResult, 'markdown' | 'csv'>): string {
  const metricNames = r.tasks.flatMap((t) => Object.keys(r.stl[t.name]).filter((m) => m !== 'count').map((m) => `${t.name}.${m}`));
  const head = ['method', 'seed', ...metricNames, 'delta_m_pct', 'epoch_seconds', 'epoch_time_vs_ew', 'epochs', 'parameters'];
  const get = (metrics: Record<string, Record<string, number>>, key: string) => { const [t, m] = key.split('.'); return metrics[t]?.[m]; };
  const out = [head.join(',')];
  for (const [seed, stl] of Object.entries(r.stlBySeed)) out.push(['STL', seed, ...metricNames.map((k) => get(stl, k)), 0, '', '', '', ''].join(','));
  for (const row of r.rows) {
    const base = baseEpochSeconds(r, row.seed);
    out.push([row.method, row.seed, ...metricNames.map((k) => get(row.metrics, k)), row.deltaM, row.epochSeconds, base ? row.epochSeconds / base : '', row.epochs, row.parameters].join(','));
  }
  return out.join('\n') + '\n';
}
