/**
 * `npm run bench:methods`: the cost of per-task gradient methods against equal weighting, on the bench's
 * HPS MLP (784-256-256, batch 128, Adam) with T = 2, 4, 8 tasks (copies of the MNIST digit and box tasks,
 * each with its own head). For each T: EW steps/s (one summed backward pass), then PCGrad and MGDA in
 * parameter space (T backward passes over the encoder) and MGDA / PCGrad with rep-grad (heads per task,
 * the encoder once), each as a step-time ratio to EW measured in the same run.
 * Flags: --seconds N (per measurement, default 4), --tasks 2,4,8, --json.
 */
import { parseArgs } from 'node:util';
import { initBackend } from '../src/engine/backend.js';
import { tf } from '../src/engine/tf.js';
import { loadMnist } from '../src/data/loaders/mnist.js';
import { shuffleIndices } from '../src/data/split.js';
import type { Dataset, TaskSpec } from '../src/data/types.js';
import { buildModel } from '../src/models/registry.js';
import { createTask } from '../src/tasks/registry.js';
import { disposeBatch, makeBatch, prepare } from '../src/train/batches.js';
import { Trainer, type TrainerOptions } from '../src/train/trainer.js';

const METHODS: { label: string; aggregator: TrainerOptions['aggregator'] }[] = [
  { label: 'ew', aggregator: null },
  { label: 'pcgrad', aggregator: { method: 'pcgrad', mode: 'param' } },
  { label: 'mgda', aggregator: { method: 'mgda', mode: 'param' } },
  { label: 'pcgrad@rep', aggregator: { method: 'pcgrad', mode: 'rep' } },
  { label: 'mgda@rep', aggregator: { method: 'mgda', mode: 'rep' } },
];

/** T tasks on the same images: even ones classify the digit, odd ones regress its box. */
function tasksFor(data: Dataset, T: number) {
  const specs: TaskSpec[] = [];
  const labels: Record<string, Float32Array> = {};
  for (let t = 0; t < T; t++) {
    const digit = t % 2 === 0;
    const name = `${digit ? 'digit' : 'box'}_${t}`;
    specs.push(digit ? { name, kind: 'multiclass', width: 1, outputSize: 10 } : { name, kind: 'regression', width: 4, outputSize: 4 });
    labels[name] = digit ? data.labels.digit : data.labels.box;
  }
  const dataset: Dataset = { ...data, tasks: specs, labels };
  return { dataset, tasks: specs.map((s) => createTask(s, {}, { values: labels[s.name], n: data.n })) };
}

function stepsPerSecond(data: Dataset, T: number, aggregator: TrainerOptions['aggregator'], seconds: number): number {
  const { dataset, tasks } = tasksFor(data, T);
  const prepared = prepare(dataset, tasks.map((t) => t.name));
  const order = shuffleIndices(data.n, 0);
  const batches: number[][] = [];
  for (let s = 0; s + 128 <= order.length; s += 128) batches.push(order.slice(s, s + 128));
  const model = buildModel('hps', { inputShape: data.inputShape, tasks, seed: 0 }, { encoder: { type: 'mlp', hidden: [256, 256] } });
  const trainer = new Trainer(model, tasks, {
    epochs: 1, batchSize: 128, optimizer: { name: 'adam', lr: 1e-3 }, seed: 0, progress: 'silent', aggregator, gradientStats: false,
  });
  let step = 0;
  const run = () => {
    const batch = makeBatch(prepared, batches[step % batches.length]);
    const losses = trainer.step(batch, 0, step++);
    losses.dataSync();
    losses.dispose();
    disposeBatch(batch);
  };
  for (let i = 0; i < 5; i++) run();
  const t0 = performance.now();
  let n = 0;
  while ((performance.now() - t0) / 1000 < seconds) { run(); n++; }
  const sps = n / ((performance.now() - t0) / 1000);
  trainer.dispose();
  model.dispose();
  return sps;
}

const { values } = parseArgs({ options: { seconds: { type: 'string' }, tasks: { type: 'string' }, json: { type: 'boolean' } } });
const seconds = Number(values.seconds ?? 4);
const Ts = (values.tasks ?? '2,4,8').split(',').map(Number);
const backend = await initBackend(undefined, (m) => console.error(`[bench:methods] ${m}`));
const data = (await loadMnist({ flatten: true, limit: 4096 })).train;
const rows: Record<string, Record<string, { sps: number; vsEw: number }>> = {};
for (const T of Ts) {
  rows[T] = {};
  let ew = NaN;
  for (const m of METHODS) {
    const sps = stepsPerSecond(data, T, m.aggregator, seconds);
    if (m.label === 'ew') ew = sps;
    rows[T][m.label] = { sps, vsEw: ew / sps };
    console.error(`[bench:methods] T=${T} ${m.label}: ${sps.toFixed(1)} steps/s (step time ${(ew / sps).toFixed(2)}× EW)`);
  }
}
console.log(`\nstep time relative to EW (HPS MLP 784-256-256, batch 128, Adam, backend ${backend}; steps/s in brackets)\n`);
console.log(`| T | ${METHODS.map((m) => m.label).join(' | ')} |`);
console.log(`|---|${METHODS.map(() => '---').join('|')}|`);
for (const T of Ts) console.log(`| ${T} | ${METHODS.map((m) => `${rows[T][m.label].vsEw.toFixed(2)}× (${rows[T][m.label].sps.toFixed(1)})`).join(' | ')} |`);
if (values.json) console.log(JSON.stringify({ backend, seconds, tensors: tf.memory().numTensors, rows }));
process.exit(0);
