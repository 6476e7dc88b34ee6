/**
 * `npm run bench`: training steps/s of two multi-task models (bench/spec.ts) with mtljs and with a
 * PyTorch script of the same models (bench/torch_bench.py), in one run, on the same MNIST samples, for
 * each training method (bench/spec.ts BENCH_METHODS: ew, pcgrad, pcgrad@rep).
 *
 *   npm run bench [-- --json] [--seconds N] [--torch-seconds N] [--backend wasm|cpu|tensorflow]
 *                 [--models mlp,cnn] [--methods ew,pcgrad,pcgrad@rep] [--samples N]
 *                 [--torch-threads default,2,1] [--torch-method-threads ew-best|all]
 *
 * Prints a table, one row per (model, method): mtljs steps/s | PyTorch steps/s (threads) | ratio |
 * step time vs the model's EW on each side | peak RSS. With --json the LAST stdout line is
 * {"mlp":{"ew":{"mtljs":sps,"pytorch":sps|null,"ratio":r|null,...},"pcgrad":{...},...},"cnn":{...},
 *  "backend":...,...}. Progress goes to stderr.
 *
 * PyTorch times ew at every --torch-threads setting and, by default (--torch-method-threads ew-best),
 * the other methods only at the setting that won ew for that model (the same threads on both sides of
 * its step-time ratio, and a third of the trials); `all` tries every setting for every method.
 */
import fs from 'node:fs';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { initBackend } from '../src/engine/backend.js';
import { loadMnist } from '../src/data/loaders/mnist.js';
import type { Dataset } from '../src/data/types.js';
import { measureMtljs, type MeasureResult } from './mtljs.js';
import { findTorchPython, PYTORCH_MISSING, REFERENCE_BLAS_WARNING, runTorchBench, writeTorchData, type TorchModelResult, type TorchResult } from './pytorch.js';
import {
  BENCH_METHOD_DESCRIBE, BENCH_METHODS, BENCH_MODELS, BENCH_SPECS, parseChoiceList, type BenchMethod, type BenchModel,
} from './spec.js';

const USAGE = `usage: npm run bench -- [--json] [--seconds N] [--torch-seconds N] [--backend wasm|cpu|tensorflow]
                       [--models mlp,cnn] [--methods ew,pcgrad,pcgrad@rep] [--samples N]
                       [--torch-threads default,2,1] [--torch-method-threads ew-best|all]`;

interface Args {
  json: boolean;
  seconds: number;
  torchSeconds: number;
  backend?: string;
  models: BenchModel[];
  methods: BenchMethod[];
  samples: number;
  torchThreads: string;
  torchMethodThreads: 'ew-best' | 'all';
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
      methods: { type: 'string' },
      samples: { type: 'string' },
      'torch-threads': { type: 'string' },
      'torch-method-threads': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const seconds = positive('seconds', values.seconds, 8);
  const models = parseChoiceList('models', values.models ?? BENCH_MODELS.join(','), BENCH_MODELS);
  const methods = parseChoiceList('methods', values.methods ?? BENCH_METHODS.join(','), BENCH_METHODS);
  const torchMethodThreads = values['torch-method-threads'] ?? 'ew-best';
  if (torchMethodThreads !== 'ew-best' && torchMethodThreads !== 'all') {
    throw new Error(`--torch-method-threads: ew-best or all, got "${torchMethodThreads}"`);
  }
  const torchThreads = values['torch-threads'] ?? 'default,2,1';
  if (!/^(default|\d+)(,(default|\d+))*$/.test(torchThreads)) throw new Error(`--torch-threads: a list like default,2,1, got "${torchThreads}"`);
  return {
    json: values.json ?? false,
    seconds,
    // Each PyTorch thread setting gets half the mtljs budget (three settings per model).
    torchSeconds: positive('torch-seconds', values['torch-seconds'], Math.max(1, seconds / 2)),
    backend: values.backend,
    models,
    methods,
    samples: Math.floor(positive('samples', values.samples, 4096)),
    torchThreads,
    torchMethodThreads,
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

/** Step-time ratio to EW on one side: sps(ew) / sps(method), so 1.5× means a step costs 1.5 EW steps. */
function vsEw(ew: number | null | undefined, sps: number | null | undefined): number | null {
  return ew != null && sps != null && sps > 0 ? ew / sps : null;
}

interface Row {
  model: BenchModel;
  method: BenchMethod;
  mtljs: MeasureResult | null;
  mtljsError?: string;
  torch: TorchModelResult | null;
  torchError?: string;
}

async function main(): Promise<void> {
  const args = parse(process.argv.slice(2));
  const rows: Row[] = args.models.flatMap((model) => args.methods.map((method) => ({ model, method, mtljs: null, torch: null })));
  const rowOf = (model: BenchModel, method: BenchMethod) => rows.find((r) => r.model === model && r.method === method);
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

  if (backend && rows.length) {
    // The first measurement would otherwise pay the process's own warm-up (JIT, wasm heap growth,
    // the native thread pool) alone: one untimed second of the first model first.
    log('process warm-up (1 s, not reported)');
    try {
      measureMtljs({ model: rows[0]!.model, method: 'ew', data: byModel[rows[0]!.model], seconds: 1 });
    } catch {
      // the row itself reports the error
    }
  }
  if (backend) {
    for (const row of rows) {
      const label = `${row.model} ${row.method}`;
      log(`mtljs ${label} on ${backend}: ${args.seconds} s`);
      try {
        row.mtljs = measureMtljs({ model: row.model, method: row.method, data: byModel[row.model], seconds: args.seconds });
        const m = row.mtljs;
        log(`  ${fmtSps(m.stepsPerSec)} steps/s (${m.steps} steps in ${m.seconds.toFixed(1)} s after ${m.warmupSteps} warm-up steps; loss ${m.lastLoss.toFixed(3)})`);
        if (m.tensorsEnd > m.tensorsStart) {
          const w = `WARNING: mtljs ${label}: tf.memory().numTensors grew from ${m.tensorsStart} to ${m.tensorsEnd} during the timed loop (a leak)`;
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
  const nonEw = args.methods.filter((m) => m !== 'ew');
  const torchPolicy = !nonEw.length ? ''
    : args.torchMethodThreads === 'all' || !args.methods.includes('ew') ? `; ${nonEw.join(', ')} at every setting`
      : `; ${nonEw.join(', ')} only at ew's best setting per model`;
  if ('error' in py) {
    notes.push(PYTORCH_MISSING);
    log(`${PYTORCH_MISSING}: ${py.error}`);
    rows.forEach((r) => { r.torchError = 'not available'; });
  } else {
    log(`PyTorch ${py.torch} (${py.python}): ${args.torchSeconds} s per thread setting (${args.torchThreads}) per model and method${torchPolicy}`);
    const dir = writeTorchData(flat);
    try {
      torchInfo = runTorchBench(py.python, {
        models: args.models, methods: args.methods, seconds: args.torchSeconds, dataDir: dir,
        threads: args.torchThreads, methodThreads: args.torchMethodThreads,
      });
      if (torchInfo.blas === 'reference') {
        notes.push(REFERENCE_BLAS_WARNING);
        log(REFERENCE_BLAS_WARNING);
      }
      for (const row of rows) {
        const t = torchInfo.models[row.model]?.[row.method];
        row.torch = t ?? null;
        if (!t || t.stepsPerSec == null) row.torchError = t?.trials.map((x) => x.error).filter(Boolean).join('; ') || 'no result';
        if (t) {
          log(`  ${row.model} ${row.method}: ${t.trials.map((x) => `${x.threads}: ${x.stepsPerSec == null ? `failed (${x.error})` : fmtSps(x.stepsPerSec)}`).join(', ')} steps/s${t.lastLoss != null ? ` (loss ${t.lastLoss.toFixed(3)})` : ''}`);
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
  out.push(`mtljs bench: backend ${backend ?? 'none'}, ${args.seconds} s timed per model and method (PyTorch ${torchInfo ? `${torchInfo.torch}, ${torchInfo.blas ?? 'unknown'} BLAS` : 'n/a'}: ${args.torchSeconds} s per thread setting, best shown${torchPolicy}), ${os.cpus().length} CPUs, ${flat.n} MNIST samples`);
  out.push('');
  out.push('| model | method | mtljs steps/s | PyTorch steps/s (threads) | ratio (mtljs/PyTorch) | peak RSS mtljs / PyTorch |');
  out.push('|---|---|---|---|---|---|');
  const json: Record<string, unknown> = {};
  for (const row of rows) {
    const m = row.mtljs?.stepsPerSec ?? null;
    const t = row.torch?.stepsPerSec ?? null;
    const ratio = m != null && t != null ? m / t : null;
    const ew = rowOf(row.model, 'ew');
    const mVsEw = vsEw(ew?.mtljs?.stepsPerSec, m);
    const tVsEw = vsEw(ew?.torch?.stepsPerSec, t);
    const mCell = m != null ? fmtSps(m) : `— (${row.mtljsError ?? 'not run'})`;
    const tCell = t != null ? `${fmtSps(t)} (${threadsLabel(row.torch!)})` : `— (${row.torchError ?? 'not run'})`;
    const rss = `${row.mtljs ? `${row.mtljs.peakRssMB.toFixed(0)} MB` : '—'} / ${row.torch?.peakRssMB != null ? `${row.torch.peakRssMB.toFixed(0)} MB` : '—'}`;
    out.push(`| ${row.model} | ${row.method} | ${mCell} | ${tCell} | ${fmtRatio(ratio)} | ${rss} |`);
    const perModel = (json[row.model] ??= {}) as Record<string, unknown>;
    perModel[row.method] = {
      mtljs: m,
      pytorch: t,
      ratio,
      mtljsStepTimeVsEw: mVsEw,
      pytorchStepTimeVsEw: tVsEw,
      pytorchThreads: row.torch?.threads == null ? null : row.torch.threads === 'default' ? 'default' : Number(row.torch.threads),
      pytorchNumThreads: row.torch?.numThreads ?? null,
      pytorchTrials: row.torch ? Object.fromEntries(row.torch.trials.map((x) => [x.threads, x.stepsPerSec])) : null,
      rssMB: row.mtljs ? Math.round(row.mtljs.peakRssMB) : null,
      pytorchRssMB: row.torch?.peakRssMB != null ? Math.round(row.torch.peakRssMB) : null,
      steps: row.mtljs?.steps ?? null,
      rssTimedLoopMB: row.mtljs ? [Math.round(row.mtljs.rssStartMB), Math.round(row.mtljs.rssEndMB)] : null,
      tensorGrowth: row.mtljs ? row.mtljs.tensorsEnd - row.mtljs.tensorsStart : null,
      mtljsLoss: row.mtljs?.lastLoss ?? null,
      pytorchLoss: row.torch?.lastLoss ?? null,
      batchSize: BENCH_SPECS[row.model].batchSize,
      ...(row.mtljsError ? { mtljsError: row.mtljsError } : {}),
      ...(row.torchError ? { pytorchError: row.torchError } : {}),
    };
  }
  out.push('');
  // Per model, each method's step time in EW steps on each side (steps/s of EW / steps/s of the method).
  const costLines: string[] = [];
  for (const model of args.models) {
    const ew = rowOf(model, 'ew');
    for (const method of args.methods.filter((m) => m !== 'ew')) {
      const r = rowOf(model, method)!;
      costLines.push(`  ${model} ${method}: mtljs ${fmtRatio(vsEw(ew?.mtljs?.stepsPerSec, r.mtljs?.stepsPerSec))} EW, PyTorch ${fmtRatio(vsEw(ew?.torch?.stepsPerSec, r.torch?.stepsPerSec))} EW`);
    }
  }
  if (costLines.length && args.methods.includes('ew')) {
    out.push('step time relative to the same model\'s EW, each side against itself (PyTorch: each at its best thread setting shown):');
    out.push(...costLines);
    out.push('');
  }
  for (const model of args.models) out.push(`${model}: ${BENCH_SPECS[model].describe}`);
  for (const method of args.methods) out.push(`${method}: ${BENCH_METHOD_DESCRIBE[method]}`);
  const growth = rows.filter((r) => r.mtljs).map((r) => `${r.model} ${r.method} ${r.mtljs!.rssStartMB.toFixed(0)} → ${r.mtljs!.rssEndMB.toFixed(0)} MB (${r.mtljs!.steps} steps)`);
  if (growth.length) out.push(`mtljs RSS from the start to the end of each timed loop: ${growth.join('; ')}`);
  out.push('peak RSS: mtljs = the whole Node process (all models and methods so far, data included) sampled every step; PyTorch = the best setting\'s own process (ru_maxrss)');
  for (const n of notes) out.push(n);
  console.log(out.join('\n'));
  if (args.json) {
    json.backend = backend;
    json.methods = args.methods;
    json.seconds = args.seconds;
    json.torchSeconds = args.torchSeconds;
    json.torchMethodThreads = args.torchMethodThreads;
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
