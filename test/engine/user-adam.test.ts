/**
 * mtljs's fused Adam is mtljs's own optimizer class (src/engine/native/adam.ts), not a patch of tfjs:
 * after mtljs has initialised its backend (native kernels registered) and trained with its fused Adam,
 * an Adam the user creates in the same process with tf.train.adam (or tfjs-layers' 'adam') is a stock
 * tf.AdamOptimizer whose applyGradients is tfjs's own, it never runs the native kernel, and its numbers
 * equal the cpu backend's stock Adam bit for bit.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/engine/backend.js';
import { FusedAdamOptimizer, nativeKernelCalls, nativeKernelsEnabled } from '../../src/engine/native/index.js';
import { tf, tfl } from '../../src/engine/tf.js';
import { buildModel } from '../../src/models/registry.js';
import { createTask } from '../../src/tasks/registry.js';
import { createOptimizer } from '../../src/train/optimizer.js';
import { Trainer } from '../../src/train/node/trainer.js';
import { syntheticDataset } from '../helpers/synthetic.js';

delete process.env.MTL_NATIVE; // the native kernels must be in place for this test to mean anything

// tfjs's Optimizer classes answer `instanceof` by duck typing (Symbol.hasInstance): check prototype chains.
const isFused = (o: object) => Object.prototype.isPrototypeOf.call(FusedAdamOptimizer.prototype, o);
const isAdam = (o: object) => Object.prototype.isPrototypeOf.call(tf.AdamOptimizer.prototype, o);

// Taken before mtljs initialises anything (module evaluation precedes beforeAll).
const stockApplyGradients = tf.AdamOptimizer.prototype.applyGradients;
const stockOwnKeys = Reflect.ownKeys(tf.AdamOptimizer.prototype);

const adamCalls = () => nativeKernelCalls.adamUpdate ?? 0;

/** Deterministic float32 data in (-1, 1) (no backend involved). */
function data(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 31 - 1;
  });
}

const SHAPES = [[37, 11], [300], [4, 5, 6]];

/** `steps` Adam steps with fixed gradients (no backend-dependent loss), from `make()`'s optimizer; final values. */
function adamSteps(make: () => tf.Optimizer, steps: number): number[][] {
  const vars = tf.tidy(() => SHAPES.map((shape, i) => tf.variable(tf.tensor(data(shape.reduce((a, b) => a * b, 1), 10 + i), shape))));
  const opt = make();
  for (let s = 0; s < steps; s++) {
    const grads = tf.tidy(() => Object.fromEntries(vars.map((v, i) => [v.name, tf.tensor(data(v.size, 100 * s + i), v.shape)])));
    opt.applyGradients(grads);
    tf.dispose(Object.values(grads));
  }
  const out = vars.map((v) => Array.from(v.dataSync()));
  tf.dispose(vars);
  opt.dispose();
  return out;
}

beforeAll(async () => {
  expect(await initBackend('wasm')).toBe('wasm');
  expect(nativeKernelsEnabled(), 'the native kernels did not load').toBe(true);
});

describe("the user's own tf.train.adam next to mtljs", () => {
  it('mtljs trains with its FusedAdamOptimizer (the native update runs), a tf.AdamOptimizer by class and name', async () => {
    const ds = syntheticDataset(128, 8, 1);
    const tasks = ds.tasks.map((s) => createTask(s, {}, { values: ds.labels[s.name], n: ds.n }));
    const model = buildModel('hps', { inputShape: ds.inputShape, tasks, seed: 1 }, { encoder: { type: 'mlp', hidden: [16] } });
    const trainer = new Trainer(model, tasks, { epochs: 1, batchSize: 64, optimizer: { name: 'adam', lr: 0.01 }, seed: 1, progress: 'silent' });
    const before = adamCalls();
    await trainer.fit(ds);
    expect(adamCalls()).toBeGreaterThan(before);
    trainer.dispose();
    model.dispose();

    const opt = createOptimizer({ name: 'adam', lr: 0.01 });
    expect(isFused(opt)).toBe(true);
    expect(isAdam(opt)).toBe(true);
    expect(opt.getClassName()).toBe('Adam');
    opt.dispose();
  });

  it("leaves tfjs's AdamOptimizer untouched: tf.train.adam and tfjs-layers' 'adam' are stock, with tfjs's own applyGradients", () => {
    expect(tf.AdamOptimizer.prototype.applyGradients).toBe(stockApplyGradients);
    expect(Reflect.ownKeys(tf.AdamOptimizer.prototype)).toEqual(stockOwnKeys);
    expect(stockApplyGradients.toString()).not.toMatch(/adamUpdate|native/);

    const opt = tf.train.adam(0.01);
    expect(Object.getPrototypeOf(opt)).toBe(tf.AdamOptimizer.prototype);
    expect(isFused(opt)).toBe(false);
    expect(opt.applyGradients).toBe(stockApplyGradients);
    opt.dispose();

    const input = tfl.input({ shape: [3] });
    const model = tfl.model({ inputs: input, outputs: tfl.layers.dense({ units: 1 }).apply(input) as tfl.SymbolicTensor });
    model.compile({ optimizer: 'adam', loss: 'meanSquaredError' });
    expect(Object.getPrototypeOf(model.optimizer)).toBe(tf.AdamOptimizer.prototype);
    model.optimizer.dispose();
    model.dispose();
  });

  it("the user's Adam does not run mtljs's kernel and gives the cpu backend's stock Adam numbers, bit for bit", async () => {
    await tf.setBackend('cpu');
    const ref = adamSteps(() => tf.train.adam(0.01), 5);
    await tf.setBackend('wasm');
    const tensors = tf.memory().numTensors;
    const before = adamCalls();
    const user = adamSteps(() => tf.train.adam(0.01), 5);
    expect(adamCalls(), "the user's tf.train.adam ran mtljs's native update").toBe(before);
    expect(tf.memory().numTensors).toBe(tensors);
    user.forEach((v, i) => expect(v, `variable ${i}`).toEqual(ref[i]));

    // mtljs's own fused Adam, on the same gradients, gives those numbers too (through the native kernel).
    const fused = adamSteps(() => new FusedAdamOptimizer(0.01), 5);
    expect(adamCalls()).toBeGreaterThanOrEqual(before + 15);
    fused.forEach((v, i) => expect(v, `variable ${i}`).toEqual(ref[i]));
  });
});

describe('the fused Adam and what tfjs-backend-wasm caches per weight tensor', () => {
  it('a product on XNNPACK after an in-place update reads the new weights, for a dense product and a convolution', async () => {
    await initBackend('wasm');
    expect(nativeKernelsEnabled()).toBe(true);
    const opt = createOptimizer({ name: 'adam', lr: 0.1 });
    expect(isFused(opt)).toBe(true);
    // Products this small stay below the native GEMM's size threshold: they run on tfjs's XNNPACK
    // kernels, which cache operators (packed weights) keyed by the weight tensor's id.
    const w = tf.variable(tf.tensor2d(data(12, 3), [4, 3]));
    const f = tf.variable(tf.tensor4d(data(18, 5), [3, 3, 2, 1]));
    const x = tf.tensor2d(data(8, 7), [2, 4]);
    const img = tf.tensor4d(data(2 * 5 * 5 * 2, 9), [2, 5, 5, 2]);
    const outputs = () => [tf.matMul(x, w), tf.conv2d(img, f, 1, 'same')];
    const loss = () => tf.add(tf.sum(tf.square(tf.matMul(x, w))), tf.sum(tf.conv2d(img, f, 1, 'same'))) as tf.Scalar;
    opt.minimize(loss, false, [w, f]); // the first step gives each variable a buffer of its own (a new tensor id)
    tf.dispose(outputs()); // products that create (and cache) XNNPACK operators for these ids
    const ids = [w, f].map((v) => v.dataId);
    const callsBefore = adamCalls();
    opt.minimize(loss, false, [w, f]);
    expect(adamCalls()).toBe(callsBefore + 2);
    expect([w, f].map((v) => v.dataId)).toEqual(ids); // updated in place: same tensors
    const [after, afterConv] = outputs();
    // The same products of fresh copies of the updated weights (new tensor ids, nothing cached).
    const [wCopy, fCopy] = [tf.tensor(w.dataSync(), w.shape), tf.tensor(f.dataSync(), f.shape)];
    const fresh = tf.matMul(x, wCopy);
    const freshConv = tf.conv2d(img, fCopy as tf.Tensor4D, 1, 'same');
    expect(Array.from(after!.dataSync())).toEqual(Array.from(fresh.dataSync()));
    expect(Array.from(afterConv!.dataSync())).toEqual(Array.from(freshConv.dataSync()));
    tf.dispose([w, f, x, img, after!, afterConv!, wCopy, fCopy, fresh, freshConv]);
    opt.dispose();
  });
});
