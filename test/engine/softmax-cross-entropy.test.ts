/**
 * The fused masked softmax cross-entropy (src/engine/kernels/softmax-cross-entropy.ts) against the tf
 * ops it replaces (−Σ oneHot ⊙ logSoftmax), values and gradients, on cpu and wasm: rows masked out,
 * labels missing (NaN) or out of range give 0 and no gradient; logits of ±1e4 stay finite; a
 * hand-worked row; the native kernels equal the JavaScript ones; no tensors leak.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/engine/backend.js';
import { tf } from '../../src/engine/tf.js';
import { softmaxCrossEntropy } from '../../src/engine/kernels/softmax-cross-entropy.js';
import { nativeKernelCalls, registerNativeKernels, setNativeKernelsEnabled } from '../../src/engine/native/index.js';
import { relDiff } from '../helpers/engine.js';

const N = 40, K = 9;

function inputs() {
  const z = tf.tidy(() => tf.mul(tf.randomNormal([N, K], 0, 1, 'float32', 21), 3));
  const labels = new Float32Array(N).map((_, n) => (n % 11 === 5 ? NaN : n % 13 === 7 ? K + 2 : (n * 5) % K));
  const mask = new Float32Array(N).map((_, n) => (n % 4 === 3 || Number.isNaN(labels[n]) ? 0 : 1));
  return { z, y: tf.tensor1d(labels), m: tf.tensor1d(mask), labels, mask };
}

/** The composed reference: rows that do not count are given an all-zero one-hot. */
function reference(z: tf.Tensor, labels: Float32Array, mask: Float32Array): tf.Tensor {
  const y = Array.from(labels, (v, n) => (mask[n] !== 0 && Number.isInteger(v) && v >= 0 && v < K ? v : -1));
  return tf.neg(tf.sum(tf.mul(tf.oneHot(tf.tensor1d(y, 'int32'), K), tf.logSoftmax(z, -1)), -1));
}

describe('fused masked softmax cross-entropy', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });

  for (const backend of ['cpu', 'wasm'] as const) {
    it(`${backend}: values and gradients equal the composed ops (1e-6), skipped rows give 0 and no gradient`, async () => {
      await tf.setBackend(backend);
      const before = tf.memory().numTensors;
      const { z, y, m, labels, mask } = inputs();
      const w = tf.randomNormal([N], 0, 1, 'float32', 22);
      const fused = (x: tf.Tensor) => tf.sum(tf.mul(softmaxCrossEntropy(x, y, m), w));
      const composed = (x: tf.Tensor) => tf.sum(tf.mul(reference(x, labels, mask), w));
      const got = tf.tidy(() => [softmaxCrossEntropy(z, y, m), tf.grad(fused)(z)].map((t) => Float32Array.from(t.dataSync())));
      const want = tf.tidy(() => [reference(z, labels, mask), tf.grad(composed)(z)].map((t) => Float32Array.from(t.dataSync())));
      expect(relDiff(want[0]!, got[0]!)).toBeLessThan(1e-6);
      expect(relDiff(want[1]!, got[1]!)).toBeLessThan(1e-6);
      for (let n = 0; n < N; n++) {
        const skipped = mask[n] === 0 || !(labels[n]! >= 0 && labels[n]! < K);
        if (skipped) {
          expect(got[0]![n]).toBe(0);
          expect(got[1]!.slice(n * K, n * K + K).every((v) => v === 0)).toBe(true);
        } else {
          expect(got[0]![n]).toBeGreaterThan(0);
        }
      }
      tf.dispose([z, y, m, w]);
      expect(tf.memory().numTensors).toBe(before);
    });
  }

  it('a hand-worked row, and logits of ±1e4 stay finite', async () => {
    await tf.setBackend('wasm');
    // z = [0, ln 2, ln 5], label 1: softmax = [1/8, 2/8, 5/8], nll = ln 8 − ln 2 = ln 4; grad = [1/8, −6/8, 5/8].
    const z = tf.tensor2d([[0, Math.log(2), Math.log(5)], [1e4, -1e4, 0]]);
    const y = tf.tensor1d([1, 1]);
    const m = tf.tensor1d([1, 1]);
    const nll = softmaxCrossEntropy(z, y, m).dataSync();
    expect(nll[0]).toBeCloseTo(Math.log(4), 6);
    expect(nll[1]).toBeCloseTo(2e4, 0);
    const g = tf.grad((x: tf.Tensor) => tf.sum(softmaxCrossEntropy(x, y, m)))(z).dataSync();
    [1 / 8, -6 / 8, 5 / 8].forEach((v, k) => expect(g[k]).toBeCloseTo(v, 6));
    expect([...g].every(Number.isFinite)).toBe(true);
    tf.dispose([z, y, m]);
  });
});

describe('fused masked softmax cross-entropy on the native addon', () => {
  it('equals the JavaScript kernels (1e-6) on the agent\'s size, values and gradients, and runs natively', async () => {
    await initBackend('wasm');
    await tf.setBackend('wasm');
    setNativeKernelsEnabled(true);
    expect(registerNativeKernels()).toBe(true);
    const n = 64 * 35, k = 72;
    const run = () => tf.tidy(() => {
      const z = tf.mul(tf.randomNormal([n, k], 0, 1, 'float32', 51), 4);
      const y = tf.tensor1d(Array.from({ length: n }, (_, i) => (i % 17 === 3 ? NaN : (i * 13) % k)));
      const m = tf.tensor1d(Array.from({ length: n }, (_, i) => (i % 35 < 12 ? 1 : 0)));
      const w = tf.randomNormal([n], 0, 1, 'float32', 52);
      const f = (x: tf.Tensor) => tf.sum(tf.mul(softmaxCrossEntropy(x, y, m), w));
      return [softmaxCrossEntropy(z, y, m), tf.grad(f)(z)].map((t) => Float32Array.from(t.dataSync()));
    });
    const calls = nativeKernelCalls.MtlSoftmaxCrossEntropyGrad ?? 0;
    const native = run();
    expect(nativeKernelCalls.MtlSoftmaxCrossEntropyGrad ?? 0).toBeGreaterThan(calls);
    setNativeKernelsEnabled(false);
    const js = run();
    setNativeKernelsEnabled(true);
    expect(relDiff(js[0]!, native[0]!)).toBeLessThan(1e-6);
    expect(relDiff(js[1]!, native[1]!)).toBeLessThan(1e-6);
  });
});
