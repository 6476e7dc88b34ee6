/**
 * `npm run bench:embedding`: how fast embedded ID features train (issue 18: "the wasm backend must train
 * embeddings fast: gather + its gradient"). Two measurements, one run, same machine:
 *
 * 1. The lookup alone: forward + backward of tf.gather on a [rows, 16] table with 512 × 10 ids (the
 *    gradient is an UnsortedSegmentSum into `rows` rows), in µs, on wasm (the library's row-copy GatherV2
 *    and in-place UnsortedSegmentSum kernels, src/engine/kernels/). tfjs's cpu backend is not measured:
 *    its UnsortedSegmentSum builds a mask per segment (O(rows × ids) work), so one backward pass through a
 *    10,000-row table did not finish in a minute — embeddings need the wasm backend (the default).
 * 2. A whole recommender model training: 8 numeric columns, 3 hashed categorical ids and a 10-id history
 *    list (mean-pooled), each embedded in a [rows, 16] table (src/models/tabular.ts), an MLP of 64 and two
 *    binary heads, batch 512, Adam 1e-3 — in steps/s and rows/s, mtljs (wasm) against the same
 *    model in PyTorch (bench/torch_embedding.py, nn.Embedding with dense gradients, 1 and 2 threads).
 *    Adam updates every row of every table each step on both sides (dense gradients), so large tables
 *    cost memory bandwidth on both.
 *
 *   npm run bench:embedding [-- --rows 10000,100000,1000000] [--seconds 6] [--json]
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { initBackend } from '../src/engine/backend.js';
import { tf } from '../src/engine/tf.js';
import type { Dataset, PreprocessingState } from '../src/data/types.js';
import { buildModel } from '../src/models/registry.js';
import { embeddingLayout } from '../src/models/tabular.js';
import { createTask } from '../src/tasks/registry.js';
import { disposeBatch, makeBatch, prepare } from '../src/train/batches.js';
import { Trainer } from '../src/train/trainer.js';
import { findTorchPython } from './pytorch.js';

const BATCH = 512;
const DIM = 16;
const LIST = 10;
const STEPS_OF_DATA = 40;

const { values } = parseArgs({ options: { rows: { type: 'string', default: '10000,100000,1000000' }, seconds: { type: 'string', default: '6' }, json: { type: 'boolean', default: false } } });
const tableSizes = values.rows!.split(',').map(Number);
const seconds = Number(values.seconds);
const log = (m: string) => process.stderr.write(`[bench:embedding] ${m}\n`);

let seed = 12345;
const rnd = () => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};

/** The encoded rows (ids already in slots) and a preprocessing state that describes them. */
function data(rows: number): { ds: Dataset; pre: PreprocessingState } {
  const n = BATCH * STEPS_OF_DATA;
  const pre: PreprocessingState = {
    features: [
      ...Array.from({ length: 8 }, (_, i) => ({ column: `x${i}`, type: 'numeric' as const, mean: 0, std: 1 })),
      ...['user', 'item', 'shop'].map((column) => ({ column, type: 'categorical' as const, embedding: DIM, hash: rows - 1 })),
      { column: 'history', type: 'ids', embedding: DIM, hash: rows - 1, separator: '|', maxLength: LIST },
    ],
    inputSize: 8 + 3 + LIST,
  };
  const x = new Float32Array(n * pre.inputSize);
  const click = new Float32Array(n);
  const buy = new Float32Array(n);
  for (let r = 0; r < n; r++) {
    const o = r * pre.inputSize;
    for (let j = 0; j < 8; j++) x[o + j] = rnd() * 2 - 1;
    for (let j = 8; j < 11; j++) x[o + j] = 1 + Math.floor(rnd() * (rows - 1));
    const len = Math.floor(rnd() * (LIST + 1));
    for (let j = 0; j < LIST; j++) x[o + 11 + j] = j < len ? 1 + Math.floor(rnd() * (rows - 1)) : -1;
    click[r] = rnd() < 1 / (1 + Math.exp(-(x[o]! + (x[o + 8]! % 7) / 3 - 1))) ? 1 : 0;
    buy[r] = click[r] && rnd() < 0.3 + 0.2 * x[o + 1]! ? 1 : 0;
  }
  const tasks = ['click', 'buy'].map((name) => ({ name, kind: 'binary' as const, width: 1, outputSize: 1 }));
  return { ds: { name: 'recsys', inputShape: [pre.inputSize], n, x, tasks, labels: { click, buy } }, pre };
}

/** µs per forward + backward of the lookup of 512 × 10 ids in a [rows, 16] table. */
function lookupMicros(rows: number): number {
  const table = tf.variable(tf.randomUniform([rows, DIM], -0.05, 0.05, 'float32', 1));
  const ids = tf.tensor1d(Array.from({ length: BATCH * LIST }, () => Math.floor(rnd() * rows)), 'int32');
  const once = () => {
    // Eager backends compute each op when it is called: nothing is read back (reading the dense
    // [rows, 16] gradient would time a copy of the whole table, which training never makes).
    const { value, grads } = tf.variableGrads(() => tf.sum(tf.gather(table, ids)), [table]);
    tf.dispose([value, ...Object.values(grads)]);
  };
  for (let i = 0; i < 3; i++) once();
  let k = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < 1000 * Math.min(seconds, 2)) { once(); k++; }
  const us = ((performance.now() - t0) * 1000) / k;
  tf.dispose([table, ids]);
  return us;
}

/** Training steps/s of the whole model (after 3 warm-up steps). */
function trainSteps(ds: Dataset, pre: PreprocessingState): { stepsPerSec: number; firstLoss: number; lastLoss: number } {
  const tasks = ds.tasks.map((s) => createTask(s, {}, { values: ds.labels[s.name]!, n: ds.n }));
  const model = buildModel('hps', { inputShape: ds.inputShape, tasks, seed: 0 }, { encoder: { type: 'mlp', hidden: [64] }, head: { hidden: [] } }, pre);
  const trainer = new Trainer(model, tasks, { epochs: 1, batchSize: BATCH, optimizer: { name: 'adam', lr: 1e-3 }, seed: 0, gradientStats: false });
  const prepared = prepare(ds, ['click', 'buy']);
  const rowsOf = (k: number) => Array.from({ length: BATCH }, (_, i) => (k % STEPS_OF_DATA) * BATCH + i);
  const step = (k: number) => {
    const batch = makeBatch(prepared, rowsOf(k));
    const losses = trainer.step(batch, 0, k);
    disposeBatch(batch);
    const v = losses.dataSync();
    losses.dispose();
    return v[0]! + v[1]!;
  };
  const firstLoss = step(0);
  for (let k = 1; k < 4; k++) step(k);
  let k = 4;
  let lastLoss = firstLoss;
  const t0 = performance.now();
  while (performance.now() - t0 < seconds * 1000) lastLoss = step(k++);
  const stepsPerSec = (k - 4) / ((performance.now() - t0) / 1000);
  trainer.dispose();
  model.dispose();
  return { stepsPerSec, firstLoss, lastLoss };
}

function torchSteps(ds: Dataset, pre: PreprocessingState, python: string, threads: number): { stepsPerSec: number; firstLoss: number; lastLoss: number } | { error: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mtljs-embedding-'));
  try {
    const layout = embeddingLayout(pre, 0)!;
    fs.writeFileSync(path.join(dir, 'meta.json'), JSON.stringify({ n: ds.n, width: pre.inputSize, batch: BATCH, dense: layout.dense, tables: layout.tables }));
    fs.writeFileSync(path.join(dir, 'x.f32'), Buffer.from(ds.x.buffer, ds.x.byteOffset, ds.x.byteLength));
    for (const t of ['click', 'buy']) fs.writeFileSync(path.join(dir, `${t}.f32`), Buffer.from(ds.labels[t]!.buffer));
    const script = fileURLToPath(new URL('./torch_embedding.py', import.meta.url));
    const r = spawnSync(python, [script, dir, String(threads), String(seconds)], { encoding: 'utf8', timeout: (seconds * 4 + 120) * 1000 });
    const last = (r.stdout ?? '').trim().split('\n').at(-1) ?? '';
    if (r.status !== 0 || !last.startsWith('{')) return { error: (r.stderr ?? '').trim().split('\n').at(-1) ?? `exit ${r.status}` };
    return JSON.parse(last);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const torch = findTorchPython();
const results: Record<string, Record<string, unknown>> = {};
for (const rows of tableSizes) {
  const { ds, pre } = data(rows);
  const row: Record<string, unknown> = { rows, dim: DIM, parameters: 4 * rows * DIM };
  for (const backend of ['wasm'] as const) {
    await initBackend(backend);
    row[`lookupUs_${backend}`] = lookupMicros(rows);
    const r = trainSteps(ds, pre);
    row[`steps_${backend}`] = r.stepsPerSec;
    log(`${rows} rows, ${backend}: lookup fwd+bwd ${(row[`lookupUs_${backend}`] as number).toFixed(0)} µs; model ${r.stepsPerSec.toFixed(1)} steps/s (${(r.stepsPerSec * BATCH).toFixed(0)} rows/s), loss ${r.firstLoss.toFixed(3)} → ${r.lastLoss.toFixed(3)}`);
  }
  if ('python' in torch) {
    for (const threads of [1, 2]) {
      const r = torchSteps(ds, pre, torch.python, threads);
      row[`steps_pytorch_${threads}`] = 'error' in r ? null : r.stepsPerSec;
      log(`${rows} rows, PyTorch ${threads} thread(s): ${'error' in r ? r.error : `${r.stepsPerSec.toFixed(1)} steps/s, loss ${r.firstLoss.toFixed(3)} → ${r.lastLoss.toFixed(3)}`}`);
    }
  }
  results[String(rows)] = row;
}

const f = (v: unknown, d = 1) => (typeof v === 'number' ? v.toFixed(d) : '-');
const lines = [
  `embedding training, batch ${BATCH}: 4 tables [rows, ${DIM}] (3 ids + a ${LIST}-id history, mean-pooled) + 8 numeric → MLP 64 → 2 binary heads, Adam; ${'python' in torch ? `PyTorch ${torch.torch}` : 'PyTorch not available'}`,
  '',
  '| table rows | lookup fwd+bwd wasm (µs) | mtljs wasm steps/s | PyTorch 1 thread | PyTorch 2 threads | mtljs / best PyTorch |',
  '|---|---|---|---|---|---|',
];
for (const r of Object.values(results)) {
  const best = Math.max((r.steps_pytorch_1 as number) ?? 0, (r.steps_pytorch_2 as number) ?? 0);
  lines.push(`| ${(r.rows as number).toLocaleString('en-US')} | ${f(r.lookupUs_wasm, 0)} | ${f(r.steps_wasm)} | ${f(r.steps_pytorch_1)} | ${f(r.steps_pytorch_2)} | ${best ? `${((r.steps_wasm as number) / best).toFixed(2)}×` : '-'} |`);
}
console.log(lines.join('\n'));
if (values.json) console.log(JSON.stringify(results));
process.exit(0);
