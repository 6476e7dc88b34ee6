/**
 * The fused attention core (src/engine/kernels/attention.ts) against the tf ops of the layer it
 * replaces (src/models/text/layers.ts MaskedSelfAttention: split heads, QKᵀ/√d, −1e9 at padding keys,
 * softmax, PV, merge heads): outputs and the gradients of q, k and v within 1e-5, on cpu, on wasm with
 * the JavaScript kernels and with the native addon's; rows of every length, an all-padding row
 * included; no tensors leak.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/engine/backend.js';
import { tf } from '../../src/engine/tf.js';
import { attentionCore } from '../../src/engine/kernels/attention.js';
import { nativeKernelCalls, registerNativeKernels, setNativeKernelsEnabled } from '../../src/engine/native/index.js';
import { relDiff } from '../helpers/engine.js';

function composed(q: tf.Tensor, k: tf.Tensor, v: tf.Tensor, mask: tf.Tensor, H: number): tf.Tensor {
  const [B, L, D] = q.shape as [number, number, number];
  const dh = D / H;
  const split = (t: tf.Tensor) => tf.transpose(tf.reshape(t, [B, L, H, dh]), [0, 2, 1, 3]);
  const scores = tf.div(tf.matMul(split(q), split(k), false, true), Math.sqrt(dh));
  const bias = tf.reshape(tf.mul(tf.sub(1, mask), -1e9), [B, 1, 1, L]);
  const w = tf.softmax(tf.add(scores, bias), -1);
  return tf.reshape(tf.transpose(tf.matMul(w, split(v)), [0, 2, 1, 3]), [B, L, D]);
}

function compare(B: number, L: number, D: number, H: number): number {
  const lengths = Array.from({ length: B }, (_, b) => (b === 1 ? 0 : 1 + ((b * 5) % L)));
  const mask = tf.tensor2d(lengths.flatMap((len) => Array.from({ length: L }, (_, j) => (j < len ? 1 : 0))), [B, L]);
  const [q, k, v, r] = [31, 32, 33, 34].map((seed) => tf.randomNormal([B, L, D], 0, 1, 'float32', seed));
  const run = (f: typeof composed) => tf.tidy(() => {
    const loss = (a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => tf.sum(tf.mul(f(a, b, c, mask, H), r!));
    return [f(q!, k!, v!, mask, H), ...tf.grads(loss)([q!, k!, v!])].map((t) => Float32Array.from(t.dataSync()));
  });
  const want = run(composed);
  const got = run(attentionCore);
  tf.dispose([mask, q!, k!, v!, r!]);
  return Math.max(...want.map((w, i) => relDiff(w, got[i]!)));
}

describe('fused attention core = the composed tf ops', () => {
  beforeAll(async () => {
    await initBackend('wasm');
    setNativeKernelsEnabled(false);
  });
  afterAll(() => setNativeKernelsEnabled(true));

  for (const backend of ['cpu', 'wasm'] as const) {
    it(`${backend} (JavaScript kernels): outputs and gradients within 1e-5, no leaks`, async () => {
      await tf.setBackend(backend);
      const before = tf.memory().numTensors;
      expect(compare(4, 7, 12, 3)).toBeLessThan(1e-5);
      expect(tf.memory().numTensors).toBe(before);
    });
  }

  it('wasm with the native kernels: the bench sizes (64 × 20, D 64, 4 heads) and an odd one', async () => {
    await tf.setBackend('wasm');
    setNativeKernelsEnabled(true);
    expect(registerNativeKernels()).toBe(true);
    const before = nativeKernelCalls.MtlAttentionGrad ?? 0;
    expect(compare(64, 20, 64, 4)).toBeLessThan(1e-5);
    expect(compare(3, 5, 6, 2)).toBeLessThan(1e-5);
    expect(nativeKernelCalls.MtlAttentionGrad ?? 0).toBeGreaterThan(before);
  });
});
