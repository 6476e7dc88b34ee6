/**
 * ILEA school exam scores (MALSAR's `school` benchmark): school/school_from_mat.csv, header
 * `task,x0..x27,y`, 15,362 pupils of 139 schools. Each school is one regression task (y = exam score,
 * 1..70). The 28 columns, as in Argyriou et al. 2008 / MALSAR:
 *   x0–x2   year of the exam (1985/86/87), one-hot          x3  % of pupils eligible for free school meals
 *   x4      % of pupils in VR band 1                          x5–x6  gender, one-hot
 *   x7–x9   VR band of the pupil (one-hot; all 0 when absent) x10–x20  ethnic group, one-hot (11)
 *   x21–x23 school gender, one-hot                            x24–x26  school denomination, one-hot
 *   x27     bias (the constant 1)
 * x3, x4 and x21–x26 are school-level: constant within a school (x3, x4 within a school and year).
 *
 * Split: for every school separately, a seeded `testFraction` (default 0.2) of its pupils is held out,
 * so every task has test pupils. Features are standardised with the mean and standard deviation of the
 * training pupils (of all schools, or of the schools `statsFrom` selects); a column that is constant in
 * those rows (x27) is left as it is, so the bias column stays 1.
 *
 * Two views of the same split:
 *  - `tasks`: plain per-school arrays {x (n × 28, row-major), y} in float64, for linear methods;
 *  - `split`: a mtljs DatasetSplit with one regression task per school (`school_000` … `school_138`);
 *    every row is labelled for its own school only (NaN elsewhere): multi-input data, to be trained
 *    with `batching: 'per-task'`. Labels are raw scores (the regression task standardises them).
 * The generic `limit` / `testLimit` options do not apply (the split is per school).
 */
import { parseCsv } from '../csv.js';
import { DataError } from '../errors.js';
import { shuffleIndices } from '../split.js';
import type { Dataset, DatasetSplit, TaskSpec } from '../types.js';
import { readDataFile, type LoadOptions } from './common.js';

export const SCHOOL_FILE = 'school/school_from_mat.csv';

export const SCHOOL_FEATURES: string[] = [
  'year_1985', 'year_1986', 'year_1987', 'fsm_pct', 'vr1_pct', 'gender_a', 'gender_b',
  'vr_band_1', 'vr_band_2', 'vr_band_3',
  ...Array.from({ length: 11 }, (_, i) => `ethnic_${i + 1}`),
  'school_gender_a', 'school_gender_b', 'school_gender_c',
  'school_denomination_a', 'school_denomination_b', 'school_denomination_c',
  'bias',
];

/** The raw file: one school id, 28 features and a score per pupil, in file order. */
export interface SchoolRaw {
  n: number;
  d: number;
  school: Int32Array;
  x: Float64Array;
  y: Float64Array;
}

/** Pupils of one school in one split: x is n × d row-major. */
export interface SchoolArrays {
  n: number;
  x: Float64Array;
  y: Float64Array;
}

export interface SchoolTask {
  /** Task name in the Dataset view, e.g. `school_007`. */
  name: string;
  /** School id from the file (0-based). */
  school: number;
  train: SchoolArrays;
  test: SchoolArrays;
}

export interface SchoolData {
  d: number;
  featureNames: string[];
  tasks: SchoolTask[];
  /** Standardisation of the features (constant columns: mean 0, std 1, i.e. left as they are). */
  featureMean: number[];
  featureStd: number[];
  /** Mean and standard deviation of the training scores of the schools in the statistics. */
  yMean: number;
  yStd: number;
  /** The multi-input Dataset view (one regression task per school). */
  split: DatasetSplit;
}

export interface SchoolOptions extends LoadOptions {
  /** Share of each school's pupils held out for testing (default 0.2). */
  testFraction?: number;
  /** Which schools' training pupils the feature/target statistics come from (default: all). */
  statsFrom?: (school: number) => boolean;
}

export function parseSchool(text: string, source = 'school_from_mat.csv'): SchoolRaw {
  const csv = parseCsv(text, { header: true, source });
  const cols = csv.columns!;
  if (cols[0] !== 'task' || cols[cols.length - 1] !== 'y') throw new DataError(`expected columns task,x0..,y; found ${cols.slice(0, 3).join(',')}…`, source);
  const d = cols.length - 2;
  const n = csv.rows.length;
  const school = new Int32Array(n), x = new Float64Array(n * d), y = new Float64Array(n);
  csv.rows.forEach((row, i) => {
    const vals = row.map(Number);
    if (vals.some((v) => !Number.isFinite(v))) throw new DataError('non-numeric cell', source, csv.lines[i]);
    if (!Number.isInteger(vals[0]) || vals[0]! < 0) throw new DataError(`task id must be a non-negative integer, found ${row[0]}`, source, csv.lines[i]);
    school[i] = vals[0]!;
    for (let j = 0; j < d; j++) x[i * d + j] = vals[j + 1]!;
    y[i] = vals[d + 1]!;
  });
  return { n, d, school, x, y };
}

export async function readSchool(dataDir?: string): Promise<SchoolRaw> {
  return parseSchool(await readDataFile(SCHOOL_FILE, dataDir));
}

/** Pupil indices per school (ascending school id), then per school a seeded train/test split. */
export function splitPerSchool(raw: SchoolRaw, testFraction: number, seed: number): { school: number; train: number[]; test: number[] }[] {
  if (!(testFraction > 0 && testFraction < 1)) throw new Error(`testFraction must be in (0, 1), got ${testFraction}`);
  const bySchool = new Map<number, number[]>();
  for (let i = 0; i < raw.n; i++) {
    const s = raw.school[i]!;
    if (!bySchool.has(s)) bySchool.set(s, []);
    bySchool.get(s)!.push(i);
  }
  return [...bySchool.keys()].sort((a, b) => a - b).map((s) => {
    const rows = bySchool.get(s)!;
    const perm = shuffleIndices(rows.length, seed * 1_000_003 + s * 7919 + 1);
    // At least one test and one training pupil per school.
    const nTest = Math.min(rows.length - 1, Math.max(1, Math.round(rows.length * testFraction)));
    const test = perm.slice(0, nTest).map((k) => rows[k]!).sort((a, b) => a - b);
    const train = perm.slice(nTest).map((k) => rows[k]!).sort((a, b) => a - b);
    return { school: s, train, test };
  });
}

function gather(raw: SchoolRaw, rows: number[], mean: number[], std: number[]): SchoolArrays {
  const d = raw.d, x = new Float64Array(rows.length * d), y = new Float64Array(rows.length);
  rows.forEach((r, i) => {
    for (let j = 0; j < d; j++) x[i * d + j] = (raw.x[r * d + j]! - mean[j]!) / std[j]!;
    y[i] = raw.y[r]!;
  });
  return { n: rows.length, x, y };
}

export function taskName(school: number): string {
  return `school_${String(school).padStart(3, '0')}`;
}

/** The multi-input Dataset of the given pupils (tasks in `tasks` order; NaN labels off-school). */
function toDataset(name: string, tasks: SchoolTask[], part: 'train' | 'test', d: number): Dataset {
  const n = tasks.reduce((s, t) => s + t[part].n, 0);
  const x = new Float32Array(n * d);
  const specs: TaskSpec[] = tasks.map((t) => ({ name: t.name, kind: 'regression', width: 1, outputSize: 1, labelNames: ['score'] }));
  const labels: Record<string, Float32Array> = {};
  for (const t of tasks) labels[t.name] = new Float32Array(n).fill(NaN);
  let row = 0;
  for (const t of tasks) {
    const a = t[part];
    x.set(a.x, row * d);
    const lab = labels[t.name]!;
    for (let i = 0; i < a.n; i++) lab[row + i] = a.y[i]!;
    row += a.n;
  }
  return { name, inputShape: [d], n, x, tasks: specs, labels };
}

/** Split + standardisation + both views, from the parsed file. */
export function buildSchool(raw: SchoolRaw, options: Omit<SchoolOptions, 'dataDir'> = {}): SchoolData {
  const seed = options.seed ?? 0;
  const parts = splitPerSchool(raw, options.testFraction ?? 0.2, seed);
  const d = raw.d;
  const statsRows = parts.filter((p) => !options.statsFrom || options.statsFrom(p.school)).flatMap((p) => p.train);
  if (statsRows.length === 0) throw new Error('school: statsFrom selects no school');
  const mean = new Array<number>(d).fill(0), std = new Array<number>(d).fill(0);
  let ySum = 0, ySq = 0;
  for (const r of statsRows) {
    for (let j = 0; j < d; j++) mean[j] += raw.x[r * d + j]!;
    ySum += raw.y[r]!;
  }
  for (let j = 0; j < d; j++) mean[j] /= statsRows.length;
  const yMean = ySum / statsRows.length;
  for (const r of statsRows) {
    for (let j = 0; j < d; j++) std[j] += (raw.x[r * d + j]! - mean[j]!) ** 2;
    ySq += (raw.y[r]! - yMean) ** 2;
  }
  for (let j = 0; j < d; j++) {
    const s = Math.sqrt(std[j]! / statsRows.length);
    // A constant column (the bias) is kept as it is rather than turned into 0/0.
    if (s > 1e-12 * Math.max(1, Math.abs(mean[j]!))) std[j] = s;
    else { mean[j] = 0; std[j] = 1; }
  }
  const tasks: SchoolTask[] = parts.map((p) => ({
    name: taskName(p.school), school: p.school,
    train: gather(raw, p.train, mean, std), test: gather(raw, p.test, mean, std),
  }));
  const featureNames = d === SCHOOL_FEATURES.length ? [...SCHOOL_FEATURES] : Array.from({ length: d }, (_, j) => `x${j}`);
  const split: DatasetSplit = {
    train: toDataset('school', tasks, 'train', d),
    test: toDataset('school-test', tasks, 'test', d),
    preprocessing: { features: featureNames.map((column, j) => ({ column, type: 'numeric' as const, mean: mean[j]!, std: std[j]! })), inputSize: d },
  };
  return { d, featureNames, tasks, featureMean: mean, featureStd: std, yMean, yStd: Math.sqrt(ySq / statsRows.length), split };
}

/** Reads and prepares the school data (see the file header). */
export async function loadSchool(options: SchoolOptions = {}): Promise<SchoolData> {
  return buildSchool(await readSchool(options.dataDir), options);
}

/** The Dataset view only (the `school` entry of the dataset registry). */
export async function loadSchoolSplit(options: LoadOptions = {}): Promise<DatasetSplit> {
  return (await loadSchool(options)).split;
}
