/**
 * `npm run bench`: training speed of four multi-task models (bench/spec.ts) with mtljs and with a
 * PyTorch script of the same models (bench/torch_bench.py), in one run, on the same data, for each
 * training method (bench/spec.ts BENCH_METHODS: ew, pcgrad, pcgrad@rep):
 *   - mlp, cnn: MNIST digit class + box (figures in training steps/s);
 *   - text_bigru, text_transformer: SNIPS intent + slots, the `mtl agent` joint model with a BiGRU or a
 *     Transformer encoder (figures in sentences/s = steps/s × 64; both sides train on the same seeded
 *     batches of the SNIPS training split in the same order, bench/text-data.ts, each cut to its longest
 *     sentence).
 *
 *   npm run bench [-- --json] [--seconds N] [--torch-seconds N] [--backend wasm|cpu|tensorflow]
 *                 [--models mlp,cnn,text_bigru,text_transformer] [--methods ew,pcgrad,pcgrad@rep]
 *                 [--samples N] [--sentences N] [--torch-threads default,2,1] [--torch-method-threads ew-best|all]
 *                 [--repeats N]
 *
 * Without --methods, the image models run ew, pcgrad and pcgrad@rep and the text models ew only;
 * --methods applies the methods given to every model (both sides implement them for the text models too).
 * Each mtljs row runs in its own Node process (bench/row-process.ts), as each PyTorch setting does, so
 * both peak RSS columns are one model's training; --in-process runs them all in the bench's process.
 * --samples: MNIST training samples (default 4096); --sentences: at most this many SNIPS training
 * sentences, in full batches of 64 (default: all 13,084 → 204 batches).
 *
 * Prints a table, one row per (model, method): unit | mtljs | PyTorch (threads) | ratio | step time vs
 * the model's EW on each side | peak RSS. With --json the LAST stdout line is
 * {"mlp":{"ew":{"mtljs":r,"pytorch":r|null,"ratio":x|null,"unit":"steps/s",...},"pcgrad":{...},...},
 *  "cnn":{...},"text_bigru":{"ew":{"mtljs":r,...,"unit":"sentences/s",...}},"text_transformer":{...},
 *  "backend":...,...}, r in the row's unit. Progress goes to stderr.
 *
 * PyTorch times ew at every --torch-threads setting and, by default (--torch-method-threads ew-best),
 * the other methods only at the setting that won ew for that model (the same threads on both sides of
 * its step-time ratio, and a third of the trials); `all` tries every setting for every method.
 *
 * --repeats N: the whole measurement N times, the two sides taking turns (mtljs rows, PyTorch, mtljs rows,
 * …), and each figure the median run of its row (the lower middle for even N: a real run, whose steps, RSS
 * and losses are shown with it), with the range of the N runs. On a small shared machine one run of either
 * side can be far off (PyTorch's CNN PCGrad: 0.86× to 4.6× its EW step across runs); the median is not.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { initBackend } from '../src/engine/backend.js';
import { loadMnist } from '../src/data/loaders/mnist.js';
import type { Dataset } from '../src/data/types.js';
import { measureMtljs, type MeasureResult } from './mtljs.js';
import { measureInChild, prepareRowChild, writeRowData } from './row-process.js';
import { findTorchPython, PYTORCH_MISSING, REFERENCE_BLAS_WARNING, runTorchBench, writeTorchData, type TorchModelResult, type TorchResult } from './pytorch.js';
import {
  BENCH_METHOD_DESCRIBE, BENCH_METHODS, BENCH_MODELS, benchRate, benchSpec, defaultBenchMethods, isTextBenchModel, parseChoiceList,
  type BenchMethod, type BenchModel, type BenchModelName, type BenchUnit,
} from './spec.js';
import { medianRun } from './median-run.js';
import { loadTextBenchData, type TextBenchData } from './text-data.js';

const USAGE = `usage: npm run bench -- [--json] [--seconds N] [--torch-seconds N] [--backend wasm|cpu|tensorflow]
                       [--models mlp,cnn,text_bigru,text_transformer] [--methods ew,pcgrad,pcgrad@rep]
                       [--samples N] [--sentences N] [--torch-threads default,2,1] [--torch-method-threads ew-best|all] [--in-process]
                       [--repeats N]
  models: mlp, cnn (MNIST; steps/s), text_bigru, text_transformer (SNIPS intent + slots; sentences/s = steps/s x 64);
          default: all four
  methods: default ew, pcgrad, pcgrad@rep for mlp and cnn and ew for the text models; --methods applies to every model
  --samples: MNIST training samples (default 4096); --sentences: SNIPS training sentences, full batches of 64 (default: all)
  --in-process: every mtljs row in the bench's own process (default: each in its own, as PyTorch's are)
  --repeats N: measure everything N times, the sides taking turns; each figure is its row's median run (range shown)`;

interface Args {
  /** Every mtljs row in this process (the default runs each in its own, as PyTorch's settings are). */
  inProcess: boolean;
  json: boolean;
  seconds: number;
  torchSeconds: number;
  backend?: string;
  models: BenchModelName[];
  /** --methods as given (every model runs them); null: each model's defaults (defaultBenchMethods). */
  methods: BenchMethod[] | null;
  samples: number;
  /** --sentences; undefined: the whole SNIPS training split. */
  sentences?: number;
  torchThreads: string;
  torchMethodThreads: 'ew-best' | 'all';
  /** Whole measurements, the sides taking turns; figures are each row's median run. */
  repeats: number;
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
      'in-process': { type: 'boolean', default: false },
      seconds: { type: 'string' },
      'torch-seconds': { type: 'string' },
      backend: { type: 'string' },
      models: { type: 'string' },
      methods: { type: 'string' },
      samples: { type: 'string' },
      sentences: { type: 'string' },
      'torch-threads': { type: 'string' },
      'torch-method-threads': { type: 'string' },
      repeats: { type: 'string' },
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
  const methods = values.methods === undefined ? null : parseChoiceList('methods', values.methods, BENCH_METHODS);
  const torchMethodThreads = values['torch-method-threads'] ?? 'ew-best';
  if (torchMethodThreads !== 'ew-best' && torchMethodThreads !== 'all') {
    throw new Error(`--torch-method-threads: ew-best or all, got "${torchMethodThreads}"`);
  }
  const torchThreads = values['torch-threads'] ?? 'default,2,1';
  if (!/^(default|\d+)(,(default|\d+))*$/.test(torchThreads)) throw new Error(`--torch-threads: a list like default,2,1, got "${torchThreads}"`);
  return {
    json: values.json ?? false,
    inProcess: values['in-process'] ?? false,
    seconds,
    // Each PyTorch thread setting gets half the mtljs budget (three settings per model).
    torchSeconds: positive('torch-seconds', values['torch-seconds'], Math.max(1, seconds / 2)),
    backend: values.backend,
    models,
    methods,
    samples: Math.floor(positive('samples', values.samples, 4096)),
    sentences: values.sentences === undefined ? undefined : Math.floor(positive('sentences', values.sentences, 0)),
    torchThreads,
    torchMethodThreads,
    repeats: repeatsOf(values.repeats),
  };
}

function repeatsOf(v: string | undefined): number {
  const n = positive('repeats', v, 1);
  if (!Number.isInteger(n)) throw new Error(`--repeats must be a whole number, got "${v}"`);
  return n;
}


const log = (msg: string) => process.stderr.write(`[bench] ${msg}\n`);
const errMsg = (e: unknown) => (e instanceof Error ? e.message : String(e)).split('\n')[0];

function fmtSps(v: number | null | undefined): string {
  if (v == null) return '—';
  return v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2);
}

/** " (min–max)" of a row's runs, when there are several. */
function range(rates: readonly number[]): string {
  if (rates.length < 2) return '';
  return ` (${fmtSps(Math.min(...rates))}–${fmtSps(Math.max(...rates))})`;
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
  model: BenchModelName;
  method: BenchMethod;
  unit: BenchUnit;
  mtljs: MeasureResult | null;
  mtljsError?: string;
  torch: TorchModelResult | null;
  torchError?: string;
  /** Every repeat's result (the figures above are their median runs). */
  mtljsRuns: MeasureResult[];
  torchRuns: TorchModelResult[];
}

/** The methods a model runs: --methods when given, else the model's defaults. */
function methodsOf(args: Args, model: BenchModelName): BenchMethod[] {
  return args.methods ?? defaultBenchMethods(model);
}

async function main(): Promise<void> {
  const args = parse(process.argv.slice(2));
  const rows: Row[] = args.models.flatMap((model) => methodsOf(args, model).map((method) => ({
    model, method, unit: benchSpec(model).unit, mtljs: null, torch: null, mtljsRuns: [], torchRuns: [],
  })));
  const rowOf = (model: BenchModelName, method: BenchMethod) => rows.find((r) => r.model === model && r.method === method);
  const allMethods = BENCH_METHODS.filter((m) => rows.some((r) => r.method === m));
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

  // Only the data the chosen models need.
  let flat: Dataset | null = null;
  let images: Record<BenchModel, Dataset> | null = null;
  if (args.models.some((m) => !isTextBenchModel(m))) {
    log(`loading MNIST (${args.samples} training samples)`);
    flat = (await loadMnist({ flatten: true, limit: args.samples })).train;
    images = { mlp: flat, cnn: { ...flat, inputShape: [28, 28, 1] } };
  }
  let text: TextBenchData | null = null;
  if (args.models.some(isTextBenchModel)) {
    log(`loading SNIPS (${args.sentences ?? 'all'} training sentences)`);
    try {
      text = await loadTextBenchData({ sentences: args.sentences });
      log(`  ${text.dataset.n} sentences in ${text.batches} batches of ${text.batchSize}, vocabulary ${text.vocabSize}, L = ${text.dataset.inputShape[0]}, mean longest sentence per batch ${text.meanBatchLength.toFixed(1)} tokens`);
    } catch (e) {
      const why = `SNIPS failed to load: ${errMsg(e)}`;
      notes.push(why);
      log(why);
      rows.filter((r) => isTextBenchModel(r.model)).forEach((r) => { r.mtljsError = why; r.torchError = why; });
    }
  }
  // Each row in its own process by default (bench/row-process.ts), reading the data written here once.
  const rowDir = args.inProcess ? null : fs.mkdtempSync(path.join(os.tmpdir(), 'mtljs-bench-rows-'));
  if (rowDir) {
    writeRowData(rowDir, { mnist: flat ?? undefined, text: text ?? undefined });
    await prepareRowChild();
  }
  const measure = (model: BenchModelName, method: BenchMethod, seconds: number): MeasureResult => {
    if (rowDir) return measureInChild({ dir: rowDir, model, method, seconds, backend: args.backend });
    if (isTextBenchModel(model)) {
      if (!text) throw new Error('no SNIPS data');
      return measureMtljs({ model, method, data: text, seconds });
    }
    return measureMtljs({ model, method, data: images![model], seconds });
  };
  const runnable = rows.filter((r) => !r.mtljsError);

  if (backend && runnable.length && args.inProcess) {
    // (A row in its own process warms that process up itself.)
    // The first measurement would otherwise pay the process's own warm-up (JIT, wasm heap growth,
    // the native thread pool) alone: one untimed second of the first model first.
    log('process warm-up (1 s, not reported)');
    try {
      measure(runnable[0]!.model, 'ew', 1);
    } catch {
      // the row itself reports the error
    }
  }
  const repeatLabel = (rep: number) => (args.repeats > 1 ? ` [run ${rep + 1}/${args.repeats}]` : '');
  const measureMtljsRows = (rep: number) => {
    for (const row of runnable) {
      const label = `${row.model} ${row.method}`;
      log(`mtljs ${label} on ${backend}: ${args.seconds} s${repeatLabel(rep)}`);
      try {
        const m = measure(row.model, row.method, args.seconds);
        row.mtljsRuns.push(m);
        const rate = row.unit === 'steps/s' ? '' : `, ${fmtSps(benchRate(row.model, m.stepsPerSec))} ${row.unit}`;
        log(`  ${fmtSps(m.stepsPerSec)} steps/s${rate} (${m.steps} steps in ${m.seconds.toFixed(1)} s after ${m.warmupSteps} warm-up steps; loss ${m.firstLoss.toFixed(3)} at the first step, ${m.lastLoss.toFixed(3)} after the last)`);
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
  };

  // PyTorch: one torch_bench.py run per group of models that share a method list (the image models'
  // three methods, the text models' ew by default).
  let torch = null as TorchResult | null; // (assigned in measureTorch: no narrowing to null)
  const py = findTorchPython();
  const nonEw = allMethods.filter((m) => m !== 'ew');
  const torchPolicy = !nonEw.length ? ''
    : args.torchMethodThreads === 'all' || !allMethods.includes('ew') ? `; ${nonEw.join(', ')} at every setting`
      : `; ${nonEw.join(', ')} only at ew's best setting per model`;
  const torchRows = rows.filter((r) => !r.torchError);
  let torchDir: string | null = null;
  const groups = new Map<string, { models: BenchModelName[]; methods: BenchMethod[] }>();
  if ('error' in py) {
    notes.push(PYTORCH_MISSING);
    log(`${PYTORCH_MISSING}: ${py.error}`);
    rows.forEach((r) => { r.torchError = 'not available'; });
  } else if (torchRows.length) {
    for (const model of args.models) {
      if (!torchRows.some((r) => r.model === model)) continue;
      const methods = methodsOf(args, model);
      const key = methods.join(',');
      const g = groups.get(key) ?? { models: [], methods };
      g.models.push(model);
      groups.set(key, g);
    }
    try {
      torchDir = writeTorchData({
        mnist: torchRows.some((r) => !isTextBenchModel(r.model)) ? flat ?? undefined : undefined,
        snips: torchRows.some((r) => isTextBenchModel(r.model)) ? text ?? undefined : undefined,
      });
    } catch (e) {
      const why = errMsg(e);
      notes.push(`PyTorch reference failed: ${why}`);
      torchRows.forEach((r) => { r.torchError = why; });
    }
  }
  const measureTorch = (rep: number) => {
    if ('error' in py || !torchDir) return;
    log(`PyTorch ${py.torch} (${py.python}): ${args.torchSeconds} s per thread setting (${args.torchThreads}) per model and method${torchPolicy}${repeatLabel(rep)}`);
    let run: TorchResult | null = null;
    for (const g of groups.values()) {
      try {
        const res = runTorchBench(py.python, {
          models: g.models, methods: g.methods, seconds: args.torchSeconds, dataDir: torchDir,
          threads: args.torchThreads, methodThreads: args.torchMethodThreads,
        });
        if (!run) run = { ...res, models: {} };
        run.blas ??= res.blas;
        Object.assign(run.models, res.models);
      } catch (e) {
        const why = errMsg(e);
        notes.push(`PyTorch reference failed for ${g.models.join(', ')}${repeatLabel(rep)}: ${why}`);
        rows.filter((r) => g.models.includes(r.model)).forEach((r) => { r.torchError = why; });
      }
    }
    if (!run) return;
    if (!torch) torch = { ...run, models: {} };
    torch.blas ??= run.blas;
    for (const row of rows) {
      const t = run.models[row.model]?.[row.method];
      if (!t) continue;
      if (t.stepsPerSec != null) row.torchRuns.push(t);
      else row.torchError = t.trials.map((x) => x.error).filter(Boolean).join('; ') || 'no result';
      const loss = t.lastLoss != null ? ` (loss ${t.firstLoss != null ? `${t.firstLoss.toFixed(3)} at the first step, ` : ''}${t.lastLoss.toFixed(3)} after the last)` : '';
      log(`  ${row.model} ${row.method}: ${t.trials.map((x) => `${x.threads}: ${x.stepsPerSec == null ? `failed (${x.error})` : fmtSps(benchRate(row.model, x.stepsPerSec))}`).join(', ')} ${row.unit}${loss}`);
    }
  };

  // mtljs first, then PyTorch, never both at once (they would share the cores); with --repeats, in turns.
  for (let rep = 0; rep < args.repeats; rep++) {
    if (backend) measureMtljsRows(rep);
    measureTorch(rep);
  }
  if (rowDir) fs.rmSync(rowDir, { recursive: true, force: true });
  if (torchDir) fs.rmSync(torchDir, { recursive: true, force: true });
  if (torch?.blas === 'reference') {
    notes.push(REFERENCE_BLAS_WARNING);
    log(REFERENCE_BLAS_WARNING);
  }
  for (const row of rows) {
    row.mtljs = medianRun(row.mtljsRuns, (m) => m.stepsPerSec);
    row.torch = medianRun(row.torchRuns, (t) => t.stepsPerSec);
    if (row.torch) delete row.torchError;
    else if (!row.torchError && !('error' in py) && torchRows.includes(row)) row.torchError = 'no result';
    if (row.mtljs && row.mtljsRuns.length === args.repeats) delete row.mtljsError;
  }

  // The table: every figure in its row's unit (steps/s, or sentences/s for the text models).
  const out: string[] = [];
  const data: string[] = [];
  if (flat) data.push(`${flat.n} MNIST samples`);
  if (text) data.push(`${text.dataset.n} SNIPS training sentences (${text.batches} batches of ${text.batchSize}, mean longest sentence per batch ${text.meanBatchLength.toFixed(1)} tokens)`);
  const runs = args.repeats > 1 ? `, each figure the median of ${args.repeats} runs (the two sides in turns; the range in brackets)` : '';
  out.push(`mtljs bench: backend ${backend ?? 'none'}${runs}, ${args.seconds} s timed per model and method (PyTorch ${torch ? `${torch.torch}, ${torch.blas ?? 'unknown'} BLAS` : 'n/a'}: ${args.torchSeconds} s per thread setting, best shown${torchPolicy}), ${os.cpus().length} CPUs, ${data.join('; ') || 'no data'}`);
  out.push('');
  out.push('| model | method | unit | mtljs | PyTorch (threads) | ratio (mtljs/PyTorch) | peak RSS mtljs / PyTorch |');
  out.push('|---|---|---|---|---|---|---|');
  const json: Record<string, unknown> = {};
  for (const row of rows) {
    const m = benchRate(row.model, row.mtljs?.stepsPerSec);
    const t = benchRate(row.model, row.torch?.stepsPerSec);
    const ratio = m != null && t != null ? m / t : null;
    const ew = rowOf(row.model, 'ew');
    const mVsEw = vsEw(ew?.mtljs?.stepsPerSec, row.mtljs?.stepsPerSec);
    const tVsEw = vsEw(ew?.torch?.stepsPerSec, row.torch?.stepsPerSec);
    const mRates = row.mtljsRuns.map((r) => benchRate(row.model, r.stepsPerSec));
    const tRates = row.torchRuns.map((r) => benchRate(row.model, r.stepsPerSec)).filter((v): v is number => v != null);
    const mCell = m != null ? `${fmtSps(m)}${range(mRates)}` : `— (${row.mtljsError ?? 'not run'})`;
    const tCell = t != null ? `${fmtSps(t)}${range(tRates)} (${threadsLabel(row.torch!)})` : `— (${row.torchError ?? 'not run'})`;
    const rss = `${row.mtljs ? `${row.mtljs.peakRssMB.toFixed(0)} MB` : '—'} / ${row.torch?.peakRssMB != null ? `${row.torch.peakRssMB.toFixed(0)} MB` : '—'}`;
    out.push(`| ${row.model} | ${row.method} | ${row.unit} | ${mCell} | ${tCell} | ${fmtRatio(ratio)} | ${rss} |`);
    const perModel = (json[row.model] ??= {}) as Record<string, unknown>;
    perModel[row.method] = {
      mtljs: m,
      pytorch: t,
      ratio,
      unit: row.unit,
      mtljsStepTimeVsEw: mVsEw,
      pytorchStepTimeVsEw: tVsEw,
      pytorchThreads: row.torch?.threads == null ? null : row.torch.threads === 'default' ? 'default' : Number(row.torch.threads),
      pytorchNumThreads: row.torch?.numThreads ?? null,
      ...(args.repeats > 1 ? { mtljsRuns: mRates, pytorchRuns: tRates } : {}),
      pytorchTrials: row.torch ? Object.fromEntries(row.torch.trials.map((x) => [x.threads, benchRate(row.model, x.stepsPerSec)])) : null,
      rssMB: row.mtljs ? Math.round(row.mtljs.peakRssMB) : null,
      pytorchRssMB: row.torch?.peakRssMB != null ? Math.round(row.torch.peakRssMB) : null,
      steps: row.mtljs?.steps ?? null,
      rssTimedLoopMB: row.mtljs ? [Math.round(row.mtljs.rssStartMB), Math.round(row.mtljs.rssEndMB)] : null,
      tensorGrowth: row.mtljs ? row.mtljs.tensorsEnd - row.mtljs.tensorsStart : null,
      mtljsFirstLoss: row.mtljs?.firstLoss ?? null,
      mtljsLoss: row.mtljs?.lastLoss ?? null,
      pytorchFirstLoss: row.torch?.firstLoss ?? null,
      pytorchLoss: row.torch?.lastLoss ?? null,
      batchSize: benchSpec(row.model).batchSize,
      ...(row.mtljsError ? { mtljsError: row.mtljsError } : {}),
      ...(row.torchError ? { pytorchError: row.torchError } : {}),
    };
  }
  out.push('');
  // Per model, each method's step time in EW steps on each side (steps/s of EW / steps/s of the method).
  const costLines: string[] = [];
  for (const model of args.models) {
    const ew = rowOf(model, 'ew');
    if (!ew) continue;
    for (const method of methodsOf(args, model).filter((m) => m !== 'ew')) {
      const r = rowOf(model, method)!;
      costLines.push(`  ${model} ${method}: mtljs ${fmtRatio(vsEw(ew.mtljs?.stepsPerSec, r.mtljs?.stepsPerSec))} EW, PyTorch ${fmtRatio(vsEw(ew.torch?.stepsPerSec, r.torch?.stepsPerSec))} EW`);
    }
  }
  if (costLines.length) {
    out.push('step time relative to the same model\'s EW, each side against itself (PyTorch: each at its best thread setting shown):');
    out.push(...costLines);
    out.push('');
  }
  for (const model of args.models) out.push(`${model}: ${benchSpec(model).describe}`);
  for (const method of allMethods) out.push(`${method}: ${BENCH_METHOD_DESCRIBE[method]}`);
  const losses = rows.filter((r) => r.mtljs || r.torch?.lastLoss != null).map((r) => {
    const side = (first: number | null | undefined, last: number | null | undefined) => (last == null ? '—' : `${first != null ? `${first.toFixed(3)} → ` : ''}${last.toFixed(3)}`);
    return `${r.model} ${r.method} mtljs ${side(r.mtljs?.firstLoss, r.mtljs?.lastLoss)}, PyTorch ${side(r.torch?.firstLoss, r.torch?.lastLoss)}`;
  });
  if (losses.length) out.push(`summed task loss, first step → after the last timed step (training runs on both sides): ${losses.join('; ')}`);
  const growth = rows.filter((r) => r.mtljs).map((r) => `${r.model} ${r.method} ${r.mtljs!.rssStartMB.toFixed(0)} → ${r.mtljs!.rssEndMB.toFixed(0)} MB (${r.mtljs!.steps} steps)`);
  if (growth.length) out.push(`mtljs RSS from the start to the end of each timed loop: ${growth.join('; ')}`);
  out.push(args.inProcess
    ? 'peak RSS: mtljs = the whole Node process (all models and methods so far, data included; --in-process) sampled every step; PyTorch = the best setting\'s own process (ru_maxrss)'
    : 'peak RSS: mtljs = the row\'s own Node process (its data included) sampled every step; PyTorch = the best setting\'s own process (ru_maxrss)');
  for (const n of notes) out.push(n);
  console.log(out.join('\n'));
  if (args.json) {
    json.backend = backend;
    json.methods = allMethods;
    json.seconds = args.seconds;
    json.torchSeconds = args.torchSeconds;
    json.torchMethodThreads = args.torchMethodThreads;
    json.repeats = args.repeats;
    json.torch = torch?.torch ?? null;
    json.python = torch?.python ?? null;
    json.pytorchBlas = torch?.blas ?? null;
    json.cpus = os.cpus().length;
    json.loadAvg = [Number(loadAtStart.toFixed(2)), Number(os.loadavg()[0].toFixed(2))];
    json.samples = flat?.n ?? null;
    json.sentences = text?.dataset.n ?? null;
    json.snips = text ? {
      sentences: text.dataset.n, batches: text.batches, batchSize: text.batchSize, vocabSize: text.vocabSize,
      maxLength: text.dataset.inputShape[0], meanLength: Number(text.meanLength.toFixed(2)), meanBatchLength: Number(text.meanBatchLength.toFixed(2)),
    } : null;
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
