/**
 * The PyTorch side of the bench: finds a Python that can `import torch`, writes the bench's MNIST
 * samples (raw float32 files) and SNIPS batches (raw int32 files, bench/text-data.ts) to a temp folder,
 * and runs bench/torch_bench.py, which times every (model, method, thread setting) in its own process
 * and prints one JSON line.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Dataset } from '../src/data/types.js';
import type { BenchMethod, BenchModelName } from './spec.js';
import { writeTextTorchData, type TextBenchData } from './text-data.js';

export const PYTORCH_MISSING = 'PyTorch reference not available (apt-get install -y python3-torch)';
/** Debian's python3-torch only *recommends* OpenBLAS; without it torch runs on the netlib reference BLAS. */
export const REFERENCE_BLAS_WARNING =
  'WARNING: PyTorch runs on the reference (netlib) BLAS, ~30x slower than OpenBLAS, so the ratios flatter mtljs: apt-get install -y libopenblas0';

export interface PythonInfo {
  python: string;
  torch: string;
}

/**
 * The first interpreter that imports torch: $MTL_PYTHON when set (only that one), else `python3` on
 * PATH, then the Debian interpreter /usr/bin/python3 (PATH's python3 may be a pyenv build that does not
 * see Debian's python3-torch). Returns the reasons for each failure otherwise.
 */
export function findTorchPython(): PythonInfo | { error: string } {
  const override = process.env.MTL_PYTHON;
  const candidates = override ? [override] : ['python3', '/usr/bin/python3'];
  const failures: string[] = [];
  for (const python of [...new Set(candidates)]) {
    const r = spawnSync(python, ['-c', 'import torch, sys; print(torch.__version__)'], { encoding: 'utf8', timeout: 120_000 });
    if (r.status === 0) return { python, torch: r.stdout.trim() };
    const why = r.error ? r.error.message : (r.stderr || '').trim().split('\n').at(-1) || `exit ${r.status}`;
    failures.push(`${python}: ${why}`);
  }
  return { error: failures.join('; ') };
}

/**
 * Writes the data torch_bench.py reads into a new temp folder and returns it (the caller removes it):
 * the MNIST samples as meta.json, x.f32, digit.f32, box.f32 (image models), and the SNIPS batches in
 * snips/ (text models: bench/text-data.ts writeTextTorchData). Either may be left out.
 */
export function writeTorchData(data: { mnist?: Dataset; snips?: TextBenchData }): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mtljs-bench-'));
  try {
    if (data.mnist) writeMnist(dir, data.mnist);
    if (data.snips) writeTextTorchData(path.join(dir, 'snips'), data.snips);
  } catch (e) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  return dir;
}

function writeMnist(dir: string, data: Dataset): void {
  const rowSize = data.inputShape.reduce((a, b) => a * b, 1);
  if (rowSize !== 784) throw new Error(`torch data must be 784 values a sample, got ${rowSize}`);
  const write = (name: string, a: Float32Array) => fs.writeFileSync(path.join(dir, name), Buffer.from(a.buffer, a.byteOffset, a.byteLength));
  write('x.f32', data.x.subarray(0, data.n * 784));
  write('digit.f32', data.labels.digit.subarray(0, data.n));
  write('box.f32', data.labels.box.subarray(0, data.n * 4));
  fs.writeFileSync(path.join(dir, 'meta.json'), JSON.stringify({ n: data.n }));
}

export interface TorchTrial {
  threads: string;
  method?: BenchMethod;
  numThreads?: number;
  stepsPerSec: number | null;
  steps?: number;
  seconds?: number;
  peakRssMB?: number;
  firstLoss?: number;
  lastLoss?: number;
  error?: string;
}

export interface TorchModelResult {
  stepsPerSec: number | null;
  /** The winning setting: 'default' (torch's own) or a set_num_threads value. */
  threads: string | null;
  /** torch.get_num_threads() under the winning setting. */
  numThreads: number | null;
  peakRssMB: number | null;
  /** Summed task loss of the winning setting's first step (before any update) and after its last step. */
  firstLoss?: number | null;
  lastLoss?: number | null;
  trials: TorchTrial[];
}

export interface TorchResult {
  torch: string;
  python: string;
  /** The BLAS torch's process mapped: 'openblas', 'mkl', 'blis', 'reference' (netlib: very slow), 'unknown'. */
  blas: string | null;
  /** `ew-best`: methods other than ew were timed at ew's winning thread setting only; `all`: every setting. */
  methodThreads?: 'ew-best' | 'all';
  /** Timed seconds per setting of the methods other than ew. */
  methodSeconds?: number;
  models: Partial<Record<BenchModelName, Partial<Record<BenchMethod, TorchModelResult>>>>;
}

export interface TorchBenchOptions {
  models: BenchModelName[];
  methods: BenchMethod[];
  /** Timed seconds per thread setting of ew (and of the other methods unless methodSeconds is set). */
  seconds: number;
  methodSeconds?: number;
  /** Folder from writeTorchData; null: the script's random data. */
  dataDir: string | null;
  /** Thread settings, e.g. 'default,2,1'. */
  threads?: string;
  methodThreads?: 'ew-best' | 'all';
}

export function runTorchBench(python: string, options: TorchBenchOptions): TorchResult {
  const { models, methods, seconds, dataDir } = options;
  const threads = options.threads ?? 'default,2,1';
  const methodThreads = options.methodThreads ?? 'ew-best';
  const methodSeconds = options.methodSeconds ?? seconds;
  const script = fileURLToPath(new URL('./torch_bench.py', import.meta.url));
  const args = [
    script, '--models', models.join(','), '--methods', methods.join(','), '--seconds', String(seconds),
    '--method-seconds', String(methodSeconds), '--threads', threads, '--method-threads', methodThreads,
  ];
  if (dataDir) args.push('--data', dataDir);
  // Every trial: interpreter + torch import, warm-up (≤ half the budget), the timed budget; generous, and
  // counting every setting for every method (ew-best falls back to all settings when ew fails).
  const settings = threads.split(',').length;
  const others = methods.filter((m) => m !== 'ew').length;
  const perModel = settings * ((methods.includes('ew') ? seconds * 1.5 + 60 : 0) + others * (methodSeconds * 1.5 + 60));
  const timeout = Math.ceil(models.length * perModel * 1000);
  const r = spawnSync(python, args, { encoding: 'utf8', timeout, maxBuffer: 16 * 1024 * 1024 });
  if (r.error) throw new Error(`${python} ${path.basename(script)}: ${r.error.message}`);
  if (r.status !== 0) {
    throw new Error(`${path.basename(script)} exited with ${r.status}: ${(r.stderr || r.stdout).trim().split('\n').slice(-3).join(' / ')}`);
  }
  const line = r.stdout.trim().split('\n').reverse().find((l) => l.trim().startsWith('{'));
  if (!line) throw new Error(`${path.basename(script)} printed no JSON line`);
  return JSON.parse(line) as TorchResult;
}
