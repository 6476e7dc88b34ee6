/**
 * GatherV2 of whole rows on the wasm heap (src/engine/kernels/gather-rows.ts) equals the cpu backend's
 * gather, for float32 and int32 tables of rank 1–3 and index tensors of rank 1–2 (repeated indices
 * included); other axes and batch dims still work (the built-in kernel); no tensors leak.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/engine/backend.js';
import { tf } from '../../src/engine/tf.js';

async function both(fn: () => tf.Tensor): Promise<[number[], number[], number[]]> {
  const run = async (b: 'cpu' | 'wasm') => {
    await tf.setBackend(b);
    const t = tf.tidy(fn);
    const r = { shape: t.shape, values: Array.from(t.dataSync()) };
    t.dispose();
    return r;
  };
  const c = await run('cpu');
  const w = await run('wasm');
  expect(w.shape).toEqual(c.shape);
  return [c.values, w.values, w.shape];
}

describe('wasm GatherV2 of rows', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });

  const cases: Array<[string, () => tf.Tensor]> = [
    ['float32 table [50, 8], indices [30]', () => tf.gather(tf.randomNormal([50, 8], 0, 1, 'float32', 1), tf.tensor1d(Array.from({ length: 30 }, (_, i) => (i * 7) % 50), 'int32'))],
    ['int32 table [10, 3, 2], indices [4, 5]', () => tf.gather(tf.reshape(tf.range(0, 60, 1, 'int32'), [10, 3, 2]), tf.tensor2d(Array.from({ length: 20 }, (_, i) => (i * 3) % 10), [4, 5], 'int32'))],
    ['rank-1 table', () => tf.gather(tf.tensor1d([5, 6, 7, 8]), tf.tensor1d([3, 3, 0], 'int32'))],
    ['axis 1 (built-in)', () => tf.gather(tf.randomNormal([4, 6], 0, 1, 'float32', 2), tf.tensor1d([5, 0, 2], 'int32'), 1)],
  ];
  for (const [name, fn] of cases) {
    it(name, async () => {
      const before = tf.memory().numTensors;
      const [c, w] = await both(fn);
      expect(w).toEqual(c);
      expect(tf.memory().numTensors).toBe(before);
    });
  }
});
