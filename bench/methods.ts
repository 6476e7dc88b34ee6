/**
 * `npm run bench:methods`: the cost of per-task gradient methods against equal weighting, on the bench's
 * HPS MLP (784-256-256, batch 128, Adam) with T = 2, 4, 8 tasks (copies of the MNIST digit and box tasks,
 * each with its own head). For each T: EW steps/s (one summed backward pass), then PCGrad and MGDA in
 * parameter space (T backward passes over the encoder) and MGDA / PCGrad with rep-grad (heads per task,
 * the encoder once), each as a step-time ratio to EW measured in the same run.
 * Flags: --seconds N (per method and T, in 3 interleaved turns; default 4), --tasks 2,4,8, --json.
 */
import { parseArgs } from 'node:util';
import { initBackend } from '../src/engine/backend.js';
import { tf } from '../src/engine/tf.js';
import type { Dataset } from '../src/data/types.js';
import { aggregatorFor, benchImages, methodRun } from './method-setup.js';

const METHODS = ['ew', 'pcgrad', 'mgda', 'pcgrad@rep', 'mgda@rep'].map((label) => ({ label }));

/**
 * Steps/s of every method at T tasks. The methods run in turns (round-robin, `rounds` turns of
 * seconds/rounds each, after a warm-up of every one), and each reports its median turn: the first
 * model measured would otherwise pay the process's warm-up (JIT, heap growth) alone.
 */
function measure(data: Dataset, T: number, seconds: number, rounds = 3): Map<string, number> {
  const runs = METHODS.map((m) => ({ label: m.label, run: methodRun(data, T, aggregatorFor(m.label)), rates: [] as number[] }));
  for (const r of runs) {
    const t0 = performance.now();
    while (performance.now() - t0 < 500) r.run.step();
  }
  for (let round = 0; round < rounds; round++) {
    for (const r of runs) {
      const t0 = performance.now();
      let n = 0;
      while ((performance.now() - t0) / 1000 < seconds / rounds) { r.run.step(); n++; }
      r.rates.push(n / ((performance.now() - t0) / 1000));
    }
  }
  runs.forEach((r) => r.run.dispose());
  return new Map(runs.map((r) => [r.label, r.rates.sort((x, y) => x - y)[Math.floor(rounds / 2)]!]));
}

const { values } = parseArgs({ options: { seconds: { type: 'string' }, tasks: { type: 'string' }, json: { type: 'boolean' } } });
const seconds = Number(values.seconds ?? 4);
const Ts = (values.tasks ?? '2,4,8').split(',').map(Number);
const backend = await initBackend(undefined, (m) => console.error(`[bench:methods] ${m}`));
const data = await benchImages();
const rows: Record<string, Record<string, { sps: number; vsEw: number }>> = {};
for (const T of Ts) {
  rows[T] = {};
  const rates = measure(data, T, seconds);
  const ew = rates.get('ew')!;
  for (const m of METHODS) {
    const sps = rates.get(m.label)!;
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
