/**
 * The native CNN-block kernels (src/engine/native/cnn-block.ts): MaxPool and MaxPoolGrad of a 2×2 /
 * stride-2 pool and MtlReluGrad, each against the cpu backend bit for bit (NaN equal to NaN, +0 distinct from
 * -0): ties (the first maximum in row-major window order gets the gradient), odd sizes (a row and a
 * column in no window), channel counts off the 8-lane vectors, NaN / -Infinity windows (handed to the
 * JavaScript scan), other geometries (left to it), the fused layers' relu gradient, the portable
 * (no-AVX2) code, and no leaks.
 */
import { spawnSync } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/engine/backend.js';
import { tf } from '../../src/engine/tf.js';
import { buildNative } from '../../src/engine/native/build.js';
import { loadNativeAddon, nativeKernelCalls, nativeStatus, registerNativeKernels, setNativeKernelsEnabled } from '../../src/engine/native/index.js';
import { RELU_GRAD } from '../../src/engine/native/cnn-block.js';
import { fusedConv2d } from '../../src/engine/fused.js';
import { expectNoLeaks, randn, runOn } from '../helpers/engine.js';

delete process.env.MTL_NATIVE; // this file tests the addon itself

const calls = (name: string) => nativeKernelCalls[name] ?? 0;

beforeAll(async () => {
  expect(await initBackend('wasm')).toBe('wasm');
  if (loadNativeAddon() == null) throw new Error(`the native addon did not build or load: ${nativeStatus().error}`);
  expect(registerNativeKernels()).toBe(true);
});

/** Asserts the wasm backend (native kernels on) gives cpu's values bit for bit. */
async function expectSameAsCpu(fn: () => tf.Tensor, what: string): Promise<void> {
  const [ref] = await runOn('cpu', fn);
  const [got] = await runOn('wasm', fn);
  expect(got!.shape, what).toEqual(ref!.shape);
  let mismatches = 0;
  let first = -1;
  ref!.values.forEach((v, i) => {
    if (!Object.is(v, got!.values[i])) {
      mismatches++;
      if (first < 0) first = i;
    }
  });
  expect(mismatches, `${what}: first mismatch at ${first}: cpu ${ref!.values[first]} wasm ${got!.values[first]}`).toBe(0);
}

/** Small integers: many ties within each window (and zeros, as after a relu). */
const ties = (shape: number[], seed: number) => tf.floor(tf.randomUniform(shape, 0, 3, 'float32', seed));

function poolGrad(x: tf.Tensor4D, pad: 'valid' | 'same' = 'valid', k = 2, s = 2): tf.Tensor {
  const y = tf.maxPool(x, k, s, pad);
  const dy = tf.sub(randn(y.shape, 99), 0.5);
  return tf.engine().runKernel('MaxPoolGrad', { dy, input: x, output: y }, { filterSize: k, strides: s, pad }) as tf.Tensor;
}

describe('native MaxPool (2×2, stride 2)', () => {
  const pool = (x: tf.Tensor, pad: 'valid' | 'same' = 'valid', k = 2, s = 2) => tf.maxPool(x as tf.Tensor4D, k, s, pad);
  for (const [i, shape] of [[2, 8, 8, 16], [3, 24, 24, 64], [2, 9, 7, 13], [1, 5, 6, 3]].entries()) {
    it(`equals cpu bit for bit and runs natively: x [${shape}] (ties, zeros, NaN, -Infinity)`, async () => {
      const special = () => {
        const x = ties(shape, 80 + i).bufferSync();
        x.set(NaN, 0, 0, 0, 0);
        x.set(NaN, 0, 2, 2, shape[3]! - 1);
        x.set(NaN, 0, 2, 3, shape[3]! - 1);
        x.set(NaN, 0, 3, 2, shape[3]! - 1);
        x.set(NaN, 0, 3, 3, shape[3]! - 1); // a window of NaN only: -Infinity
        x.set(-Infinity, 0, 0, 1, 1);
        return x.toTensor();
      };
      const before = calls('MaxPool');
      await expectSameAsCpu(() => pool(randn(shape, 90 + i)), `no ties [${shape}]`);
      await expectSameAsCpu(() => pool(special()), `ties and specials [${shape}]`);
      expect(calls('MaxPool') - before).toBe(2);
    });
  }

  it("other pools go to wasm's kernel ('same' on odd sizes, 3×3), still cpu's values", async () => {
    const before = calls('MaxPool');
    await expectSameAsCpu(() => pool(randn([2, 9, 7, 9], 95), 'same'), "'same', odd");
    await expectSameAsCpu(() => pool(randn([2, 9, 9, 9], 96), 'valid', 3, 2), '3×3 stride 2');
    expect(calls('MaxPool')).toBe(before);
    const even = calls('MaxPool');
    await expectSameAsCpu(() => pool(randn([2, 8, 6, 9], 97), 'same'), "'same', even");
    expect(calls('MaxPool') - even).toBe(1);
  });

  it('the pool and its gradient together: tf.grad through maxPool equals cpu, no leaks', async () => {
    const g = () => tf.grad((x: tf.Tensor) => tf.sum(tf.mul(pool(tf.relu(x)), randn([3, 12, 12, 64], 98))))(randn([3, 24, 24, 64], 99));
    await expectSameAsCpu(g, 'grad of sum(w·maxPool(relu(x)))');
    await tf.setBackend('wasm');
    expectNoLeaks(() => tf.tidy(g));
  });
});

describe('native MaxPoolGrad (2×2, stride 2)', () => {
  const shapes = [[2, 8, 8, 16], [3, 24, 24, 64], [2, 9, 7, 13], [1, 5, 6, 3], [2, 6, 6, 20]];
  for (const [i, shape] of shapes.entries()) {
    it(`equals cpu bit for bit and runs natively: x [${shape}]`, async () => {
      const before = calls('MaxPoolGrad');
      await expectSameAsCpu(() => poolGrad(randn(shape, 10 + i) as tf.Tensor4D), `no ties [${shape}]`);
      await expectSameAsCpu(() => poolGrad(ties(shape, 20 + i) as tf.Tensor4D), `ties [${shape}]`);
      await expectSameAsCpu(() => poolGrad(tf.relu(randn(shape, 30 + i)) as tf.Tensor4D), `relu'd, zero windows [${shape}]`);
      expect(calls('MaxPoolGrad') - before).toBe(3);
    });
  }

  it("'same' padding on even sizes (no padding) runs natively; odd sizes and other pools go to the JavaScript kernel, still exact", async () => {
    let before = calls('MaxPoolGrad');
    await expectSameAsCpu(() => poolGrad(ties([2, 8, 6, 9], 40) as tf.Tensor4D, 'same'), "'same', even");
    expect(calls('MaxPoolGrad') - before).toBe(1);
    before = calls('MaxPoolGrad');
    await expectSameAsCpu(() => poolGrad(ties([2, 9, 7, 9], 41) as tf.Tensor4D, 'same'), "'same', odd: partial windows");
    await expectSameAsCpu(() => poolGrad(ties([2, 9, 9, 9], 42) as tf.Tensor4D, 'same', 3, 2), 'overlapping 3×3');
    await expectSameAsCpu(() => poolGrad(ties([2, 9, 9, 9], 43) as tf.Tensor4D, 'valid', 3, 3), '3×3 stride 3');
    expect(calls('MaxPoolGrad') - before).toBe(0);
  });

  it('windows holding NaN or only -Infinity are recomputed by the scan (same values as cpu)', async () => {
    const special = () => {
      const x = randn([2, 8, 8, 11], 50).bufferSync();
      x.set(NaN, 0, 0, 0, 3);
      x.set(NaN, 1, 5, 4, 10);
      for (const [r, c] of [[2, 2], [2, 3], [3, 2], [3, 3]]) x.set(-Infinity, 0, r!, c!, 7);
      return poolGrad(x.toTensor() as tf.Tensor4D);
    };
    const before = calls('MaxPoolGrad');
    await expectSameAsCpu(special, 'NaN / -Infinity windows');
    expect(calls('MaxPoolGrad') - before).toBe(1); // tried natively, then handed on
  });

  it('falls back when switched off, and leaks nothing (also on the fallback path)', async () => {
    await tf.setBackend('wasm');
    setNativeKernelsEnabled(false);
    try {
      const before = calls('MaxPoolGrad');
      expectNoLeaks(() => tf.tidy(() => poolGrad(ties([2, 8, 8, 16], 60) as tf.Tensor4D)));
      expect(calls('MaxPoolGrad')).toBe(before);
    } finally {
      setNativeKernelsEnabled(true);
    }
    expectNoLeaks(() => tf.tidy(() => poolGrad(ties([2, 8, 8, 16], 61) as tf.Tensor4D)));
    expectNoLeaks(() => tf.tidy(() => {
      const x = randn([1, 4, 4, 8], 62).bufferSync();
      x.set(NaN, 0, 0, 0, 0);
      return poolGrad(x.toTensor() as tf.Tensor4D);
    }));
  });
});

describe('native relu gradient', () => {
  /** dy and y with the values that test the semantics: ±0, ±Infinity, NaN, positive and negative. */
  function specials(): { dy: tf.Tensor; y: tf.Tensor } {
    const n = 4099; // not a multiple of the vector width
    const dy = new Float32Array(n), y = new Float32Array(n);
    const vals = [0, -0, 1.5, -2.25, Infinity, -Infinity, NaN, 1e-40];
    let s = 12345;
    for (let i = 0; i < n; i++) {
      s = (s * 16807) % 2147483647;
      dy[i] = i < 64 ? vals[i % 8]! : s / 2147483647 - 0.5;
      y[i] = i < 64 ? vals[(i >> 3) % 8]! : (s % 1000) / 500 - 1;
    }
    return { dy: tf.tensor(dy, [n]), y: tf.tensor(y, [n]) };
  }

  it('is dy·step(y) of cpu bit for bit (signed zeros, infinities, NaN)', async () => {
    const before = calls(RELU_GRAD);
    const [ref] = await runOn('cpu', () => { const { dy, y } = specials(); return tf.mul(dy, tf.step(y)); });
    const [got] = await runOn('wasm', () => { const { dy, y } = specials(); return tf.engine().runKernel(RELU_GRAD, { dy, y }) as tf.Tensor; });
    expect(calls(RELU_GRAD) - before).toBe(1);
    ref!.values.forEach((v, i) => expect(Object.is(v, got!.values[i]), `at ${i}: cpu ${v} native ${got!.values[i]}`).toBe(true));
  });

  it("is what the fused convolution's gradient uses: its gradients equal cpu's", async () => {
    const grads = () => {
      const x = randn([2, 10, 10, 3], 70);
      const w = tf.mul(randn([3, 3, 3, 8], 71), 0.3);
      const b = tf.mul(randn([8], 72), 0.1);
      const f = (xx: tf.Tensor, ww: tf.Tensor, bb: tf.Tensor) => tf.sum(tf.mul(fusedConv2d(xx, ww, bb, { strides: 1, pad: 'valid', activation: 'relu' }), randn([2, 8, 8, 8], 73)));
      return tf.concat(tf.grads(f)([x, w, b]).map((g) => tf.reshape(g, [-1])));
    };
    const before = calls(RELU_GRAD);
    const [ref] = await runOn('cpu', grads);
    const [got] = await runOn('wasm', grads);
    expect(calls(RELU_GRAD) - before).toBe(1);
    let worst = 0;
    ref!.values.forEach((v, i) => { worst = Math.max(worst, Math.abs(v - got!.values[i]!) / (1 + Math.abs(v))); });
    expect(worst).toBeLessThan(1e-4);
  });
});

describe('portable code (no AVX2)', () => {
  it('computes the same pool, pool gradient and relu gradient as the AVX2 code', () => {
    // One script, run here (AVX2 where the CPU has it) and in a child process with MTL_NATIVE_NO_AVX2=1.
    const file = buildNative().path;
    const script = `
      const k = require(${JSON.stringify(file)});
      const B = 3, H = 9, W = 10, C = 21, OH = 4, OW = 5, n = B * H * W * C, m = B * OH * OW * C;
      const f = new Float32Array(3 * n + 2 * m);
      let s = 11; for (let i = 0; i < n; i++) { s = (s * 16807) % 2147483647; f[i] = (s % 4) - 1; f[n + i] = s / 2147483647 - 0.5; }
      for (let b = 0; b < B; b++) for (let oh = 0; oh < OH; oh++) for (let ow = 0; ow < OW; ow++) for (let c = 0; c < C; c++) {
        let mx = -Infinity;
        for (const [r, q] of [[0, 0], [0, 1], [1, 0], [1, 1]]) mx = Math.max(mx, f[((b * H + 2 * oh + r) * W + 2 * ow + q) * C + c]);
        const o = ((b * OH + oh) * OW + ow) * C + c;
        f[3 * n + o] = mx; f[3 * n + m + o] = f[n + o];
      }
      const heap = new Uint8Array(f.buffer);
      const ok = k.maxPoolGrad2x2(heap, 0, 12 * n, 12 * n + 4 * m, 8 * n, B, H, W, C, OH, OW);
      const pool = Array.from(f.subarray(2 * n, 3 * n));
      k.maxPool2x2(heap, 0, 12 * n, B, H, W, C, OH, OW);
      const maxima = Array.from(f.subarray(3 * n, 3 * n + m));
      k.reluGrad(heap, 4 * n, 0, 8 * n, n);
      const relu = Array.from(f.subarray(2 * n, 3 * n));
      console.log(JSON.stringify({ avx2: k.info().avx2, ok, pool, relu, maxima }));`;
    const run = (env: Record<string, string | undefined>) => {
      const res = spawnSync(process.execPath, ['-e', script], { env: { ...process.env, ...env }, encoding: 'utf8', timeout: 60_000 });
      expect(res.status, res.stderr).toBe(0);
      return JSON.parse(res.stdout.trim());
    };
    const portable = run({ MTL_NATIVE_NO_AVX2: '1' });
    const here = run({ MTL_NATIVE_NO_AVX2: undefined });
    expect(portable.avx2).toBe(false);
    expect(portable.ok).toBe(true);
    expect(here.ok).toBe(true);
    expect(portable.pool).toEqual(here.pool);
    expect(portable.relu).toEqual(here.relu);
    expect(portable.maxima).toEqual(here.maxima);
    // Each window passes its gradient to exactly one position (sum of |dx| = sum of |dy| per image).
    expect(portable.pool.filter((v: number) => v !== 0).length).toBeGreaterThan(0);
  });
});
