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
  tasks: { name: string; primary: string; higherIsBetter: boolean }[];
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

export async function runCompare(config: ExperimentConfig, methods: string[], options: ExperimentOptions & { seeds?: number[] }): Promise<CompareResult> {
  const specs = methods.map(parseMethod);
  const seeds = options.seeds ?? [config.seed];
  const log = options.log ?? (() => {});
  const split = await loadConfigDataset(config, options.baseDir, options.dataDir, { log: options.log });
  const taskNames = selectTasks(config, split);
  fs.mkdirSync(options.outDir, { recursive: true });

  const stlBySeed: CompareResult['stlBySeed'] = {};
  let tasksInfo: CompareResult['tasks'] = [];
  for (const seed of seeds) {
    const cfg: ExperimentConfig = structuredClone(config);
    cfg.seed = seed;
    stlBySeed[seed] = {};
    for (const name of taskNames) {
      const dir = seeds.length > 1 ? path.join(options.outDir, 'stl', `${name}-s${seed}`) : path.join(options.outDir, 'stl', name);
      const r = await trainModel({ config: cfg, split, taskNames: [name], runDir: dir, label: `stl:${name}${seeds.length > 1 ? ` (seed ${seed})` : ''}`, options });
      stlBySeed[seed]![name] = r.test[name]!;
      r.trainer.dispose(); r.trainer.model.dispose();
    }
  }
  const rows: CompareRow[] = [];
  for (const seed of seeds) {
    for (const spec of specs) {
      const cfg: ExperimentConfig = structuredClone(config);
      cfg.seed = seed;
      cfg.train.weighting = { method: spec.weighting };
      cfg.train.aggregator = spec.aggregator;
      if (spec.architecture) cfg.model.architecture = spec.architecture;
      log(`method ${spec.label} (seed ${seed})`);
      const r = await trainModel({ config: cfg, split, taskNames, runDir: path.join(options.outDir, `${spec.label.replace(/[^A-Za-z0-9_.+@-]/g, '_')}-s${seed}`), label: spec.label, options });
      tasksInfo = r.tasks.map((t) => ({ name: t.name, primary: t.primary, higherIsBetter: t.higherIsBetter }));
      const stl = stlBySeed[seed]!;
      rows.push({
        method: spec.label, seed, metrics: r.test, epochs: r.fit.history.length, epochSeconds: meanEpochSeconds(r.fit.history),
        parameters: countParameters(r.trainer.model),
        deltaM: deltaM(r.tasks.map((t) => ({ mtl: r.test[t.name]![t.primary]!, stl: stl[t.name]![t.primary]!, higherIsBetter: t.higherIsBetter }))),
      });
      r.trainer.dispose(); r.trainer.model.dispose();
    }
  }
  const summary = summarise(specs.map((s) => s.label), rows, stlBySeed, seeds);
  const result: CompareResult = { tasks: tasksInfo, stl: stlBySeed[seeds[0]!]!, stlBySeed, rows, summary, markdown: '', csv: '' };
  result.markdown = toMarkdown(result, seeds.length);
  result.csv = toCsv(result);
  writeFileAtomic(path.join(options.outDir, 'compare.md'), result.markdown + '\n');
  writeFileAtomic(path.join(options.outDir, 'compare.csv'), result.csv);
  writeFileAtomic(path.join(options.outDir, 'compare.json'), JSON.stringify({ tasks: result.tasks, stl: result.stl, stlBySeed, rows, summary }, null, 2));
  return result;
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
