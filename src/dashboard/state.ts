/**
 * What the dashboard shows, read from a run folder: config.json (name, planned epochs, tasks),
 * history.jsonl of the multi-task model and of each stl/<task>/ baseline (one JSON record per epoch:
 * {epoch, seconds, weights, train: {task: {loss}}, val: {task: {loss, metrics}}, best?, gradCosine?}),
 * and report.json (test metrics, Δm%) once the run has finished. Partial or missing files read as empty:
 * the folder may be written while it is read.
 *
 * Paths in the state (the run folder, and the working directory inside a failure message) are shown
 * relative to the working directory: the page is shared as a file (`mtl report`) and served over HTTP,
 * and neither should disclose where the user keeps their files.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Report } from '../eval/report.js';

/** One line of history.jsonl (extra fields, e.g. gradCosine or conflictShare, are kept). */
export interface HistoryRecord {
  epoch: number;
  seconds?: number;
  weights?: Record<string, number>;
  train?: Record<string, { loss: number }>;
  val?: Record<string, Record<string, number>>;
  best?: boolean;
  /** T × T cosine similarities of the tasks' gradients (task order = the keys of `train`). */
  gradCosine?: number[][];
  [key: string]: unknown;
}

export type RunStatus = 'running' | 'finished' | 'failed' | 'incomplete';

export interface DashboardState {
  name: string;
  /** The run folder, relative to the working directory ('.' for the working directory itself). */
  runDir: string;
  status: RunStatus;
  /** Why the run failed (status 'failed'). */
  message?: string;
  /** Planned epochs, architecture, weighting, aggregator (from config.json). */
  config: { epochs?: number; architecture?: string; weighting?: string; aggregator?: string | null; dataset?: string };
  /** Tasks of the multi-task model, in model order. */
  tasks: string[];
  /** Per task: kind, primary metric and direction (from report.json, when there). */
  taskInfo: Record<string, { kind?: string; primary?: string; higherIsBetter?: boolean }>;
  mtl: HistoryRecord[];
  /** Single-task baselines' histories, by task. */
  stl: Record<string, HistoryRecord[]>;
  report: Report | null;
  updatedAt: string;
}

/** `p` relative to the working directory ('.' for the directory itself). */
export function displayPath(p: string): string {
  return path.relative(process.cwd(), path.resolve(p)) || '.';
}

/** A message with the working directory's absolute path taken out of the paths it names. */
export function relativeMessage(message: string): string {
  const cwd = process.cwd();
  return cwd === path.sep ? message : message.split(cwd + path.sep).join('').split(cwd).join('.');
}

function readJson<T>(file: string): T | null {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
  } catch {
    return null;
  }
}

/** Parses history.jsonl; lines that do not parse (a file being written) are skipped. */
export function readHistory(file: string): HistoryRecord[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  const out: HistoryRecord[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      const r = JSON.parse(line) as HistoryRecord;
      if (r && typeof r.epoch === 'number') out.push(r);
    } catch {
      /* a torn line: skip */
    }
  }
  return out;
}

interface ConfigJson {
  name?: string;
  data?: { dataset?: string };
  tasks?: Record<string, unknown>;
  model?: { architecture?: string };
  train?: { epochs?: number; weighting?: { method?: string }; aggregator?: { method?: string } | null };
}

/** Reads the run folder. `status` overrides the status guessed from the files (report.json → finished). */
export function readRunState(runDir: string, status?: RunStatus, message?: string): DashboardState {
  const config = readJson<ConfigJson>(path.join(runDir, 'config.json'));
  const report = readJson<Report>(path.join(runDir, 'report.json'));
  const mtl = readHistory(path.join(runDir, 'history.jsonl'));
  const fromHistory = mtl.length ? Object.keys(mtl[0]!.train ?? {}) : [];
  const tasks = report ? Object.keys(report.tasks) : fromHistory.length ? fromHistory : Object.keys(config?.tasks ?? {});
  const stl: Record<string, HistoryRecord[]> = {};
  const stlDir = path.join(runDir, 'stl');
  if (fs.existsSync(stlDir)) {
    for (const t of fs.readdirSync(stlDir).sort()) {
      const h = readHistory(path.join(stlDir, t, 'history.jsonl'));
      if (h.length) stl[t] = h;
    }
  }
  // Kinds and primary metrics: report.json when finished, else the manifest of the model or checkpoint.
  const manifest =
    readJson<{ tasks?: { name: string; kind: string; primary: string; higherIsBetter: boolean }[] }>(path.join(runDir, 'model', 'manifest.json')) ??
    readJson<{ tasks?: { name: string; kind: string; primary: string; higherIsBetter: boolean }[] }>(path.join(runDir, 'checkpoint', 'manifest.json'));
  const taskInfo: DashboardState['taskInfo'] = {};
  for (const t of tasks) {
    const r = report?.tasks[t] ?? manifest?.tasks?.find((m) => m.name === t);
    taskInfo[t] = r ? { kind: r.kind, primary: r.primary, higherIsBetter: r.higherIsBetter } : {};
  }
  return {
    name: config?.name ?? path.basename(path.resolve(runDir)),
    runDir: displayPath(runDir),
    status: status ?? (report ? 'finished' : 'incomplete'),
    ...(message ? { message: relativeMessage(message) } : {}),
    config: {
      epochs: config?.train?.epochs,
      architecture: config?.model?.architecture,
      weighting: config?.train?.weighting?.method,
      aggregator: config?.train?.aggregator?.method ?? null,
      dataset: config?.data?.dataset,
    },
    tasks,
    taskInfo,
    mtl,
    stl,
    report,
    updatedAt: new Date().toISOString(),
  };
}
