/**
 * The training kernels registered for the wasm backend (src/engine/wasm-kernels.ts) against the cpu
 * backend's reference kernels: conv2d filter gradient, depthwise conv2d input/filter gradients and
 * UnsortedSegmentSum (directly and through gather's gradient), plus no tensor leaks and a tiny
 * tfjs-layers model with conv2d / separable conv / embedding layers training on wasm.
 */
import { describe, expect, it } from 'vitest';
import { tf, tfl } from '../../src/engine/tf.js';
import { registerWasmTrainingKernels } from '../../src/engine/wasm-kernels.js';
import { cpuVsWasm, expectNoLeaks, randn, relDiff, runKernelDirectly, runOn, usePureWasm } from '../helpers/engine.js';

const TOL = 1e-4;

/** Deterministic integers in [lo, hi). */
function randInts(n: number, lo: number, hi: number, seed: number): number[] {
  let s = seed >>> 0;
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out.push(lo + ((s >>> 8) % (hi - lo)));
  }
  return out;
}

/** Gradients of sum(op(x, w) * r) w.r.t. x and w: r, seeded, makes dy non-trivial. */
function gradsOf(op: (x: tf.Tensor, w: tf.Tensor) => tf.Tensor, xShape: number[], wShape: number[], seed: number): tf.Tensor[] {
  const x = randn(xShape, seed);
  const w = randn(wShape, seed + 1);
  const outShape = op(x, w).shape;
  const r = randn(outShape, seed + 2);
  return tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(op(a, b), r)))([x, w]);
}

type Pad = 'same' | 'valid' | number | [[number, number], [number, number], [number, number], [number, number]];

usePureWasm();

describe('wasm training kernels', () => {
  it('registers the missing kernels, idempotently', () => {
    for (const k of ['Conv2DBackpropFilter', 'DepthwiseConv2dNativeBackpropInput', 'DepthwiseConv2dNativeBackpropFilter', 'UnsortedSegmentSum']) {
      expect(tf.getKernel(k, 'wasm')).toBeDefined();
    }
    const before = tf.getKernel('Conv2DBackpropFilter', 'wasm').kernelFunc;
    registerWasmTrainingKernels();
    expect(tf.getKernel('Conv2DBackpropFilter', 'wasm').kernelFunc).toBe(before);
  });

  const convCases: Array<{ x: number[]; f: number[]; s: number | [number, number]; pad: Pad }> = [
    { x: [2, 9, 8, 3], f: [3, 3, 3, 4], s: 1, pad: 'same' },
    { x: [2, 9, 8, 3], f: [3, 3, 3, 4], s: 1, pad: 'valid' },
    { x: [2, 9, 8, 3], f: [3, 3, 3, 4], s: 2, pad: 'same' },
    { x: [2, 9, 8, 3], f: [3, 3, 3, 4], s: 2, pad: 'valid' },
    { x: [1, 11, 10, 2], f: [5, 4, 2, 3], s: [3, 2], pad: 'same' },
    { x: [3, 8, 8, 1], f: [3, 3, 1, 16], s: 1, pad: 'same' },
    { x: [2, 6, 7, 8], f: [1, 1, 8, 5], s: 2, pad: 'valid' },
    { x: [2, 9, 9, 3], f: [3, 3, 3, 2], s: 2, pad: 1 },
    { x: [2, 9, 8, 3], f: [3, 3, 3, 2], s: 1, pad: [[0, 0], [2, 1], [0, 2], [0, 0]] },
  ];
  for (const [i, c] of convCases.entries()) {
    it(`conv2d gradients match cpu: x=[${c.x}] f=[${c.f}] s=${c.s} pad=${JSON.stringify(c.pad)}`, async () => {
      const op = (x: tf.Tensor, w: tf.Tensor) =>
        tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, c.s, c.pad);
      expect(await cpuVsWasm(() => gradsOf(op, c.x, c.f, 100 + i))).toBeLessThan(TOL);
    });
  }

  it('Conv2DBackpropFilter with NCHW data matches cpu', async () => {
    const d = await cpuVsWasm(() => {
      const x = randn([2, 3, 9, 8], 7);
      const dy = randn([2, 4, 5, 4], 8);
      const attrs = { strides: 2, pad: 'same', dataFormat: 'NCHW', filterShape: [3, 3, 3, 4] };
      return tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, attrs) as tf.Tensor;
    });
    expect(d).toBeLessThan(TOL);
  });

  it('Conv2DBackpropFilter with dimRoundingMode ceil (dy one column wider than floor) matches cpu', async () => {
    // tf.grad of conv2d drops dimRoundingMode, so the kernel is called directly with it here.
    const d = await cpuVsWasm(() => {
      const x = randn([2, 9, 8, 3], 9);
      const dy = randn([2, 5, 5, 2], 10); // width: (8 - 3 + 2) / 2 + 1 = 4.5 -> 5
      const attrs = { strides: 2, pad: 1, dimRoundingMode: 'ceil', dataFormat: 'NHWC', filterShape: [3, 3, 3, 2] };
      return tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, attrs) as tf.Tensor;
    });
    expect(d).toBeLessThan(TOL);
  });

  it('conv1d and conv2dTranspose gradients (which use Conv2DBackpropFilter) match cpu', async () => {
    const conv1d = (x: tf.Tensor, w: tf.Tensor) => tf.conv1d(x as tf.Tensor3D, w as tf.Tensor3D, 2, 'same');
    expect(await cpuVsWasm(() => gradsOf(conv1d, [3, 17, 4], [5, 4, 6], 21))).toBeLessThan(TOL);
    const deconv = (x: tf.Tensor, w: tf.Tensor) =>
      tf.conv2dTranspose(x as tf.Tensor4D, w as tf.Tensor4D, [2, 9, 9, 3], 2, 'same');
    expect(await cpuVsWasm(() => gradsOf(deconv, [2, 5, 5, 4], [3, 3, 3, 4], 23))).toBeLessThan(TOL);
  });

  const dwCases: Array<{ x: number[]; f: number[]; s: number; pad: Pad }> = [
    { x: [2, 7, 8, 3], f: [3, 3, 3, 1], s: 1, pad: 'same' },
    { x: [2, 7, 8, 3], f: [3, 3, 3, 2], s: 1, pad: 'same' },
    { x: [2, 7, 8, 3], f: [3, 3, 3, 2], s: 1, pad: 'valid' },
    { x: [2, 7, 8, 3], f: [3, 3, 3, 3], s: 2, pad: 'same' },
    { x: [2, 9, 8, 2], f: [3, 3, 2, 2], s: 2, pad: 'valid' },
    { x: [1, 10, 11, 4], f: [5, 5, 4, 1], s: 2, pad: 'same' },
    { x: [2, 8, 7, 3], f: [2, 3, 3, 2], s: 1, pad: 1 },
  ];
  for (const [i, c] of dwCases.entries()) {
    it(`depthwiseConv2d gradients match cpu: x=[${c.x}] f=[${c.f}] s=${c.s} pad=${JSON.stringify(c.pad)}`, async () => {
      const op = (x: tf.Tensor, w: tf.Tensor) => tf.depthwiseConv2d(x as tf.Tensor4D, w as tf.Tensor4D, c.s, c.pad);
      expect(await cpuVsWasm(() => gradsOf(op, c.x, c.f, 200 + i))).toBeLessThan(TOL);
    });
  }

  it('backprop kernels with dilation 2 match the gradient of the equivalent zero-filled 5x5 filter', async () => {
    // tf.grad refuses dilated convolutions, and the cpu backend's depthwise backprop kernels are wrong
    // for dilations > 1 (they fail <dy, conv(x, W)> = <dx, x>), so the reference is the cpu gradient
    // of a dilation-1 conv whose 5x5 filter is the 3x3 one with zeros inserted. Strides 2 with
    // dilations 2 can only be reached by calling the kernels directly; they are covered too.
    const dilate = (w: tf.Tensor) => {
      const [kh, kw, c, m] = w.shape;
      const z = tf.pad(tf.reshape(w, [kh, 1, kw, 1, c, m]), [[0, 0], [0, 1], [0, 0], [0, 1], [0, 0], [0, 0]]);
      return tf.slice(tf.reshape(z, [kh * 2, kw * 2, c, m]), [0, 0, 0, 0], [kh * 2 - 1, kw * 2 - 1, c, m]) as tf.Tensor4D;
    };
    const xShape: [number, number, number, number] = [2, 9, 10, 3];
    for (const depthwise of [true, false]) {
      for (const [pad, stride] of [['same', 1], ['valid', 1], ['same', 2], ['valid', 2]] as const) {
        const fShape: [number, number, number, number] = depthwise ? [3, 3, 3, 2] : [3, 3, 3, 4];
        const outShape = tf.backend_util.computeConv2DInfo(xShape, fShape, stride, 2, pad, undefined, depthwise).outShape;
        const inputs = () => [randn(xShape, 31), randn(fShape, 32), randn(outShape, 33)];
        const fwd = (x: tf.Tensor, w: tf.Tensor) =>
          depthwise ? tf.depthwiseConv2d(x as tf.Tensor4D, dilate(w), stride, pad) : tf.conv2d(x as tf.Tensor4D, dilate(w), stride, pad);
        const ref = await runOn('cpu', () => {
          const [x, w, dy] = inputs();
          const f = (a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(fwd(a, b), dy));
          return depthwise ? tf.grads(f)([x, w]) : [tf.grads(f)([x, w])[1]];
        });
        const got = await runOn('wasm', () => {
          const [x, w, dy] = inputs();
          const attrs = { strides: stride, dilations: 2, pad };
          if (!depthwise) {
            return tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { ...attrs, dataFormat: 'NHWC', filterShape: fShape }) as tf.Tensor;
          }
          return [
            tf.engine().runKernel('DepthwiseConv2dNativeBackpropInput', { dy, filter: w }, { ...attrs, inputShape: xShape }) as tf.Tensor,
            tf.engine().runKernel('DepthwiseConv2dNativeBackpropFilter', { x, dy }, { ...attrs, filterShape: fShape }) as tf.Tensor,
          ];
        });
        expect(got.length).toBe(ref.length);
        for (let i = 0; i < ref.length; i++) {
          expect(got[i].shape).toEqual(ref[i].shape);
          expect(relDiff(ref[i].values, got[i].values), `depthwise=${depthwise} pad=${pad} stride=${stride} output ${i}`).toBeLessThan(TOL);
        }
      }
    }
  });

  it('separableConv2d gradients match cpu', async () => {
    const d = await cpuVsWasm(() => {
      const x = randn([2, 8, 8, 3], 41);
      const dw = randn([3, 3, 3, 2], 42);
      const pw = randn([1, 1, 6, 4], 43);
      const r = randn([2, 4, 4, 4], 44);
      return tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) =>
        tf.sum(tf.mul(tf.separableConv2d(a as tf.Tensor4D, b as tf.Tensor4D, c as tf.Tensor4D, 2, 'same'), r)),
      )([x, dw, pw]);
    });
    expect(d).toBeLessThan(TOL);
  });

  for (const numSegments of [1, 5, 37]) {
    it(`unsortedSegmentSum matches cpu with numSegments=${numSegments}`, async () => {
      for (const inner of [[], [3], [2, 4]]) {
        const n = 20;
        // ids run past numSegments and include -1: both backends drop those rows.
        const ids = randInts(n, -1, numSegments + 2, numSegments * 7 + inner.length);
        const d = await cpuVsWasm(() => tf.unsortedSegmentSum(randn([n, ...inner], 51), tf.tensor1d(ids, 'int32'), numSegments));
        expect(d).toBeLessThan(TOL);
      }
      const ints = randInts(12, 0, 100, 5);
      const ids = randInts(12, 0, numSegments, 6);
      const di = await cpuVsWasm(() => tf.unsortedSegmentSum(tf.tensor2d(ints, [6, 2], 'int32'), tf.tensor1d(ids.slice(0, 6), 'int32'), numSegments));
      expect(di).toBe(0);
    });
  }

  for (const axis of [0, 1]) {
    it(`gather gradient (UnsortedSegmentSum) matches cpu on axis ${axis}`, async () => {
      const idx = randInts(12, 0, 6, 60 + axis); // repeated indices accumulate
      const d = await cpuVsWasm(() => {
        const p = randn(axis === 0 ? [6, 5] : [4, 6, 3], 61);
        const indices = tf.tensor2d(idx, [3, 4], 'int32');
        const r = randn(tf.gather(p, indices, axis).shape, 62);
        return tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.gather(a, indices, axis), r)))(p);
      });
      expect(d).toBeLessThan(TOL);
    });
  }

  it('leaks no tensors or backend data', async () => {
    await tf.setBackend('wasm');
    const x = randn([2, 9, 8, 3], 70);
    const w = randn([3, 3, 3, 4], 71);
    const dwf = randn([3, 3, 3, 2], 72);
    const emb = randn([10, 4], 73);
    const ids = tf.tensor1d([1, 3, 3, 9, 0], 'int32');
    const run = () => {
      const g = tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor, e: tf.Tensor) =>
        tf.add(
          tf.add(tf.sum(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 2, 'same')), tf.sum(tf.depthwiseConv2d(a as tf.Tensor4D, c as tf.Tensor4D, 1, 'valid'))),
          tf.sum(tf.gather(e, ids)),
        ),
      )([x, w, dwf, emb]);
      tf.dispose(g);
    };
    expectNoLeaks(run);
    tf.dispose([x, w, dwf, emb, ids]);
  });

  it('accepts raw TensorInfo inputs (a backend calling the kernel itself) without freeing them', async () => {
    await tf.setBackend('wasm');
    const x = randn([2, 6, 6, 3], 90);
    const dy = randn([2, 4, 4, 5], 91);
    const attrs = { strides: 1, pad: 'valid', dataFormat: 'NHWC', filterShape: [3, 3, 3, 5] };
    const viaEngine = tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, attrs) as tf.Tensor;
    const tensors = tf.memory().numTensors;
    const direct = runKernelDirectly('Conv2DBackpropFilter', { x, dy }, attrs);
    expect(tf.memory().numTensors).toBe(tensors + 1); // only the result
    expect(Array.from(direct.dataSync())).toEqual(Array.from(viaEngine.dataSync()));
    expect(x.dataSync()).toHaveLength(2 * 6 * 6 * 3); // the inputs' data is still there
    expect(tf.sum(dy).dataSync()[0]).not.toBeNaN();
    tf.dispose([x, dy, viaEngine, direct]);
  });

  it('trains a tiny tfjs-layers model with conv2d, separableConv2d and embedding layers on wasm', async () => {
    await tf.setBackend('wasm');
    const img = tfl.input({ shape: [8, 8, 2] });
    const tok = tfl.input({ shape: [5], dtype: 'int32' });
    let a = tfl.layers.conv2d({ filters: 4, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu', kernelInitializer: tfl.initializers.glorotNormal({ seed: 1 }) }).apply(img) as tfl.SymbolicTensor;
    a = tfl.layers.separableConv2d({ filters: 3, kernelSize: 3, depthMultiplier: 2, padding: 'valid', depthwiseInitializer: tfl.initializers.glorotNormal({ seed: 2 }), pointwiseInitializer: tfl.initializers.glorotNormal({ seed: 3 }) }).apply(a) as tfl.SymbolicTensor;
    const b = tfl.layers.embedding({ inputDim: 20, outputDim: 3, embeddingsInitializer: tfl.initializers.randomNormal({ seed: 4 }) }).apply(tok) as tfl.SymbolicTensor;
    const merged = tfl.layers.concatenate().apply([tfl.layers.flatten().apply(a) as tfl.SymbolicTensor, tfl.layers.flatten().apply(b) as tfl.SymbolicTensor]) as tfl.SymbolicTensor;
    const out = tfl.layers.dense({ units: 1, kernelInitializer: tfl.initializers.glorotNormal({ seed: 5 }) }).apply(merged) as tfl.SymbolicTensor;
    const model = tfl.model({ inputs: [img, tok], outputs: out });
    model.compile({ optimizer: tf.train.sgd(0.05), loss: 'meanSquaredError' });

    const xs = [randn([6, 8, 8, 2], 80), tf.tensor2d(randInts(30, 0, 20, 81), [6, 5], 'int32')];
    const ys = randn([6, 1], 82);
    const embBefore = model.layers.find((l) => l.name.startsWith('embedding'))!.getWeights()[0].arraySync() as number[][];
    const hist = await model.fit(xs, ys, { epochs: 2, batchSize: 6, verbose: 0 });
    const losses = hist.history.loss as number[];
    expect(losses).toHaveLength(2);
    for (const l of losses) expect(Number.isFinite(l)).toBe(true);
    const embAfter = model.layers.find((l) => l.name.startsWith('embedding'))!.getWeights()[0].arraySync() as number[][];
    expect(embAfter).not.toEqual(embBefore);
    tf.dispose([...xs, ys]);
    model.dispose();
  });
});
