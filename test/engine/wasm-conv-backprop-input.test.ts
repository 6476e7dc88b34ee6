/**
 * The wasm Conv2DBackpropInput replacement (src/engine/kernels/conv2d-backprop-input.ts: a forward
 * convolution of the stride-dilated dy with the flipped, channel-swapped filter) against the cpu
 * backend: strides 1/2/(3,2), same/valid/numeric/explicit padding (including padding wider than the
 * filter, which crops), NCHW, dimRoundingMode, conv2dTranspose (whose forward pass is this kernel),
 * registration, and no leaks.
 */
import { describe, expect, it } from 'vitest';
import { tf } from '../../src/engine/tf.js';
import { registerWasmTrainingKernels } from '../../src/engine/wasm-kernels.js';
import { cpuVsWasm, expectNoLeaks, randn, runKernelDirectly, usePureWasm } from '../helpers/engine.js';

const TOL = 1e-4;
type Pad = 'same' | 'valid' | number | [[number, number], [number, number], [number, number], [number, number]];

/** Runs the kernel directly: dy of the forward output's shape, a random filter. */
function backpropInput(x: number[], f: number[], strides: number | [number, number], pad: Pad, seed: number, extra: Record<string, unknown> = {}): tf.Tensor {
  const rounding = extra.dimRoundingMode as 'floor' | 'round' | 'ceil' | undefined;
  const dyShape = tf.backend_util.computeConv2DInfo(x as [number, number, number, number], f as [number, number, number, number], strides, 1, pad, rounding).outShape;
  const attrs = { strides, pad, dataFormat: 'NHWC', inputShape: x, ...extra };
  return tf.engine().runKernel('Conv2DBackpropInput', { dy: randn(dyShape, seed), filter: randn(f, seed + 1) }, attrs) as tf.Tensor;
}

usePureWasm();

describe('wasm Conv2DBackpropInput (forward-conv formulation)', () => {
  it('replaces the built-in, idempotently', () => {
    const cfg = tf.getKernel('Conv2DBackpropInput', 'wasm');
    expect(cfg.setupFunc).toBeDefined(); // the built-in's setup (its C binding) is kept
    registerWasmTrainingKernels();
    expect(tf.getKernel('Conv2DBackpropInput', 'wasm').kernelFunc).toBe(cfg.kernelFunc);
  });

  const cases: Array<{ x: number[]; f: number[]; s: number | [number, number]; pad: Pad }> = [
    { x: [2, 9, 8, 3], f: [3, 3, 3, 4], s: 1, pad: 'same' },
    { x: [2, 9, 8, 3], f: [3, 3, 3, 4], s: 1, pad: 'valid' },
    { x: [2, 9, 8, 3], f: [3, 3, 3, 4], s: 2, pad: 'same' },
    { x: [2, 9, 8, 3], f: [3, 3, 3, 4], s: 2, pad: 'valid' },
    { x: [2, 10, 10, 3], f: [3, 3, 3, 4], s: 2, pad: 'same' },
    { x: [2, 10, 10, 3], f: [4, 4, 3, 2], s: 2, pad: 'same' },
    { x: [1, 11, 10, 2], f: [5, 4, 2, 3], s: [3, 2], pad: 'same' },
    { x: [1, 11, 10, 2], f: [5, 4, 2, 3], s: [3, 2], pad: 'valid' },
    { x: [2, 6, 7, 8], f: [1, 1, 8, 5], s: 2, pad: 'valid' },
    { x: [2, 9, 9, 3], f: [3, 3, 3, 2], s: 2, pad: 1 },
    { x: [2, 9, 8, 3], f: [3, 3, 3, 2], s: 1, pad: [[0, 0], [2, 1], [0, 2], [0, 0]] },
    { x: [2, 9, 8, 3], f: [3, 3, 3, 2], s: 2, pad: [[0, 0], [4, 0], [1, 3], [0, 0]] }, // pad > filter - 1: crops
    { x: [4, 26, 26, 32], f: [3, 3, 32, 64], s: 1, pad: 'valid' }, // the bench CNN's second layer (batch 4)
    { x: [3, 14, 14, 16], f: [3, 3, 16, 8], s: 2, pad: 'same' },
  ];
  for (const [i, c] of cases.entries()) {
    it(`matches cpu: x=[${c.x}] f=[${c.f}] s=${c.s} pad=${JSON.stringify(c.pad)}`, async () => {
      expect(await cpuVsWasm(() => backpropInput(c.x, c.f, c.s, c.pad, 300 + 2 * i))).toBeLessThan(TOL);
      // and through tf.grad of conv2d, as training reaches it
      const d = await cpuVsWasm(() => {
        const x = randn(c.x, 400 + i);
        const w = randn(c.f, 450 + i);
        const r = randn(tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, c.s, c.pad).shape, 500 + i);
        return tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(a as tf.Tensor4D, w as tf.Tensor4D, c.s, c.pad), r)))(x);
      });
      expect(d).toBeLessThan(TOL);
    });
  }

  it('matches cpu with NCHW data', async () => {
    for (const [s, pad] of [[1, 'same'], [2, 'valid'], [2, 'same']] as const) {
      const d = await cpuVsWasm(() => {
        const inputShape = [2, 3, 9, 8]; // N, C, H, W
        const dyShape = tf.backend_util.computeConv2DInfo([2, 9, 8, 3], [3, 3, 3, 4], s, 1, pad).outShape; // NHWC
        const dy = tf.transpose(randn(dyShape, 600), [0, 3, 1, 2]);
        const attrs = { strides: s, pad, dataFormat: 'NCHW', inputShape };
        return tf.engine().runKernel('Conv2DBackpropInput', { dy, filter: randn([3, 3, 3, 4], 601) }, attrs) as tf.Tensor;
      });
      expect(d, `s=${s} pad=${pad}`).toBeLessThan(TOL);
    }
  });

  it('matches cpu with dimRoundingMode ceil (dy one row/column larger than floor)', async () => {
    const d = await cpuVsWasm(() => backpropInput([2, 9, 8, 3], [3, 3, 3, 2], 2, 1, 610, { dimRoundingMode: 'ceil' }));
    expect(d).toBeLessThan(TOL);
  });

  it('conv2dTranspose (forward is this kernel) and its gradients match cpu', async () => {
    for (const [s, pad, outShape] of [[2, 'same', [2, 10, 10, 3]], [2, 'valid', [2, 11, 11, 3]], [1, 'same', [2, 5, 5, 3]]] as const) {
      const d = await cpuVsWasm(() => tf.conv2dTranspose(randn([2, 5, 5, 4], 620) as tf.Tensor4D, randn([3, 3, 3, 4], 621) as tf.Tensor4D, outShape as unknown as [number, number, number, number], s, pad));
      expect(d, `forward s=${s} pad=${pad}`).toBeLessThan(TOL);
      const g = await cpuVsWasm(() => {
        const x = randn([2, 5, 5, 4], 622);
        const w = randn([3, 3, 3, 4], 623);
        const r = randn(outShape as unknown as number[], 624);
        const f = (a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(tf.conv2dTranspose(a as tf.Tensor4D, b as tf.Tensor4D, outShape as unknown as [number, number, number, number], s, pad), r));
        const [gx, gw] = tf.grads(f)([x, w]);
        return tf.concat([tf.reshape(gx, [-1]), tf.reshape(gw, [-1])]);
      });
      expect(g, `gradients s=${s} pad=${pad}`).toBeLessThan(TOL);
    }
  });

  it('leaks no tensors or backend data, and leaves raw TensorInfo inputs alive', async () => {
    await tf.setBackend('wasm');
    const dy = randn([2, 5, 4, 4], 630);
    const filter = randn([3, 3, 3, 4], 631);
    const attrs = { strides: 2, pad: 'same', dataFormat: 'NHWC', inputShape: [2, 9, 8, 3] };
    const viaEngine = expectNoLeaks(() => tf.engine().runKernel('Conv2DBackpropInput', { dy, filter }, attrs) as tf.Tensor);
    const direct = runKernelDirectly('Conv2DBackpropInput', { dy, filter }, attrs);
    expect(Array.from(direct.dataSync())).toEqual(Array.from(viaEngine.dataSync()));
    expect(tf.sum(dy).dataSync()[0]).not.toBeNaN();
    expect(tf.sum(filter).dataSync()[0]).not.toBeNaN();
    tf.dispose([dy, filter, viaEngine, direct]);
  });
});
