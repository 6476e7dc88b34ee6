/**
 * The wasm MaxPoolGrad replacement (src/engine/kernels/max-pool-grad.ts: a JS loop over the wasm heap)
 * against the cpu backend, bitwise: disjoint and overlapping windows, valid/same/numeric padding,
 * rectangular filters and strides, ties (the first maximum in row-major window order gets the
 * gradient, as in tfjs/TF), NaN and -Infinity inputs, tf.grad of maxPool, registration, no leaks.
 */
import { describe, expect, it } from 'vitest';
import { tf } from '../../src/engine/tf.js';
import { registerWasmTrainingKernels } from '../../src/engine/wasm-kernels.js';
import { expectNoLeaks, randn, runKernelDirectly, runOn, usePureWasm } from '../helpers/engine.js';

type Pair = number | [number, number];
type Pad = 'same' | 'valid' | number;

/** Asserts wasm's result equals cpu's bit for bit (NaN equal to NaN, +0 distinct from -0). */
async function expectSameAsCpu(fn: () => tf.Tensor, what: string): Promise<void> {
  const [ref] = await runOn('cpu', fn);
  const [got] = await runOn('wasm', fn);
  expect(got.shape, what).toEqual(ref.shape);
  let mismatches = 0;
  let first = -1;
  ref.values.forEach((v, i) => {
    if (!Object.is(v, got.values[i])) {
      mismatches++;
      if (first < 0) first = i;
    }
  });
  expect(mismatches, `${what}: first mismatch at ${first}: cpu ${ref.values[first]} wasm ${got.values[first]}`).toBe(0);
}

/** Small integers: many ties within each window. */
const ties = (shape: number[], seed: number) => tf.floor(tf.randomUniform(shape, 0, 3, 'float32', seed));

function poolGrad(x: tf.Tensor4D, dy: tf.Tensor4D | null, filterSize: Pair, strides: Pair, pad: Pad, dimRoundingMode?: 'floor' | 'round' | 'ceil'): tf.Tensor {
  const y = tf.maxPool(x, filterSize, strides, pad, dimRoundingMode);
  const g = dy ?? randn(y.shape, 99);
  const attrs: Record<string, unknown> = { filterSize, strides, pad };
  if (dimRoundingMode) attrs.dimRoundingMode = dimRoundingMode;
  return tf.engine().runKernel('MaxPoolGrad', { dy: g, input: x, output: y }, attrs as tf.NamedAttrMap) as tf.Tensor;
}

usePureWasm();

describe('wasm MaxPoolGrad (JS loop on the wasm heap)', () => {
  it('replaces the built-in, idempotently, keeping its setup', () => {
    const cfg = tf.getKernel('MaxPoolGrad', 'wasm');
    expect(cfg.setupFunc).toBeDefined();
    registerWasmTrainingKernels();
    expect(tf.getKernel('MaxPoolGrad', 'wasm').kernelFunc).toBe(cfg.kernelFunc);
  });

  const cases: Array<{ x: number[]; k: Pair; s: Pair; pad: Pad; round?: 'floor' | 'round' | 'ceil' }> = [
    { x: [2, 8, 8, 3], k: 2, s: 2, pad: 'valid' },
    { x: [2, 9, 7, 3], k: 2, s: 2, pad: 'valid' }, // odd sizes: last row/column unused
    { x: [2, 9, 7, 3], k: 2, s: 2, pad: 'same' }, // partial windows at the edges
    { x: [3, 24, 24, 16], k: 2, s: 2, pad: 'valid' }, // the bench CNN's pool (smaller batch)
    { x: [2, 9, 9, 4], k: 3, s: 2, pad: 'same' }, // overlapping windows
    { x: [2, 8, 8, 2], k: 3, s: 1, pad: 'valid' },
    { x: [2, 7, 9, 3], k: [2, 3], s: [2, 1], pad: 'same' },
    { x: [1, 10, 10, 2], k: 3, s: 3, pad: 'valid' },
    { x: [1, 6, 6, 1], k: 1, s: 2, pad: 'valid' },
    { x: [2, 9, 8, 3], k: 3, s: 2, pad: 1, round: 'ceil' },
    { x: [2, 9, 8, 3], k: 2, s: 2, pad: 1, round: 'floor' },
  ];
  for (const [i, c] of cases.entries()) {
    const name = `x=[${c.x}] k=${c.k} s=${c.s} pad=${c.pad}${c.round ? ` ${c.round}` : ''}`;
    it(`matches cpu bitwise: ${name}`, async () => {
      await expectSameAsCpu(() => poolGrad(randn(c.x, 700 + i) as tf.Tensor4D, null, c.k, c.s, c.pad, c.round), `no ties, ${name}`);
      await expectSameAsCpu(() => poolGrad(ties(c.x, 750 + i) as tf.Tensor4D, null, c.k, c.s, c.pad, c.round), `ties, ${name}`);
    });
  }

  it('treats NaN and -Infinity as cpu does (NaN never the maximum; an all -Infinity window passes nothing)', async () => {
    const fn = () => {
      const vals = Array.from(randn([1, 6, 6, 2], 800).dataSync());
      [0, 1, 9, 14, 30].forEach((j) => { vals[j] = NaN; });
      for (const j of [48, 49, 50, 51, 60, 61, 62, 63]) vals[j] = -Infinity; // rows 4-5, cols 0-1: one full 2x2 window per channel
      return poolGrad(tf.tensor4d(vals, [1, 6, 6, 2]), null, 2, 2, 'valid');
    };
    await expectSameAsCpu(fn, 'NaN/-Infinity 2x2');
    const fn3 = () => {
      const vals = Array.from(randn([1, 7, 7, 1], 801).dataSync());
      [3, 10, 24].forEach((j) => { vals[j] = NaN; });
      return poolGrad(tf.tensor4d(vals, [1, 7, 7, 1]), null, 3, 2, 'same');
    };
    await expectSameAsCpu(fn3, 'NaN 3x3 overlapping');
  });

  it('2x2 windows read their maxima from the forward output; an output that is not the maxima is not trusted', async () => {
    // A wrong output (the maxima scaled, one of them NaN) must give the same result as the right one.
    const x = randn([2, 8, 8, 3], 820) as tf.Tensor4D;
    const y = tf.maxPool(x, 2, 2, 'valid');
    const dy = randn(y.shape, 821);
    const attrs = { filterSize: 2, strides: 2, pad: 'valid' } as unknown as tf.NamedAttrMap;
    const right = tf.engine().runKernel('MaxPoolGrad', { dy, input: x, output: y }, attrs) as tf.Tensor;
    for (const wrong of [tf.mul(y, 0.5), tf.add(y, 1), tf.where(tf.equal(tf.reshape(tf.range(0, y.size), y.shape), 5), tf.fill(y.shape, NaN), y)]) {
      const got = tf.engine().runKernel('MaxPoolGrad', { dy, input: x, output: wrong }, attrs) as tf.Tensor;
      expect(Array.from(got.dataSync())).toEqual(Array.from(right.dataSync()));
      tf.dispose([wrong, got]);
    }
    tf.dispose([x, y, dy, right]);
  });

  it('tf.grad of maxPool (after relu, which ties at 0) matches cpu', async () => {
    for (const [k, s, pad] of [[2, 2, 'valid'], [3, 2, 'same']] as const) {
      await expectSameAsCpu(() => {
        const x = randn([2, 10, 10, 4], 810);
        const r = randn(tf.maxPool(x as tf.Tensor4D, k, s, pad).shape, 811);
        return tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(tf.relu(a) as tf.Tensor4D, k, s, pad), r)))(x);
      }, `grad k=${k} s=${s} ${pad}`);
    }
  });

  it('leaks no tensors or backend data, and leaves raw TensorInfo inputs alive', async () => {
    await tf.setBackend('wasm');
    const x = randn([2, 6, 6, 3], 820) as tf.Tensor4D;
    const y = tf.maxPool(x, 2, 2, 'valid');
    const dy = randn(y.shape, 821);
    const attrs = { filterSize: 2, strides: 2, pad: 'valid' };
    const viaEngine = expectNoLeaks(() => tf.engine().runKernel('MaxPoolGrad', { dy, input: x, output: y }, attrs) as tf.Tensor);
    const direct = runKernelDirectly('MaxPoolGrad', { dy, input: x, output: y }, attrs);
    expect(Array.from(direct.dataSync())).toEqual(Array.from(viaEngine.dataSync()));
    expect(tf.sum(x).dataSync()[0]).not.toBeNaN();
    tf.dispose([x, y, dy, viaEngine, direct]);
  });
});
