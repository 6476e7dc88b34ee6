/**
 * `mtl train --seeds 0,1,2`: the whole experiment (MTL and every STL baseline) at each seed, in
 * `<out>/seed-<s>/`, then the spread: per task and metric mean ± std for MTL and STL, Δm% mean ± std,
 * and a paired test of the per-seed Δm% (../eval/uncertainty.ts), written to `<out>/seeds.json`.
 */
import fs from 'node:fs';
import path from 'node:path';
import { UsageError } from '../config/errors.js';
import type { ExperimentConfig } from '../config/schema.js';
import type { Report } from '../eval/report.js';
import { formatSpread, pairedTest, spread, type PairedTest, type Spread } from '../eval/uncertainty.js';
import { writeFileAtomic } from '../train/node/atomic.js';
import { runExperiment, type ExperimentOptions } from './experiment.js';

export interface SeedsReport {
  seeds: number[];
  /** task → { mtl: metric → spread, stl?: metric → spread } */
  tasks: Record<string, { primary: string; higherIsBetter: boolean; mtl: Record<string, Spread>; stl?: Record<string, Spread> }>;
  deltaM?: Spread;
  test?: PairedTest;
  runs: Report[];
}

const OURS = /^(seed-\d+|seeds\.json)$/;

export async function runSeeds(config: ExperimentConfig, seeds: number[], options: ExperimentOptions): Promise<{ report: SeedsReport; finished: boolean }> {
  const out = options.outDir;
  if (fs.existsSync(out) && fs.readdirSync(out).some((f) => !OURS.test(f))) {
    throw new UsageError(`--out ${out} holds files that are not a --seeds run (seed-<n>/, seeds.json): choose a new or empty folder`);
  }
  const runs: Report[] = [];
  let finished = true;
  for (const seed of seeds) {
    const cfg: ExperimentConfig = { ...structuredClone(config), seed };
    options.log?.(`seed ${seed}`);
    const r = await runExperiment(cfg, { ...options, outDir: path.join(out, `seed-${seed}`) });
    runs.push(r.report);
    finished &&= r.finished;
  }
  const first = runs[0]!;
  const tasks: SeedsReport['tasks'] = {};
  for (const [name, t] of Object.entries(first.tasks)) {
    const metrics = Object.keys(t.mtl);
    const over = (pick: (r: Report) => Record<string, number> | undefined) =>
      Object.fromEntries(metrics.map((m) => [m, spread(runs.map((r) => pick(r)?.[m] ?? Number.NaN))]));
    tasks[name] = { primary: t.primary, higherIsBetter: t.higherIsBetter, mtl: over((r) => r.tasks[name]!.mtl), ...(t.stl ? { stl: over((r) => r.tasks[name]!.stl) } : {}) };
  }
  const deltas = runs.map((r) => r.deltaM).filter((d): d is number => d !== undefined);
  const report: SeedsReport = { seeds, tasks, runs, ...(deltas.length === runs.length ? { deltaM: spread(deltas), test: pairedTest(deltas) } : {}) };
  fs.mkdirSync(out, { recursive: true });
  if (finished) writeFileAtomic(path.join(out, 'seeds.json'), JSON.stringify(report, null, 2));
  return { report, finished };
}

/** The spread as a table: per task its primary and other metrics, MTL and STL, mean ± std; Δm% and the verdict. */
export function formatSeedsReport(r: SeedsReport): string {
  const lines = [`over ${r.seeds.length} seeds (${r.seeds.join(', ')}): mean ± std`, '', '| task | metric | MTL | STL |', '|---|---|---|---|'];
  for (const [name, t] of Object.entries(r.tasks)) {
    for (const m of Object.keys(t.mtl).filter((k) => k !== 'count')) {
      lines.push(`| ${name} | ${m}${m === t.primary ? ` (${t.higherIsBetter ? '↑' : '↓'}, primary)` : ''} | ${formatSpread(t.mtl[m]!)} | ${t.stl ? formatSpread(t.stl[m]!) : '-'} |`);
    }
  }
  if (r.deltaM && r.test) lines.push('', `Δm% (MTL vs STL): ${r.deltaM.mean >= 0 ? '+' : ''}${r.deltaM.mean.toFixed(2)} ± ${r.deltaM.std.toFixed(2)}%`, r.test.verdict);
  return lines.join('\n');
}
