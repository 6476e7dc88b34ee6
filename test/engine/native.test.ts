/**
 * The native kernels (src/engine/native/): the addon builds here (g++ and Node's headers are on every
 * machine of this project, so a failed build FAILS this file, with the compiler's message), and for
 * every kernel it replaces, the native path gives the pure-wasm path's numbers and the cpu backend's
 * (1e-4 relative) on seeded random inputs: products with all transpose combinations, batches and
 * broadcasts, odd sizes that are not multiples of the blocking (6x16 tiles, 144/256 blocks), 1 x N and
 * N x 1; fused bias + activations; convolutions with strides, paddings, dilations and their two
 * gradients. Adam's fused update (mtljs's FusedAdamOptimizer) equals tfjs's bit for bit, and a small
 * tfjs-layers model trained 5 steps ends with the same weights with native kernels on and off. No
 * tensors or wasm buffers leak.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/engine/backend.js';
import { tf, tfl } from '../../src/engine/tf.js';
import {
  fusedAdam, loadNativeAddon, nativeAddon, nativeKernelCalls, nativeKernelOptions, nativeStatus, registerNativeKernels, setNativeKernelsEnabled,
} from '../../src/engine/native/index.js';
import { buildNative, nativeTargetPath } from '../../src/engine/native/build.js';
import { backendDataIds, outputs, randn, relDiff, worstRelDiff, type Computation } from '../helpers/engine.js';

delete process.env.MTL_NATIVE; // this file tests the addon itself

const TOL = 1e-4;
const calls = (name: string) => nativeKernelCalls[name] ?? 0;

/**
 * `fn` three ways: native kernels on wasm, the previous wasm kernels, and the cpu backend. Checks
 * that the native `kernel` actually ran and returns the worst relative difference (against the cpu
 * backend only where the previous wasm kernel is known to be wrong).
 */
async function compare(fn: Computation, kernel: string | string[], against: 'both' | 'cpu' = 'both'): Promise<number> {
  const kernels = Array.isArray(kernel) ? kernel : [kernel];
  await tf.setBackend('cpu');
  const ref = outputs(fn);
  await tf.setBackend('wasm');
  setNativeKernelsEnabled(false);
  const wasm = outputs(fn);
  setNativeKernelsEnabled(true);
  const before = kernels.map(calls);
  const native = outputs(fn);
  kernels.forEach((k, i) => expect(calls(k), `native ${k} did not run`).toBeGreaterThan(before[i]));
  return against === 'cpu' ? worstRelDiff(ref, native) : Math.max(worstRelDiff(ref, native), worstRelDiff(wasm, native));
}

beforeAll(async () => {
  expect(await initBackend('wasm')).toBe('wasm');
  const addon = loadNativeAddon();
  if (addon == null) {
    throw new Error(`the native addon did not build or load (g++ and Node's headers are expected on this machine): ${nativeStatus().error}`);
  }
  expect(registerNativeKernels()).toBe(true);
});

let tensorsBefore = 0;
let idsBefore = 0;
let savedMinMacs = 0;
beforeEach(async () => {
  await tf.setBackend('wasm');
  setNativeKernelsEnabled(true);
  savedMinMacs = nativeKernelOptions.minMacs;
  nativeKernelOptions.minMacs = 0; // every size through the native kernels
  tensorsBefore = tf.memory().numTensors;
  idsBefore = backendDataIds();
});
afterEach(async () => {
  nativeKernelOptions.minMacs = savedMinMacs;
  setNativeKernelsEnabled(true);
  await tf.setBackend('wasm');
  expect(tf.memory().numTensors).toBe(tensorsBefore);
  expect(backendDataIds()).toBe(idsBefore);
});

describe('native addon', () => {
  it('is built, loaded and registered over the wasm kernels (idempotently)', () => {
    const status = nativeStatus();
    expect(status.loaded).toBe(true);
    expect(fs.existsSync(status.path!)).toBe(true);
    const info = nativeAddon()!.info();
    expect(info.threads).toBeGreaterThanOrEqual(1);
    const before = tf.getKernel('BatchMatMul', 'wasm').kernelFunc;
    expect(registerNativeKernels()).toBe(true);
    expect(tf.getKernel('BatchMatMul', 'wasm').kernelFunc).toBe(before);
    for (const k of ['BatchMatMul', '_FusedMatMul', 'Conv2D', 'FusedConv2D', 'Conv2DBackpropInput', 'Conv2DBackpropFilter']) {
      expect((tf.getKernel(k, 'wasm').kernelFunc as unknown as Record<symbol, unknown>)[Symbol.for('mtljs.nativeKernel')]).toBe(k);
    }
  });

  it('rejects offsets outside the heap', () => {
    const heap = new Uint8Array(64);
    expect(() => nativeAddon()!.sgemm(heap, 0, 0, 60, 1, 2, 2, 2, false, false, 0, 0, 1, 0, -1, 0, 0, 0)).toThrow(/bounds/);
  });

  it('builds once when several processes start at the same time (lock + rename), taking over a dead builder\'s lock', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mtljs-native-test-'));
    const savedCache = process.env.MTL_NATIVE_CACHE;
    try {
      // A lock left by a builder that died (no such process).
      process.env.MTL_NATIVE_CACHE = path.join(dir, 'cache');
      const target = nativeTargetPath();
      if (savedCache === undefined) delete process.env.MTL_NATIVE_CACHE;
      else process.env.MTL_NATIVE_CACHE = savedCache;
      fs.mkdirSync(path.dirname(target), { recursive: true });
      fs.writeFileSync(`${target}.lock`, '2147483646');
      const script = `
        import { buildNative } from ${JSON.stringify(path.resolve('src/engine/native/build.ts'))};
        const r = buildNative();
        console.log(JSON.stringify(r));`;
      const file = path.join(dir, 'b.mts');
      fs.writeFileSync(file, script);
      const tsx = path.resolve('node_modules/tsx/dist/cli.mjs');
      const env = { ...process.env, MTL_NATIVE_CACHE: path.join(dir, 'cache') };
      // Two builders at once, via a shell so that they really overlap.
      const res = spawnSync('sh', ['-c', `node ${tsx} ${file} > ${dir}/a.out & node ${tsx} ${file} > ${dir}/b.out & wait`], { env, encoding: 'utf8', timeout: 240_000 });
      expect(res.status).toBe(0);
      const outs = ['a.out', 'b.out'].map((f) => JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8').trim().split('\n').pop()!));
      expect(outs[0].path).toBe(outs[1].path);
      expect(outs.filter((o) => o.built).length).toBe(1);
      const left = fs.readdirSync(path.join(dir, 'cache'));
      expect(left).toEqual([path.basename(outs[0].path)]); // no lock or temporary file left
      expect(outs[0].path).toBe(target);
    } finally {
      if (savedCache === undefined) delete process.env.MTL_NATIVE_CACHE;
      else process.env.MTL_NATIVE_CACHE = savedCache;
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 300_000);

  it('falls back (registerNativeKernels() false, a reason given) without a compiler or with MTL_NATIVE=0', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mtljs-native-test-'));
    try {
      const script = `
        import { initBackend } from ${JSON.stringify(path.resolve('src/engine/backend.ts'))};
        import { registerNativeKernels, nativeStatus } from ${JSON.stringify(path.resolve('src/engine/native/index.ts'))};
        await initBackend('wasm');
        console.log(JSON.stringify({ registered: registerNativeKernels(), status: nativeStatus() }));`;
      const file = path.join(dir, 'f.mts');
      fs.writeFileSync(file, script);
      const tsx = path.resolve('node_modules/tsx/dist/cli.mjs');
      const runWith = (env: Record<string, string>) => {
        const res = spawnSync(process.execPath, [tsx, file], { env: { ...process.env, MTL_NATIVE_CACHE: path.join(dir, 'cache'), ...env }, encoding: 'utf8', timeout: 120_000 });
        expect(res.status, res.stderr).toBe(0);
        return JSON.parse(res.stdout.trim().split('\n').pop()!);
      };
      const noCompiler = runWith({ CXX: path.join(dir, 'no-such-compiler') });
      expect(noCompiler.registered).toBe(false);
      expect(noCompiler.status.error).toMatch(/cannot run/);
      const off = runWith({ MTL_NATIVE: '0' });
      expect(off.registered).toBe(false);
      expect(off.status.error).toMatch(/MTL_NATIVE/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 300_000);

  it('gives the same numbers on its portable (non-AVX2) path', () => {
    const file = buildNative().path;
    const script = `
      const k = require(${JSON.stringify(file)});
      const M = 13, N = 37, K = 300;
      const f = new Float32Array(M * K + K * N + M * N);
      let s = 7; for (let i = 0; i < M * K + K * N; i++) { s = (s * 16807) % 2147483647; f[i] = s / 2147483647 - 0.5; }
      k.sgemm(new Uint8Array(f.buffer), 0, 4 * M * K, 4 * (M * K + K * N), 1, M, N, K, false, true, 0, 0, 1, 0, -1, 0, 0, 0);
      let worst = 0;
      for (let i = 0; i < M; i++) for (let j = 0; j < N; j++) {
        let r = 0; for (let p = 0; p < K; p++) r += f[i * K + p] * f[M * K + j * K + p];
        worst = Math.max(worst, Math.abs(r - f[M * K + K * N + i * N + j]));
      }
      console.log(JSON.stringify({ avx2: k.info().avx2, worst }));`;
    const res = spawnSync(process.execPath, ['-e', script], { env: { ...process.env, MTL_NATIVE_NO_AVX2: '1' }, encoding: 'utf8' });
    expect(res.status, res.stderr).toBe(0);
    const out = JSON.parse(res.stdout.trim());
    expect(out.avx2).toBe(false);
    expect(out.worst).toBeLessThan(1e-4);
  });
});

const COMBOS: Array<[boolean, boolean]> = [[false, false], [true, false], [false, true], [true, true]];

/** [m, k, n]: tiny, 1 x N, N x 1, odd, and sizes across the 6x16 tiles and 144/256/3072 blocks. */
const SIZES: Array<[number, number, number]> = [
  [1, 1, 1], [1, 300, 257], [257, 300, 1], [7, 3, 5], [13, 257, 33], [6, 256, 16], [145, 513, 47], [150, 600, 70], [300, 9, 20], [37, 1, 41],
];

function operands(batchA: number[], batchB: number[], m: number, k: number, n: number, ta: boolean, tb: boolean, seed: number) {
  return { a: randn([...batchA, ...(ta ? [k, m] : [m, k])], seed), b: randn([...batchB, ...(tb ? [n, k] : [k, n])], seed + 1) };
}

describe('native BatchMatMul', () => {
  for (const [m, k, n] of SIZES) {
    it(`${m}x${k} · ${k}x${n}, all transpose combinations`, async () => {
      for (const [ta, tb] of COMBOS) {
        const d = await compare(() => {
          const { a, b } = operands([], [], m, k, n, ta, tb, m + k + n);
          return tf.matMul(a, b, ta, tb);
        }, 'BatchMatMul');
        expect(d, `transposeA=${ta} transposeB=${tb}`).toBeLessThan(TOL);
      }
    });
  }

  it('batched, and broadcast on either side', async () => {
    const cases: Array<[number[], number[]]> = [[[3], [3]], [[2, 3], [2, 3]], [[4], []], [[], [4]], [[2, 2], [1]], [[1], [3]]];
    for (const [ba, bb] of cases) {
      for (const [ta, tb] of COMBOS) {
        const d = await compare(() => {
          const { a, b } = operands(ba, bb, 19, 23, 29, ta, tb, 5);
          return tf.matMul(a, b, ta, tb);
        }, 'BatchMatMul');
        expect(d, `batch ${ba} x ${bb}, ${ta} ${tb}`).toBeLessThan(TOL);
      }
    }
  });

  it('many small products in a batch (split across threads) and one large product', async () => {
    expect(await compare(() => tf.matMul(randn([64, 12, 20], 1), randn([64, 20, 9], 2)), 'BatchMatMul')).toBeLessThan(TOL);
    expect(await compare(() => tf.matMul(randn([300, 700], 1), randn([700, 520], 2), false, false), 'BatchMatMul')).toBeLessThan(TOL);
  });

  it('a Gramian GGᵀ of a few long rows (the dot-product path), with fused bias and in a batch', async () => {
    for (const [t, k] of [[2, 70_001], [8, 4099], [3, 65]]) {
      expect(await compare(() => { const g = randn([t, k], t); return tf.matMul(g, g, false, true); }, 'BatchMatMul'), `T=${t} K=${k}`).toBeLessThan(TOL);
    }
    expect(await compare(() => tf.matMul(randn([3, 2, 5000], 1), randn([3, 4, 5000], 2), false, true), 'BatchMatMul')).toBeLessThan(TOL);
    expect(await compare(() => tf.fused.matMul({ a: randn([4, 3000], 1), b: randn([5, 3000], 2), transposeB: true, bias: randn([5], 3), activation: 'relu' }), '_FusedMatMul')).toBeLessThan(TOL);
  });

  it('two-sided broadcasting ([2, 1] x [1, 3] batches), against explicitly tiled operands on cpu', async () => {
    // (tfjs's cpu and wasm kernels both pair the batches wrongly here: item i takes a[i % 2], b[i % 3].)
    for (const [ta, tb] of COMBOS) {
      await tf.setBackend('cpu');
      const ref = outputs(() => {
        const { a, b } = operands([2, 1], [1, 3], 5, 7, 4, ta, tb, 1);
        return tf.matMul(tf.tile(a, [1, 3, 1, 1]), tf.tile(b, [2, 1, 1, 1]), ta, tb);
      });
      await tf.setBackend('wasm');
      const before = calls('BatchMatMul');
      const got = outputs(() => {
        const { a, b } = operands([2, 1], [1, 3], 5, 7, 4, ta, tb, 1);
        return tf.matMul(a, b, ta, tb);
      });
      expect(worstRelDiff(ref, got)).toBeLessThan(TOL);
      expect(calls('BatchMatMul')).toBe(before + 1);
    }
  });

  it('gradients of a product (the transposed products of a backward pass)', async () => {
    const d = await compare(() => {
      const a = randn([33, 70], 1);
      const b = randn([70, 45], 2);
      return tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.square(tf.matMul(x, y))))([a, b]);
    }, 'BatchMatMul');
    expect(d).toBeLessThan(TOL);
  });

  it('keeps small products on the previous kernel below minMacs', async () => {
    nativeKernelOptions.minMacs = 1000;
    const before = calls('BatchMatMul');
    outputs(() => tf.matMul(randn([4, 5], 1), randn([5, 6], 2)));
    expect(calls('BatchMatMul')).toBe(before);
    outputs(() => tf.matMul(randn([10, 10], 1), randn([10, 10], 2)));
    expect(calls('BatchMatMul')).toBe(before + 1);
  });

  it('gives the same numbers on one thread and on several', async () => {
    const addon = nativeAddon()!;
    const threads = addon.info().threads;
    const fn = () => tf.matMul(randn([300, 200], 1), randn([150, 300], 2), true, true);
    try {
      addon.setThreads(1);
      const one = outputs(fn);
      addon.setThreads(Math.max(2, threads));
      expect(worstRelDiff(one, outputs(fn))).toBeLessThan(1e-6);
    } finally {
      addon.setThreads(threads);
    }
  });
});

describe('native _FusedMatMul', () => {
  const activations: Array<[tf.fused.Activation, number | undefined]> = [
    ['linear', undefined], ['relu', undefined], ['relu6', undefined], ['leakyrelu', 0.2], ['sigmoid', undefined], ['elu', undefined],
  ];
  for (const [activation, leakyreluAlpha] of activations) {
    it(`bias + ${activation}`, async () => {
      for (const [ta, tb] of COMBOS) {
        for (const biasShape of [[29], [1]]) {
          const d = await compare(() => {
            const { a, b } = operands([], [], 17, 31, 29, ta, tb, 3);
            return tf.fused.matMul({ a, b, transposeA: ta, transposeB: tb, bias: tf.mul(randn(biasShape, 9), 3), activation, leakyreluAlpha });
          }, '_FusedMatMul', biasShape[0] === 1 ? 'cpu' : 'both'); // wasm's own reads a [1] bias as [n]
          expect(d, `${ta} ${tb} bias ${biasShape}`).toBeLessThan(TOL);
        }
      }
    });
  }

  it('without bias, batched, and with its gradient', async () => {
    expect(await compare(() => tf.fused.matMul({ a: randn([3, 9, 14], 1), b: randn([3, 14, 11], 2), activation: 'relu' }), '_FusedMatMul')).toBeLessThan(TOL);
    // Under a gradient tfjs fuses only a linear activation.
    const d = await compare(() => {
      const a = randn([12, 20], 1);
      const b = randn([20, 8], 2);
      const bias = randn([8], 3);
      return tf.grads((x: tf.Tensor, y: tf.Tensor, z: tf.Tensor) =>
        tf.sum(tf.square(tf.fused.matMul({ a: x as tf.Tensor2D, b: y as tf.Tensor2D, bias: z, activation: 'linear' }))))([a, b, bias]);
    }, ['_FusedMatMul', 'BatchMatMul']);
    expect(d).toBeLessThan(TOL);
  });

  it('leaves prelu to the previous kernel, with the right result', async () => {
    await tf.setBackend('cpu');
    const fn = () => tf.fused.matMul({ a: randn([6, 7], 1), b: randn([7, 5], 2), bias: randn([5], 3), activation: 'prelu', preluActivationWeights: tf.fill([5], 0.1) });
    const ref = outputs(fn);
    await tf.setBackend('wasm');
    expect(worstRelDiff(ref, outputs(fn))).toBeLessThan(TOL);
  });
});

interface ConvCase {
  x: [number, number, number, number];
  f: [number, number, number, number];
  strides: number | [number, number];
  pad: 'valid' | 'same' | tf.backend_util.ExplicitPadding;
  dilations?: number | [number, number];
}

const CONVS: ConvCase[] = [
  { x: [2, 11, 13, 3], f: [3, 3, 3, 5], strides: 1, pad: 'valid' },
  { x: [2, 11, 13, 3], f: [3, 3, 3, 5], strides: 1, pad: 'same' },
  { x: [2, 11, 13, 3], f: [3, 3, 3, 5], strides: 2, pad: 'same' },
  { x: [3, 12, 9, 4], f: [3, 2, 4, 7], strides: [2, 1], pad: 'valid' },
  { x: [1, 10, 10, 2], f: [4, 4, 2, 3], strides: 3, pad: 'same' },
  { x: [2, 9, 11, 5], f: [3, 3, 5, 17], strides: 1, pad: [[0, 0], [1, 2], [0, 1], [0, 0]] },
  { x: [2, 13, 12, 3], f: [3, 3, 3, 4], strides: 1, pad: 'same', dilations: 2 },
  { x: [2, 13, 12, 3], f: [2, 3, 3, 4], strides: 1, pad: 'valid', dilations: [2, 1] },
  { x: [4, 8, 8, 1], f: [5, 5, 1, 6], strides: 1, pad: 'same' },
  { x: [2, 7, 7, 33], f: [1, 1, 33, 20], strides: 1, pad: 'valid' },
  { x: [5, 28, 28, 1], f: [3, 3, 1, 32], strides: 1, pad: 'valid' },
  // Wide enough for the indirect kernel (Ci >= 8, Co >= 16), with borders, many taps, many channels.
  { x: [3, 10, 9, 16], f: [3, 3, 16, 32], strides: 1, pad: 'same' },
  { x: [2, 9, 8, 20], f: [5, 3, 20, 18], strides: 1, pad: [[0, 0], [2, 1], [0, 2], [0, 0]] },
  { x: [2, 8, 8, 16], f: [3, 3, 16, 17], strides: 1, pad: 'same', dilations: 2 },
  { x: [1, 6, 6, 400], f: [2, 2, 400, 16], strides: 1, pad: 'valid' },
  { x: [2, 12, 12, 24], f: [3, 3, 24, 40], strides: 2, pad: 'same' },
];

const describeConv = (c: ConvCase) => `x ${c.x} filter ${c.f} strides ${c.strides} pad ${JSON.stringify(c.pad)} dilations ${c.dilations ?? 1}`;

describe('native convolutions', () => {
  for (const c of CONVS) {
    it(`forward, fused forward and both gradients: ${describeConv(c)}`, async () => {
      const dil = c.dilations ?? 1;
      const conv = (x: tf.Tensor, w: tf.Tensor) => tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, c.strides, c.pad, 'NHWC', dil);
      const grads = () => {
        const x = randn(c.x, 1);
        const w = randn(c.f, 2);
        const y = conv(x, w);
        const dy = randn(y.shape, 3);
        return tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(conv(a, b), dy)))([x, w]);
      };
      const addon = nativeAddon()!;
      try {
        // Both formulations: the indirect kernel (default) and the packed im2col.
        for (const indirect of [true, false]) {
          addon.setIndirectConv(indirect);
          const mode = indirect ? 'indirect' : 'im2col';
          expect(await compare(() => conv(randn(c.x, 1), randn(c.f, 2)), 'Conv2D'), `forward, ${mode}`).toBeLessThan(TOL);
          expect(await compare(() => tf.fused.conv2d({
            x: randn(c.x, 1) as tf.Tensor4D, filter: randn(c.f, 2) as tf.Tensor4D, strides: c.strides, pad: c.pad, dilations: dil,
            bias: randn([c.f[3]], 3), activation: 'relu',
          }), 'FusedConv2D'), `fused, ${mode}`).toBeLessThan(TOL);
          // tfjs has no conv2d gradient for dilations > 1.
          if (dil === 1) expect(await compare(grads, ['Conv2DBackpropFilter', 'Conv2DBackpropInput']), `gradients, ${mode}`).toBeLessThan(TOL);
        }
      } finally {
        addon.setIndirectConv(true);
      }
    });
  }

  it('conv2dTranspose (Conv2DBackpropInput directly), strided', async () => {
    const d = await compare(() => tf.conv2dTranspose(randn([2, 5, 6, 7], 1) as tf.Tensor4D, randn([3, 3, 4, 7], 2) as tf.Tensor4D, [2, 10, 12, 4], 2, 'same'), 'Conv2DBackpropInput');
    expect(d).toBeLessThan(TOL);
  });
});

describe('native Adam', () => {
  function train(steps: number, keepClone: boolean): { values: Float32Array[]; clone?: Float32Array } {
    const vars = tf.tidy(() => [tf.variable(randn([37, 11], 1)), tf.variable(randn([300], 2)), tf.variable(randn([4, 5, 6], 3))]);
    const clone = keepClone ? tf.clone(vars[0]) : null;
    const cloneBefore = clone?.dataSync().slice();
    const opt = fusedAdam(0.01);
    for (let s = 0; s < steps; s++) {
      opt.minimize(() => tf.addN(vars.map((v, i) => tf.sum(tf.mul(tf.sin(tf.mul(v, i + 1)), tf.cos(v))))) as tf.Scalar);
    }
    const values = vars.map((v) => v.dataSync().slice() as Float32Array);
    if (clone) expect(Array.from(clone.dataSync())).toEqual(Array.from(cloneBefore!)); // untouched by the in-place update
    tf.dispose([...vars, ...(clone ? [clone] : [])]);
    opt.dispose();
    return { values };
  }

  it('updates in place with the same bits as tfjs', () => {
    setNativeKernelsEnabled(false);
    const ref = train(6, false);
    setNativeKernelsEnabled(true);
    const before = calls('adamUpdate');
    const got = train(6, false);
    expect(calls('adamUpdate')).toBeGreaterThanOrEqual(before + 18);
    got.values.forEach((v, i) => expect(Array.from(v)).toEqual(Array.from(ref.values[i])));
  });

  it('gives a parameter shared with another tensor a copy of its own first (same result, the other tensor intact)', () => {
    setNativeKernelsEnabled(false);
    const ref = train(3, true);
    setNativeKernelsEnabled(true);
    const got = train(3, true);
    got.values.forEach((v, i) => expect(Array.from(v)).toEqual(Array.from(ref.values[i])));
  });
});

describe('a small tfjs-layers model', () => {
  function build(): tfl.LayersModel {
    const init = (seed: number) => tfl.initializers.glorotUniform({ seed });
    const input = tfl.input({ shape: [12, 12, 2] });
    let h = tfl.layers.conv2d({ filters: 8, kernelSize: 3, activation: 'relu', kernelInitializer: init(1) }).apply(input) as tfl.SymbolicTensor;
    h = tfl.layers.conv2d({ filters: 6, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu', kernelInitializer: init(2) }).apply(h) as tfl.SymbolicTensor;
    h = tfl.layers.flatten().apply(h) as tfl.SymbolicTensor;
    h = tfl.layers.dense({ units: 32, activation: 'relu', kernelInitializer: init(3) }).apply(h) as tfl.SymbolicTensor;
    const out = tfl.layers.dense({ units: 5, activation: 'softmax', kernelInitializer: init(4) }).apply(h) as tfl.SymbolicTensor;
    const model = tfl.model({ inputs: input, outputs: out });
    model.compile({ optimizer: fusedAdam(0.01), loss: 'categoricalCrossentropy' });
    return model;
  }

  async function trainFive(): Promise<Float32Array[]> {
    const model = build();
    const x = randn([16, 12, 12, 2], 11);
    const y = tf.tidy(() => tf.oneHot(tf.cast(tf.mul(tf.randomUniform([16], 0, 1, 'float32', 12), 5), 'int32'), 5));
    for (let s = 0; s < 5; s++) await model.trainOnBatch(x, y);
    const weights = model.getWeights().map((w) => w.dataSync().slice() as Float32Array);
    tf.dispose([x, y]);
    model.optimizer.dispose();
    model.dispose();
    return weights;
  }

  it('trained 5 steps, ends with the same weights with native kernels on and off', async () => {
    setNativeKernelsEnabled(false);
    const off = await trainFive();
    setNativeKernelsEnabled(true);
    // Under a gradient tfjs-layers' conv and dense layers run Conv2D / BatchMatMul (+ bias, activation).
    const kernels = ['Conv2D', 'Conv2DBackpropFilter', 'Conv2DBackpropInput', 'BatchMatMul', 'adamUpdate'];
    const before = kernels.map(calls);
    const on = await trainFive();
    kernels.forEach((k, i) => {
      expect(calls(k), `native ${k} did not run`).toBeGreaterThan(before[i]);
    });
    expect(on.length).toBe(off.length);
    on.forEach((w, i) => {
      const d = relDiff(off[i], w);
      expect(d, `weight ${i}`).toBeLessThan(TOL);
    });
  });
});
