/**
 * The fused layer norm (src/engine/kernels/layer-norm.ts) against the tf ops it replaces (moments,
 * (x − μ)·rsqrt(σ² + ε)·γ + β): outputs and the gradients of x, γ and β within 1e-5, on cpu and wasm;
 * a constant row (σ² = 0) stays finite; the native kernels equal the JavaScript ones; no tensors leak.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/engine/backend.js';
import { tf } from '../../src/engine/tf.js';
import { layerNorm } from '../../src/engine/kernels/layer-norm.js';
import { nativeKernelCalls, registerNativeKernels, setNativeKernelsEnabled } from '../../src/engine/native/index.js';
import { relDiff } from '../helpers/engine.js';

const composed = (x: tf.Tensor, g: tf.Tensor, b: tf.Tensor, eps: number) => {
  const { mean, variance } = tf.moments(x, -1, true);
  return tf.add(tf.mul(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, eps))), g), b);
};

describe('fused layer norm = the composed tf ops', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });
  for (const backend of ['cpu', 'wasm'] as const) {
    it(`${backend}: outputs and gradients within 1e-5; a constant row stays finite; no leaks`, async () => {
      await tf.setBackend(backend);
      const before = tf.memory().numTensors;
      const x = tf.tidy(() => tf.concat([tf.mul(tf.randomNormal([3, 5, 16], 1, 2, 'float32', 41), 1), tf.fill([3, 1, 16], 0.5)], 1));
      const [g, b] = [42, 43].map((s) => tf.randomNormal([16], 1, 0.5, 'float32', s));
      const r = tf.randomNormal([3, 6, 16], 0, 1, 'float32', 44);
      const run = (f: typeof composed) => tf.tidy(() => {
        const loss = (a: tf.Tensor, gg: tf.Tensor, bb: tf.Tensor) => tf.sum(tf.mul(f(a, gg, bb, 1e-5), r));
        return [f(x, g!, b!, 1e-5), ...tf.grads(loss)([x, g!, b!])].map((t) => Float32Array.from(t.dataSync()));
      });
      const want = run(composed);
      const got = run(layerNorm);
      want.forEach((w, i) => expect(relDiff(w, got[i]!)).toBeLessThan(1e-5));
      expect(got.every((a) => a.every(Number.isFinite))).toBe(true);
      tf.dispose([x, g!, b!, r]);
      expect(tf.memory().numTensors).toBe(before);
    });
  }
});

describe('fused layer norm on the native addon', () => {
  it('equals the JavaScript kernels (1e-6) at the Transformer\'s size, values and gradients, and runs natively', async () => {
    await initBackend('wasm');
    await tf.setBackend('wasm');
    setNativeKernelsEnabled(true);
    expect(registerNativeKernels()).toBe(true);
    const run = () => tf.tidy(() => {
      const x = tf.randomNormal([64, 20, 64], 0.5, 2, 'float32', 61);
      const [g, b] = [62, 63].map((s) => tf.randomNormal([64], 1, 0.3, 'float32', s));
      const r = tf.randomNormal([64, 20, 64], 0, 1, 'float32', 64);
      const loss = (a: tf.Tensor, gg: tf.Tensor, bb: tf.Tensor) => tf.sum(tf.mul(layerNorm(a, gg, bb, 1e-5), r));
      return [layerNorm(x, g!, b!, 1e-5), ...tf.grads(loss)([x, g!, b!])].map((t) => Float32Array.from(t.dataSync()));
    });
    const calls = nativeKernelCalls.MtlLayerNormGrad ?? 0;
    const native = run();
    expect(nativeKernelCalls.MtlLayerNormGrad ?? 0).toBeGreaterThan(calls);
    setNativeKernelsEnabled(false);
    const js = run();
    setNativeKernelsEnabled(true);
    js.forEach((v, i) => expect(relDiff(v, native[i]!)).toBeLessThan(1e-6));
  });
});
