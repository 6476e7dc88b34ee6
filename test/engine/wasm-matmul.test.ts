/**
 * The transpose-first wasm BatchMatMul/_FusedMatMul wrappers (src/engine/wasm-matmul.ts) against the
 * cpu backend: all four transpose combinations, batched and broadcast shapes, fused bias/activation,
 * matMul gradients, idempotent registration, and no leaked tensors or wasm buffers.
 */
import { describe, expect, it } from 'vitest';
import { tf } from '../../src/engine/tf.js';
import { registerFastWasmMatMul } from '../../src/engine/wasm-matmul.js';
import { cpuVsWasm, expectNoLeaks, randn, usePureWasm } from '../helpers/engine.js';

const TOL = 1e-4;

/** Shapes of a (m x k) and b (k x n) operands as stored for the given transpose flags. */
function shapes(batchA: number[], batchB: number[], m: number, k: number, n: number, ta: boolean, tb: boolean) {
  return { a: [...batchA, ...(ta ? [k, m] : [m, k])], b: [...batchB, ...(tb ? [n, k] : [k, n])] };
}

const COMBOS: Array<[boolean, boolean]> = [[false, false], [true, false], [false, true], [true, true]];

usePureWasm();

describe('fast wasm matMul', () => {
  it('is installed and re-registering is a no-op', () => {
    const before = tf.getKernel('BatchMatMul', 'wasm');
    const fusedBefore = tf.getKernel('_FusedMatMul', 'wasm');
    expect(before.setupFunc).toBeDefined(); // the original's C binding is kept
    registerFastWasmMatMul();
    expect(tf.getKernel('BatchMatMul', 'wasm').kernelFunc).toBe(before.kernelFunc);
    expect(tf.getKernel('_FusedMatMul', 'wasm').kernelFunc).toBe(fusedBefore.kernelFunc);
  });

  for (const [ta, tb] of COMBOS) {
    it(`matMul transposeA=${ta} transposeB=${tb} matches cpu (2-D, batched, broadcast, vector-like)`, async () => {
      const cases: Array<[number[], number[], number, number, number]> = [
        [[], [], 7, 5, 3],
        [[], [], 33, 64, 17],
        [[3], [3], 4, 6, 5],
        [[2, 3], [1, 3], 4, 6, 5],
        [[4], [], 1, 8, 6],
        [[], [], 9, 8, 1],
        [[], [], 1, 64, 48], // skinny: computed as the transposed product where that copies less
        [[3], [1], 2, 40, 30],
      ];
      for (const [i, [ba, bb, m, k, n]] of cases.entries()) {
        const s = shapes(ba, bb, m, k, n, ta, tb);
        const d = await cpuVsWasm(() => tf.matMul(randn(s.a, 10 + i), randn(s.b, 20 + i), ta, tb));
        expect(d).toBeLessThan(TOL);
      }
    });

    it(`fused matMul transposeA=${ta} transposeB=${tb} matches cpu (2-D with bias + relu, batched relu)`, async () => {
      // Batched with a bias is left out: wasm's own _FusedMatMul adds the bias wrongly when batch > 1
      // (with or without transposes; tfjs-layers only calls it on 2-D operands).
      const s2 = shapes([], [], 6, 9, 4, ta, tb);
      const s3 = shapes([2], [2], 6, 9, 4, ta, tb);
      const d = await cpuVsWasm(() => [
        tf.fused.matMul({ a: randn(s2.a, 30), b: randn(s2.b, 31), transposeA: ta, transposeB: tb, bias: randn([4], 32), activation: 'relu' }),
        tf.fused.matMul({ a: randn(s3.a, 33), b: randn(s3.b, 34), transposeA: ta, transposeB: tb, activation: 'relu' }),
      ]);
      expect(d).toBeLessThan(TOL);
    });
  }

  it('matMul and fused matMul gradients (which use transposed products) match cpu', async () => {
    const d = await cpuVsWasm(() => {
      const a = randn([16, 12], 40);
      const b = randn([12, 8], 41);
      const bias = randn([8], 42);
      const r = randn([16, 8], 43);
      const f = (x: tf.Tensor, y: tf.Tensor, z: tf.Tensor) =>
        tf.add(
          tf.sum(tf.mul(tf.fused.matMul({ a: x as tf.Tensor2D, b: y as tf.Tensor2D, bias: z, activation: 'relu' }), r)),
          tf.sum(tf.matMul(x, y, false, false)),
        );
      return tf.grads(f)([a, b, bias]);
    });
    expect(d).toBeLessThan(TOL);
  });

  it('leaks no tensors or wasm buffers', async () => {
    await tf.setBackend('wasm');
    const a = randn([3, 8, 5], 50);
    const b = randn([3, 6, 8], 51);
    const run = () => {
      tf.dispose([tf.matMul(a, b, true, true), tf.fused.matMul({ a, b, transposeA: true, transposeB: true, activation: 'relu' })]);
    };
    expectNoLeaks(run);
    tf.dispose([a, b]);
  });
});
