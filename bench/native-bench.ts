/**
 * Micro-bench of the native kernels (src/engine/native/) against the pure-wasm path, in one process:
 *
 *   npx tsx bench/native-bench.ts [--part matmul,mlp,small,conv,models] [--seconds 6] [--models mlp,cnn] [--rounds 2]
 *
 * matmul: GFLOP/s of 1024² products (plain, transposeA, transposeB) through tf.matMul, native on/off.
 * mlp:    GFLOP/s of the bench MLP's products (forward, and the dW / dx products of its backward pass,
 *         as the fused dense op asks for them) through tf.matMul, native with 1 thread and with all.
 * small:  µs per call for small products (to choose nativeKernelOptions.minMacs).
 * conv:   ms per call of the CNN bench's conv layer kernels, native on/off.
 * models: the bench models' training steps/s (bench/mtljs.ts measureMtljs), native on/off, alternated
 *         `rounds` times (the machine is shared; the best of each is reported).
 * Prints the 1-minute load average before each part: other jobs on the machine skew every number.
 */
import os from 'node:os';
import { parseArgs } from 'node:util';
import { initBackend } from '../src/engine/backend.js';
import { tf } from '../src/engine/tf.js';
import { nativeAddon, nativeKernelOptions, nativeStatus, registerNativeKernels, setNativeKernelsEnabled } from '../src/engine/native/index.js';
import { loadMnist } from '../src/data/loaders/mnist.js';
import type { Dataset } from '../src/data/types.js';
import { measureMtljs } from './mtljs.js';
import type { BenchModel } from './spec.js';

const { values } = parseArgs({
  options: {
    part: { type: 'string', default: 'matmul,small,conv,models' },
    seconds: { type: 'string', default: '6' },
    models: { type: 'string', default: 'mlp,cnn' },
    rounds: { type: 'string', default: '2' },
  },
});
const parts = new Set(values.part!.split(','));
const load = () => os.loadavg().map((x) => x.toFixed(2)).join(' ');

function timeIt(fn: () => void, minMs = 300, minReps = 3): number {
  fn(); // warm-up
  let best = Infinity;
  for (let round = 0; round < 3; round++) {
    let reps = 0;
    const t0 = performance.now();
    let t = t0;
    while (reps < minReps || t - t0 < minMs / 3) {
      fn();
      reps++;
      t = performance.now();
    }
    best = Math.min(best, (t - t0) / reps);
  }
  return best; // ms per call
}

function onOff(label: string, fn: () => void): { native: number; wasm: number } {
  setNativeKernelsEnabled(true);
  const native = timeIt(fn);
  setNativeKernelsEnabled(false);
  const wasm = timeIt(fn);
  setNativeKernelsEnabled(true);
  return { native, wasm };
}

await initBackend('wasm');
if (!registerNativeKernels({ log: (m) => console.error(m) })) {
  console.error('native kernels unavailable:', nativeStatus());
  process.exit(1);
}
console.log(`native: ${JSON.stringify(nativeAddon()!.info())}; cpus ${os.cpus().length}`);

if (parts.has('matmul')) {
  console.log(`\n## 1024² matMul (load ${load()})`);
  const n = 1024;
  const a = tf.randomNormal([n, n], 0, 1, 'float32', 1);
  const b = tf.randomNormal([n, n], 0, 1, 'float32', 2);
  for (const [ta, tb] of [[false, false], [true, false], [false, true]] as const) {
    const r = onOff('', () => tf.matMul(a, b, ta, tb).dispose());
    const gf = (ms: number) => ((2 * n ** 3) / ms / 1e6).toFixed(1);
    console.log(`transposeA=${ta} transposeB=${tb}: native ${gf(r.native)} GFLOP/s (${r.native.toFixed(1)} ms), wasm ${gf(r.wasm)} GFLOP/s (${r.wasm.toFixed(1)} ms)`);
  }
  tf.dispose([a, b]);
}

if (parts.has('mlp')) {
  console.log(`\n## the bench MLP's products, GFLOP/s through tf.matMul, native 1 thread / all threads / pure wasm (load ${load()})`);
  const threads = nativeAddon()!.info().threads;
  // [m, k, n, transposeA, transposeB, what]: C[m, n] = op(A) op(B).
  const shapes: Array<[number, number, number, boolean, boolean, string]> = [
    [128, 784, 256, false, false, 'layer 1 forward  x[128,784]·W[784,256]'],
    [128, 256, 256, false, false, 'layer 2 forward  h[128,256]·W[256,256]'],
    [784, 128, 256, true, false, 'layer 1 dW       xᵀ[784,128]·g[128,256]'],
    [256, 128, 256, true, false, 'layer 2 dW       hᵀ[256,128]·g[128,256]'],
    [128, 256, 256, false, true, 'layer 2 dx       g[128,256]·Wᵀ[256,256]'],
    [128, 256, 10, false, false, 'head forward     h[128,256]·W[256,10]'],
    [128, 10, 256, false, true, 'head dx          g[128,10]·Wᵀ[10,256]'],
  ];
  for (const [m, k, n, ta, tb, what] of shapes) {
    const a = tf.randomNormal(ta ? [k, m] : [m, k], 0, 1, 'float32', 1);
    const b = tf.randomNormal(tb ? [n, k] : [k, n], 0, 1, 'float32', 2);
    const f = () => tf.matMul(a, b, ta, tb).dispose();
    nativeAddon()!.setThreads(1);
    const one = timeIt(f);
    nativeAddon()!.setThreads(threads);
    const r = onOff('', f);
    const gf = (ms: number) => ((2 * m * n * k) / ms / 1e6).toFixed(1);
    console.log(`${what}: ${gf(one)} / ${gf(r.native)} / ${gf(r.wasm)} GFLOP/s (${(one * 1e3).toFixed(0)} / ${(r.native * 1e3).toFixed(0)} / ${(r.wasm * 1e3).toFixed(0)} µs)`);
    tf.dispose([a, b]);
  }
}

if (parts.has('small')) {
  console.log(`\n## small products, µs per call, native / wasm (load ${load()})`);
  const saved = nativeKernelOptions.minMacs;
  nativeKernelOptions.minMacs = 0;
  const shapes: Array<[number, number, number]> = [[1, 1, 1], [4, 4, 4], [8, 8, 8], [16, 16, 16], [32, 32, 32], [1, 256, 256], [128, 10, 256], [128, 4, 256], [64, 64, 64], [128, 256, 784], [784, 256, 128]];
  for (const [m, n, k] of shapes) {
    const a = tf.randomNormal([m, k], 0, 1, 'float32', 1);
    const b = tf.randomNormal([k, n], 0, 1, 'float32', 2);
    const bt = tf.transpose(b);
    const r = onOff('', () => tf.matMul(a, b).dispose());
    const rt = onOff('', () => tf.matMul(a, bt, false, true).dispose());
    console.log(`${m}x${n}x${k} (${m * n * k} MACs): plain ${(r.native * 1e3).toFixed(1)} / ${(r.wasm * 1e3).toFixed(1)}; transposeB ${(rt.native * 1e3).toFixed(1)} / ${(rt.wasm * 1e3).toFixed(1)}`);
    tf.dispose([a, b, bt]);
  }
  nativeKernelOptions.minMacs = saved;
}

if (parts.has('conv')) {
  console.log(`\n## CNN bench conv kernels, ms per call, native / wasm (load ${load()})`);
  for (const [name, x, w] of [['conv1 28x28x1 -> 32', [64, 28, 28, 1], [3, 3, 1, 32]], ['conv2 26x26x32 -> 64', [64, 26, 26, 32], [3, 3, 32, 64]]] as const) {
    const xt = tf.randomNormal([...x], 0, 1, 'float32', 1) as tf.Tensor4D;
    const wt = tf.randomNormal([...w], 0, 1, 'float32', 2) as tf.Tensor4D;
    const y = tf.conv2d(xt, wt, 1, 'valid');
    const dy = tf.randomNormal(y.shape, 0, 1, 'float32', 3) as tf.Tensor4D;
    const f = onOff('', () => tf.conv2d(xt, wt, 1, 'valid').dispose());
    const bi = onOff('', () => tf.conv2dTranspose(dy, wt, xt.shape, 1, 'valid').dispose());
    const attrs = { strides: 1, pad: 'valid', dataFormat: 'NHWC', dimRoundingMode: undefined, filterShape: [...w] };
    const bf = onOff('', () => (tf.engine().runKernel('Conv2DBackpropFilter', { x: xt, dy }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor).dispose());
    console.log(`${name}: forward ${f.native.toFixed(2)} / ${f.wasm.toFixed(2)}; backprop input ${bi.native.toFixed(2)} / ${bi.wasm.toFixed(2)}; filter grad ${bf.native.toFixed(2)} / ${bf.wasm.toFixed(2)}`);
    tf.dispose([xt, wt, y, dy]);
  }
}

if (parts.has('models')) {
  const seconds = Number(values.seconds);
  const rounds = Number(values.rounds);
  const models = values.models!.split(',') as BenchModel[];
  const split = await loadMnist({ flatten: true, limit: 4096 });
  const flat: Dataset = split.train;
  const byModel: Record<BenchModel, Dataset> = { mlp: flat, cnn: { ...flat, inputShape: [28, 28, 1] } };
  for (const model of models) {
    const best = { native: 0, wasm: 0 };
    for (let r = 0; r < rounds; r++) {
      for (const on of [true, false]) {
        setNativeKernelsEnabled(on);
        const l = load();
        const m = measureMtljs({ model, data: byModel[model], seconds });
        const key = on ? 'native' : 'wasm';
        best[key] = Math.max(best[key], m.stepsPerSec);
        console.log(`${model} ${key}: ${m.stepsPerSec.toFixed(1)} steps/s (load ${l}; tensors ${m.tensorsStart}->${m.tensorsEnd}; loss ${m.lastLoss.toFixed(3)})`);
      }
    }
    setNativeKernelsEnabled(true);
    console.log(`${model}: best native ${best.native.toFixed(1)} steps/s, wasm ${best.wasm.toFixed(1)} steps/s (${(best.native / best.wasm).toFixed(2)}x)`);
  }
}
