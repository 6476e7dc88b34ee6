/**
 * The experiment report: per-task test metrics of the multi-task model and of the single-task
 * baselines, each task's relative change of its primary metric, and Δm%. Written as report.json and
 * printed as a table.
 */
import { deltaM, relativeChange } from './delta.js';

export type MetricMap = Record<string, number>;

export interface TaskReport {
  kind: string;
  primary: string;
  higherIsBetter: boolean;
  mtl: MetricMap;
  stl?: MetricMap;
  /** Signed relative change (%) of the primary metric vs STL; positive = MTL better. */
  delta?: number;
}

export interface Report {
  name: string;
  backend: string;
  architecture: string;
  seed: number;
  tasks: Record<string, TaskReport>;
  /** Δm% over all tasks (when STL baselines were trained). */
  deltaM?: number;
  /** Wall time of training (or, with `what: 'evaluation'`, of evaluating the saved models). */
  seconds: { mtl: number; stl?: number; what?: 'training' | 'evaluation' };
  createdAt: string;
}

export function withDeltas(report: Omit<Report, 'deltaM'>): Report {
  const entries = Object.values(report.tasks);
  // A baseline metric of 0 (or missing) has no relative change: no delta rather than an error.
  const usable = (t: TaskReport) => !!t.stl && Number.isFinite(t.stl[t.primary]) && t.stl[t.primary] !== 0;
  const haveStl = entries.length > 0 && entries.every(usable);
  for (const t of entries) {
    if (usable(t)) t.delta = relativeChange({ mtl: t.mtl[t.primary], stl: t.stl![t.primary], higherIsBetter: t.higherIsBetter });
  }
  const out: Report = { ...report };
  if (haveStl) {
    out.deltaM = deltaM(entries.map((t) => ({ mtl: t.mtl[t.primary], stl: t.stl![t.primary], higherIsBetter: t.higherIsBetter })));
  }
  return out;
}

function num(v: number | undefined): string {
  if (v === undefined || Number.isNaN(v)) return '-';
  const a = Math.abs(v);
  return a >= 1000 ? v.toFixed(0) : a >= 10 ? v.toFixed(2) : v.toFixed(4);
}

/** A plain-text table: one row per task and metric, MTL beside STL, primary metrics marked. */
export function formatReport(report: Report): string {
  const rows: string[][] = [['task', 'metric', 'MTL', 'STL', 'Δ% vs STL']];
  for (const [name, t] of Object.entries(report.tasks)) {
    const metrics = Object.keys(t.mtl).filter((m) => m !== 'count');
    metrics.sort((a, b) => (a === t.primary ? -1 : b === t.primary ? 1 : 0));
    for (const m of metrics) {
      const primary = m === t.primary;
      rows.push([
        rows.at(-1)?.[0] === name || rows.some((r) => r[0] === name) ? '' : name,
        `${m}${primary ? (t.higherIsBetter ? ' (↑, primary)' : ' (↓, primary)') : ''}`,
        num(t.mtl[m]),
        num(t.stl?.[m]),
        primary && t.delta !== undefined ? `${t.delta >= 0 ? '+' : ''}${t.delta.toFixed(2)}` : '',
      ]);
    }
  }
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => [...r[c]].length)));
  const line = (r: string[]) => r.map((cell, c) => (c < 2 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ');
  const out = [line(rows[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line)];
  if (report.deltaM !== undefined) out.push('', `Δm% (MTL vs STL, primary metrics): ${report.deltaM >= 0 ? '+' : ''}${report.deltaM.toFixed(2)}%`);
  const secs = (v: number) => `${v.toFixed(v < 1 ? 2 : 1)}s`;
  const what = report.seconds.what === 'evaluation' ? 'evaluation time' : 'training time';
  out.push(`${what}: MTL ${secs(report.seconds.mtl)}${report.seconds.stl !== undefined ? `, STL baselines ${secs(report.seconds.stl)}` : ''} (backend ${report.backend})`);
  return out.join('\n');
}
