/**
 * What the studio page and its Web Worker say to each other (postMessage), and the limits both enforce.
 * The page owns the screen, the worker owns the data and the models: the table is parsed, encoded and
 * trained in the worker, so the page stays responsive while an epoch runs, and nothing leaves the
 * browser (no request carries the user's rows; the page only fetches its own files).
 *
 * Types only, plus the limits: imported by both bundles (./page.ts, ./worker.ts) and by Node (the CLI's
 * message for a table that is too large names the same numbers).
 */
import type { HistoryRecord } from '../dashboard/state.js';
import type { Report } from '../eval/report.js';
import type { RawRecord } from '../data/types.js';
import type { TaskAnswer } from '../browser/format.js';
import type { StudioConfig } from './config.js';

/**
 * A table the page takes: the file's bytes, and its rows once parsed. The worker holds the parsed table
 * (cells as strings, ~10× the file's size) and its encoded copy (rows × input width × 4 bytes) in memory,
 * so a larger file belongs to `mtl train` with `stream: true`, which reads it from disk a pass at a time.
 */
export const STUDIO_LIMITS = { maxBytes: 100 * 1024 * 1024, maxRows: 1_000_000 } as const;

export type StudioLimits = { maxBytes: number; maxRows: number };

/** The command a table over the limits should use instead (the message names it). */
export function streamingHint(file: string): string {
  const name = /^[\w.-]+$/.test(file) ? file : JSON.stringify(file);
  return `train it from the command line, streamed from disk: npx mtl train config.yaml with data: { dataset: csv, train: ${name}, stream: true, targets: [...] } (see the README, "Tables larger than memory")`;
}

export type TableFormat = 'csv' | 'tsv' | 'jsonl' | 'arff';

/** One column of the loaded table, as the page shows it. */
export interface ColumnInfo {
  name: string;
  /** The type `features: all` infers (src/data/own-table.ts) from up to 10,000 rows. */
  type: 'numeric' | 'categorical' | 'empty';
  /** Every non-missing value reads as a finite number. */
  allNumbers: boolean;
  /** Distinct non-missing values, counted up to DISTINCT_CAP (then `distinctCapped`). */
  distinct: number;
  distinctCapped: boolean;
  missing: number;
  /** The most frequent values (up to 50), most frequent first, for the positive-class and try-it pickers. */
  top: string[];
}

export const DISTINCT_CAP = 1000;

export interface TableSummary {
  name: string;
  format: TableFormat;
  rows: number;
  columns: ColumnInfo[];
  /** A few rows as records (the try-it form starts from one). */
  sample: RawRecord[];
}

/** Which backend the worker uses, and why the better ones were passed over. */
export interface BackendInfo {
  name: string;
  tried: { name: string; ok: boolean; why?: string }[];
  /** The page is cross-origin isolated: Stop acts within a step, wasm may use threads. */
  isolated: boolean;
}

/** What the page's pickers offer, from the worker's registries (the page bundle holds no model code). */
export interface Methods {
  architectures: string[];
  weightings: string[];
  aggregators: string[];
}

export interface TaskInfo {
  name: string;
  kind: string;
  primary: string;
  higherIsBetter: boolean;
}

/** The model folder as files: what `mtl serve`, loadSavedModel and the browser runtime read. */
export interface ModelFiles {
  'model.json': string;
  'weights.bin': ArrayBuffer;
  'manifest.json': string;
}

/**
 * A run the worker keeps after a Stop (its models, optimizers and schedules): a 'resume' message
 * continues it, and it ends as the run that was never stopped would have. A new Train or another table
 * discards it.
 */
export interface Resumable {
  /** The epochs each model ('mtl', 'stl:<task>') has completed. */
  epochs: Record<string, number>;
  /** The epochs planned. */
  of: number;
  /** A Stop within an epoch (a cross-origin isolated page): that epoch's steps were undone (./epoch-start.ts). */
  undone?: { model: string; epoch: number; steps: number };
}

export type ToWorker =
  /** `backend`: try this one first (the page's ?backend= parameter); `stop`: the shared stop flag. */
  | { type: 'init'; stop?: SharedArrayBuffer; backend?: string }
  | { type: 'load'; name: string; text: string; maxRows: number }
  | { type: 'train'; config: StudioConfig }
  | { type: 'stop' }
  /** Continues the stopped run (the last 'done' had `resumable`). */
  | { type: 'resume' }
  | { type: 'predict'; row: RawRecord }
  /** Tests: an uncaught exception in the worker, as a bug would throw. */
  | { type: 'crash' };

export type FromWorker =
  | { type: 'ready'; backend: BackendInfo; methods: Methods }
  | { type: 'table'; summary: TableSummary }
  | { type: 'started'; tasks: TaskInfo[]; models: string[]; rows: { train: number; val: number; test: number }; inputWidth: number; features: string[]; epochs: number }
  | { type: 'progress'; model: string; epoch: number; epochs: number; step: number; steps: number }
  | { type: 'epoch'; model: string; record: HistoryRecord; rowsPerSecond: number }
  | { type: 'stopping' }
  /** A 'resume' was taken: training goes on from these epochs. */
  | { type: 'resumed'; epochs: Record<string, number> }
  /** The run ended or was stopped: the models as they are, tested. `resumable`: kept in the worker, a 'resume' continues it. */
  | { type: 'done'; report: Report; files: ModelFiles; stopped: boolean; rowsPerSecond: number; testRows: RawRecord[]; resumable: Resumable | null }
  | { type: 'prediction'; row: RawRecord; outputs: Record<string, number[]>; answers: Record<string, TaskAnswer> }
  | { type: 'error'; during: 'init' | 'load' | 'train' | 'predict'; message: string; limit?: boolean };
