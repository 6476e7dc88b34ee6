/**
 * `mtl compare`: one config, several MTL methods, the same data, seed and budget. Each method is an
 * architecture (`mmoe`), a loss weighting (`uw`), a gradient aggregator (`pcgrad`, on the shared parameters; `mgda@rep` on the
 * shared representation), or a combination (`mmoe+uw+pcgrad`). The single-task baselines are trained once. The
 * result is a table of per-task test metrics, Δm% vs STL and epoch time relative to EW, written as
 * Markdown and CSV.
 */
import fs from 'node:fs';
import path from 'node:path';
import { UsageError } from '../config/errors.js';
import { loadConfigDataset } from '../config/dataset.js';
import type { ExperimentConfig } from '../config/schema.js';
import { aggregatorNames } from '../aggregators/index.js';
import { deltaM } from '../eval/delta.js';
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

export interface CompareResult {
  tasks: { name: string; primary: string; higherIsBetter: boolean }[];
  stl: Record<string, Record<string, number>>;
  rows: CompareRow[];
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
  const split = await loadConfigDataset(config, options.baseDir, options.dataDir);
  const taskNames = selectTasks(config, split);
  fs.mkdirSync(options.outDir, { recursive: true });

  const stl: Record<string, Record<string, number>> = {};
  let tasksInfo: CompareResult['tasks'] = [];
  for (const name of taskNames) {
    const r = await trainModel({ config, split, taskNames: [name], runDir: path.join(options.outDir, 'stl', name), label: `stl:${name}`, options });
    stl[name] = r.test[name];
    r.trainer.dispose(); r.trainer.model.dispose();
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
      rows.push({
        method: spec.label, seed, metrics: r.test, epochs: r.fit.history.length, epochSeconds: meanEpochSeconds(r.fit.history),
        parameters: countParameters(r.trainer.model),
        deltaM: deltaM(r.tasks.map((t) => ({ mtl: r.test[t.name][t.primary], stl: stl[t.name][t.primary], higherIsBetter: t.higherIsBetter }))),
      });
      r.trainer.dispose(); r.trainer.model.dispose();
    }
  }
  const result = { tasks: tasksInfo, stl, rows, markdown: '', csv: '' };
  result.markdown = toMarkdown(result);
  result.csv = toCsv(result);
  writeFileAtomic(path.join(options.outDir, 'compare.md'), result.markdown + '\n');
  writeFileAtomic(path.join(options.outDir, 'compare.csv'), result.csv);
  writeFileAtomic(path.join(options.outDir, 'compare.json'), JSON.stringify({ tasks: result.tasks, stl, rows }, null, 2));
  return result;
}

const f4 = (v: number) => (Number.isFinite(v) ? (Math.abs(v) >= 100 ? v.toFixed(1) : v.toFixed(4)) : '-');

function baseEpochSeconds(r: Pick<CompareResult, 'rows'>, seed: number): number | undefined {
  // The reference is EW (or plain hard sharing when comparing architectures), else the first row.
  const rows = r.rows.filter((x) => x.seed === seed);
  return (rows.find((x) => x.method === 'ew' || x.method === 'hps') ?? rows[0])?.epochSeconds;
}

function toMarkdown(r: Omit<CompareResult, 'markdown' | 'csv'>): string {
  const head = ['method', 'seed', ...r.tasks.map((t) => `${t.name} ${t.primary} ${t.higherIsBetter ? '↑' : '↓'}`), 'Δm% ↑', 'epoch time vs EW/first', 'epochs', 'parameters'];
  const lines = [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`];
  lines.push(`| STL | - | ${r.tasks.map((t) => f4(r.stl[t.name][t.primary])).join(' | ')} | 0.00 | - | - | - |`);
  for (const row of r.rows) {
    const base = baseEpochSeconds(r, row.seed);
    const rel = base ? `${(row.epochSeconds / base).toFixed(2)}×` : `${row.epochSeconds.toFixed(2)}s`;
    lines.push(`| ${row.method} | ${row.seed} | ${r.tasks.map((t) => f4(row.metrics[t.name][t.primary])).join(' | ')} | ${row.deltaM >= 0 ? '+' : ''}${row.deltaM.toFixed(2)} | ${rel} | ${row.epochs} | ${row.parameters} |`);
  }
  return lines.join('\n');
}

function toCsv(r: Omit<CompareResult, 'markdown' | 'csv'>): string {
  const metricNames = r.tasks.flatMap((t) => Object.keys(r.stl[t.name]).filter((m) => m !== 'count').map((m) => `${t.name}.${m}`));
  const head = ['method', 'seed', ...metricNames, 'delta_m_pct', 'epoch_seconds', 'epoch_time_vs_ew', 'epochs', 'parameters'];
  const get = (metrics: Record<string, Record<string, number>>, key: string) => { const [t, m] = key.split('.'); return metrics[t]?.[m]; };
  const out = [head.join(',')];
  out.push(['STL', '', ...metricNames.map((k) => get(r.stl, k)), 0, '', '', '', ''].join(','));
  for (const row of r.rows) {
    const base = baseEpochSeconds(r, row.seed);
    out.push([row.method, row.seed, ...metricNames.map((k) => get(row.metrics, k)), row.deltaM, row.epochSeconds, base ? row.epochSeconds / base : '', row.epochs, row.parameters].join(','));
  }
  return out.join('\n') + '\n';
}
