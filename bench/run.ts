/**
 * `npm run bench`: training steps/s of two multi-task models (bench/spec.ts) with mtljs and with a
 * PyTorch script of the same models (bench/torch_bench.py), in one run, on the same MNIST samples.
 *
 *   npm run bench [-- --json] [--seconds N] [--torch-seconds N] [--backend wasm|cpu|tensorflow]
 *                 [--models mlp,cnn] [--samples N] [--torch-threads default,2,1]
 *
 * Prints a table (model | mtljs steps/s | PyTorch steps/s (threads) | ratio | peak RSS); with --json the
 * LAST stdout line is {"mlp":{"mtljs":sps,"pytorch":sps|null,"ratio":r|null,...},"cnn":{...},...}.
 * Progress goes to stderr.
 */
import fs from 'node:fs';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { initBackend } from '../src/engine/backend.js';
import { loadMnist } from '../src/data/loaders/mnist.js';
import type { Dataset } from '../src/data/types.js';
import { measureMtljs, type MeasureResult } from './mtljs.js';
import { findTorchPython, PYTORCH_MISSING, REFERENCE_BLAS_WARNING, runTorchBench, writeTorchData, type TorchModelResult, type TorchResult } from './pytorch.js';
import { BENCH_MODELS, BENCH_SPECS, isBenchModel, type BenchModel } from './spec.js';

const USAGE = `usage: npm run bench -- [--json] [--seconds N] [--torch-seconds N] [--backend wasm|cpu|tensorflow]
                       [--models mlp,cnn] [--samples N] [--torch-threads default,2,1]`;

interface Args {
  json: boolean;
  seconds: number;
  torchSeconds: number;
  backend?: string;
  models: BenchModel[];
  samples: number;
  torchThreads: string;
}

function positive(name: string, v: string | undefined, fallback: number): number {
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive number, got "${v}"`);
  return n;
}

function parse(argv: string[]): Args {
  const { values } = parseArgs({
    args: argv,
    options: {
      json: { type: 'boolean', default: false },
      seconds: { type: 'string' },
      'torch-seconds': { type: 'string' },
      backend: { type: 'string' },
      models: { type: 'string' },
      samples: { type: 'string' },
      'torch-threads': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const seconds = positive('seconds', values.seconds, 8);
  const models = (values.models ?? BENCH_MODELS.join(',')).split(',').map((m) => m.trim()).filter(Boolean);
  for (const m of models) if (!isBenchModel(m)) throw new Error(`unknown model "${m}": choose from ${BENCH_MODELS.join(', ')}`);
  const torchThreads = values['torch-threads'] ?? 'default,2,1';
  if (!/^(default|\d+)(,(default|\d+))*$/.test(torchThreads)) throw new Error(`--torch-threads: a list like default,2,1, got "${torchThreads}"`);
  return {
    json: values.json ?? false,
    seconds,
    // Each PyTorch thread setting gets half the mtljs budget (three settings per model).
    torchSeconds: positive('torch-seconds', values['torch-seconds'], Math.max(1, seconds / 2)),
    backend: values.backend,
    models: [...new Set(models)] as BenchModel[],
    samples: Math.floor(positive('samples', values.samples, 4096)),
    torchThreads,
  };
}

const log = (msg: string) => process.stderr.write(`[bench] ${msg}\n`);
const errMsg = (e: unknown) => (e instanceof Error ? e.message : String(e)).split('\n')[0];

function fmtSps(v: number | null | undefined): string {
  if (v == null) return '—';
  return v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2);
}

function fmtRatio(v: number | null): string {
  if (v == null) return '—';
  return `${v >= 1 ? v.toFixed(2) : v.toPrecision(2)}×`;
}

function threadsLabel(t: TorchModelResult): string {
  if (t.threads == null) return '';
  return t.threads === 'default' ? `default = ${t.numThreads}` : `set_num_threads(${t.threads})`;
}

interface ModelRow {
  model: BenchModel;
  mtljs: MeasureResult | null;
  mtljsError?: string;
  torch: TorchModelResult | null;
  torchError?: string;
}

async function main(): Promise<void> {
  const args = parse(process.argv.slice(2));
  const rows: ModelRow[] = args.models.map((model) => ({ model, mtljs: null, torch: null }));
  const notes: string[] = [];
  // Other processes on the machine make every number here noisy; say so rather than hide it.
  const loadAtStart = os.loadavg()[0];
  if (loadAtStart > 0.5) {
    const w = `WARNING: the 1-minute load average was ${loadAtStart.toFixed(2)} when the bench started (${os.cpus().length} CPUs): other processes may be competing for the CPUs, so the numbers may be noisy`;
    notes.push(w);
    log(w);
  }

  // mtljs first, then PyTorch, never both at once (they would share the cores).
  let backend: string | null = null;
  try {
    backend = await initBackend(args.backend, log);
  } catch (e) {
    const why = `backend failed to start: ${errMsg(e)}`;
    notes.push(`mtljs: ${why}`);
    rows.forEach((r) => { r.mtljsError = why; });
  }

  log(`loading MNIST (${args.samples} training samples)`);
  const split = await loadMnist({ flatten: true, limit: args.samples });
  const flat: Dataset = split.train;
  const byModel: Record<BenchModel, Dataset> = { mlp: flat, cnn: { ...flat, inputShape: [28, 28, 1] } };

  if (backend) {
    for (const row of rows) {
      log(`mtljs ${row.model} on ${backend}: ${args.seconds} s`);
      try {
        row.mtljs = measureMtljs({ model: row.model, data: byModel[row.model], seconds: args.seconds });
        const m = row.mtljs;
        log(`  ${fmtSps(m.stepsPerSec)} steps/s (${m.steps} steps in ${m.seconds.toFixed(1)} s after ${m.warmupSteps} warm-up steps)`);
        if (m.tensorsEnd > m.tensorsStart) {
          const w = `WARNING: mtljs ${row.model}: tf.memory().numTensors grew from ${m.tensorsStart} to ${m.tensorsEnd} during the timed loop (a leak)`;
          notes.push(w);
          log(w);
        }
      } catch (e) {
        row.mtljsError = errMsg(e);
        log(`  failed: ${row.mtljsError}`);
      }
    }
  }

  let torchInfo: TorchResult | null = null;
  const py = findTorchPython();
  if ('error' in py) {
    notes.push(PYTORCH_MISSING);
    log(`${PYTORCH_MISSING}: ${py.error}`);
    rows.forEach((r) => { r.torchError = 'not available'; });
  } else {
    log(`PyTorch ${py.torch} (${py.python}): ${args.torchSeconds} s per thread setting (${args.torchThreads}) per model`);
    const dir = writeTorchData(flat);
    try {
      torchInfo = runTorchBench(py.python, args.models, args.torchSeconds, dir, args.torchThreads);
      if (torchInfo.blas === 'reference') {
        notes.push(REFERENCE_BLAS_WARNING);
        log(REFERENCE_BLAS_WARNING);
      }
      for (const row of rows) {
        const t = torchInfo.models[row.model];
        row.torch = t ?? null;
        if (!t || t.stepsPerSec == null) row.torchError = t?.trials.map((x) => x.error).filter(Boolean).join('; ') || 'no result';
        if (t) {
          log(`  ${row.model}: ${t.trials.map((x) => `${x.threads}: ${x.stepsPerSec == null ? `failed (${x.error})` : fmtSps(x.stepsPerSec)}`).join(', ')} steps/s`);
        }
      }
    } catch (e) {
      const why = errMsg(e);
      notes.push(`PyTorch reference failed: ${why}`);
      rows.forEach((r) => { r.torchError = why; });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }

  // The table.
  const out: string[] = [];
  out.push(`mtljs bench: backend ${backend ?? 'none'}, ${args.seconds} s timed per model (PyTorch ${torchInfo ? `${torchInfo.torch}, ${torchInfo.blas ?? 'unknown'} BLAS` : 'n/a'}: ${args.torchSeconds} s per thread setting, best shown), ${os.cpus().length} CPUs, ${flat.n} MNIST samples`);
  out.push('');
  out.push('| model | mtljs steps/s | PyTorch steps/s (threads) | ratio (mtljs/PyTorch) | peak RSS mtljs / PyTorch |');
  out.push('|---|---|---|---|---|');
  const json: Record<string, unknown> = {};
  for (const row of rows) {
    const m = row.mtljs?.stepsPerSec ?? null;
    const t = row.torch?.stepsPerSec ?? null;
    const ratio = m != null && t != null ? m / t : null;
    const mCell = m != null ? fmtSps(m) : `— (${row.mtljsError ?? 'not run'})`;
    const tCell = t != null ? `${fmtSps(t)} (${threadsLabel(row.torch!)})` : `— (${row.torchError ?? 'not run'})`;
    const rss = `${row.mtljs ? `${row.mtljs.peakRssMB.toFixed(0)} MB` : '—'} / ${row.torch?.peakRssMB != null ? `${row.torch.peakRssMB.toFixed(0)} MB` : '—'}`;
    out.push(`| ${row.model} | ${mCell} | ${tCell} | ${fmtRatio(ratio)} | ${rss} |`);
    json[row.model] = {
      mtljs: m,
      pytorch: t,
      ratio,
      pytorchThreads: row.torch?.threads == null ? null : row.torch.threads === 'default' ? 'default' : Number(row.torch.threads),
      pytorchNumThreads: row.torch?.numThreads ?? null,
      pytorchTrials: row.torch ? Object.fromEntries(row.torch.trials.map((x) => [x.threads, x.stepsPerSec])) : null,
      rssMB: row.mtljs ? Math.round(row.mtljs.peakRssMB) : null,
      pytorchRssMB: row.torch?.peakRssMB != null ? Math.round(row.torch.peakRssMB) : null,
      steps: row.mtljs?.steps ?? null,
      tensorGrowth: row.mtljs ? row.mtljs.tensorsEnd - row.mtljs.tensorsStart : null,
      batchSize: BENCH_SPECS[row.model].batchSize,
      ...(row.mtljsError ? { mtljsError: row.mtljsError } : {}),
      ...(row.torchError ? { pytorchError: row.torchError } : {}),
    };
  }
  out.push('');
  for (const model of args.models) out.push(`${model}: ${BENCH_SPECS[model].describe}`);
  out.push('peak RSS: mtljs = the whole Node process (both models, data included) sampled every step; PyTorch = the best setting\'s own process (ru_maxrss)');
  for (const n of notes) out.push(n);
  console.log(out.join('\n'));
  if (args.json) {
    json.backend = backend;
    json.seconds = args.seconds;
    json.torchSeconds = args.torchSeconds;
    json.torch = torchInfo?.torch ?? null;
    json.python = torchInfo?.python ?? null;
    json.pytorchBlas = torchInfo?.blas ?? null;
    json.cpus = os.cpus().length;
    json.loadAvg = [Number(loadAtStart.toFixed(2)), Number(os.loadavg()[0].toFixed(2))];
    json.samples = flat.n;
    console.log(JSON.stringify(json));
  }
}

main().then(
  // Exit explicitly: a threaded wasm backend keeps worker threads alive (DESIGN.md).
  () => process.exit(0),
  (e: unknown) => {
    console.error(`bench failed: ${e instanceof Error ? e.message : String(e)}`);
    console.error(USAGE);
    process.exit(1);
  },
);
