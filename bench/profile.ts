/**
 * `npm run bench:profile`: where one training step's time goes. Runs the gradient-method bench's
 * HPS MLP (bench/method-setup.ts; `--model cnn`: the bench's CNN) with each method, profiles `--steps`
 * steps with tf.profile, and prints per kernel the calls and milliseconds per step, plus what no kernel
 * accounts for (tfjs dispatch, the tape, JavaScript in the methods). Composite ops (custom gradients)
 * are listed with the kernels they run, so their time is counted twice in the total; `kernel calls`
 * counts registered kernels only. Flags: --model mlp|cnn --methods ew,pcgrad,… --tasks T --steps N --top K;
 * --shapes lists each kernel per input shapes (which layer's product, which gradient) instead of per name.
 */
import { parseArgs } from 'node:util';
import { initBackend } from '../src/engine/backend.js';
import { tf } from '../src/engine/tf.js';
import { aggregatorFor, benchImages, methodRun } from './method-setup.js';
import { isBenchModel } from './spec.js';

const { values } = parseArgs({
  options: {
    model: { type: 'string' }, methods: { type: 'string' }, tasks: { type: 'string' }, steps: { type: 'string' }, top: { type: 'string' },
    shapes: { type: 'boolean' },
  },
});
const benchModel = values.model ?? 'mlp';
if (!isBenchModel(benchModel)) throw new Error(`--model: "${benchModel}" is not mlp or cnn`);
const methods = (values.methods ?? 'ew,pcgrad,pcgrad@rep').split(',');
const T = Number(values.tasks ?? 2);
const steps = Number(values.steps ?? 20);
const top = Number(values.top ?? 10);
const backend = await initBackend(undefined, (m) => console.error(`[bench:profile] ${m}`));
const data = await benchImages(benchModel);

for (const label of methods) {
  const run = methodRun(data, T, aggregatorFor(label), benchModel);
  // Warm-up by time, not steps: the first model measured also pays the process's JIT and heap growth.
  const w0 = performance.now();
  while (performance.now() - w0 < 1500) run.step();
  // Wall time without the profiler's bookkeeping, then the kernels with it.
  // The median of five chunks: one slow chunk (a GC, another process) does not move it.
  const chunks: number[] = [];
  for (let c = 0; c < 5; c++) {
    const t0 = performance.now();
    for (let i = 0; i < Math.ceil(steps / 5); i++) run.step();
    chunks.push((performance.now() - t0) / Math.ceil(steps / 5));
  }
  const wall = chunks.sort((a, b) => a - b)[2]!;
  const profile = await tf.profile(() => { for (let i = 0; i < steps; i++) run.step(); });
  run.dispose();
  const byKernel = new Map<string, { calls: number; ms: number }>();
  for (const k of profile.kernels) {
    const key = values.shapes ? `${k.name} ${JSON.stringify(k.inputShapes)}` : k.name;
    const e = byKernel.get(key) ?? { calls: 0, ms: 0 };
    e.calls++;
    e.ms += k.kernelTimeMs as number;
    byKernel.set(key, e);
  }
  // Composite ops (tf.customGrad, the fused ops of src/engine/fused.ts) are profiled around the kernels
  // they run: listed, but left out of the kernel count and the kernel time.
  const isKernel = (key: string) => tf.getKernel(key.split(' ')[0]!, tf.getBackend()) != null;
  const rows = [...byKernel].map(([name, e]) => ({ name, calls: e.calls / steps, ms: e.ms / steps, kernel: isKernel(name) })).sort((a, b) => b.ms - a.ms);
  const kernels = rows.filter((r) => r.kernel);
  const kernelMs = kernels.reduce((s, r) => s + r.ms, 0);
  const calls = kernels.reduce((s, r) => s + r.calls, 0);
  const opCalls = rows.filter((r) => !r.kernel).reduce((s, r) => s + r.calls, 0);
  console.log(`\n${benchModel} ${label}, T = ${T} (backend ${backend}): ${wall.toFixed(2)} ms per step, ${calls.toFixed(0)} kernel calls (+ ${opCalls.toFixed(0)} composite ops), kernels ${kernelMs.toFixed(2)} ms`);
  console.log('| kernel | calls/step | ms/step | share |');
  console.log('|---|---|---|---|');
  for (const r of rows.slice(0, top)) console.log(`| ${r.name}${r.kernel ? '' : ' (composite op)'} | ${r.calls.toFixed(0)} | ${r.ms.toFixed(2)} | ${((100 * r.ms) / wall).toFixed(1)}% |`);
  const rest = kernels.filter((r) => !rows.slice(0, top).includes(r)).reduce((s, r) => s + r.ms, 0);
  console.log(`| ${kernels.filter((r) => !rows.slice(0, top).includes(r)).length} other kernels | | ${rest.toFixed(2)} | ${((100 * rest) / wall).toFixed(1)}% |`);
  console.log(`| outside kernels (native Adam, dispatch, tape, JS) | | ${(wall - kernelMs).toFixed(2)} | ${((100 * (wall - kernelMs)) / wall).toFixed(1)}% |`);
}
process.exit(0);
