/**
 * The native addon's AVX-512 micro-kernels (12 rows per call: two 6-row panels) give the AVX2 kernels'
 * results bit for bit — products in every transpose combination with a fused bias + relu, odd sizes
 * around the 6/12-row and 16-column tiles, long K, and the convolutions with both gradients —, on one
 * thread and on two. The addon is loaded in child processes with MTL_NATIVE_NO_AVX512 unset and set
 * (on a CPU without AVX-512 both are the AVX2 path, and the test says so).
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { buildNative } from '../../src/engine/native/build.js';

delete process.env.MTL_NATIVE;

/** Runs every kernel on seeded data in a fresh process; returns whether AVX-512 ran and a digest per output. */
function run(file: string, threads: number, noAvx512: boolean): { avx512: boolean; digests: string[] } {
  const script = `
    const crypto = require('node:crypto');
    const k = require(${JSON.stringify(file)});
    k.setThreads(${threads});
    const heap = new Uint8Array(64 << 20);
    const f = new Float32Array(heap.buffer);
    let s = 12345;
    for (let i = 0; i < f.length / 2; i++) { s = (s * 16807) % 2147483647; f[i] = s / 2147483647 - 0.5; }
    const out = 4 * (f.length / 2);
    const digests = [];
    const digest = (n) => { digests.push(crypto.createHash('sha256').update(heap.subarray(out, out + 4 * n)).digest('hex').slice(0, 16)); heap.fill(0, out, out + 4 * n); };
    for (const [m, n, kk] of [[128, 256, 784], [7, 33, 300], [13, 17, 5], [300, 50, 700], [12, 16, 512], [19, 31, 1000], [25, 40, 64], [6, 16, 256]]) {
      for (const [ta, tb] of [[false, false], [true, false], [false, true], [true, true]]) {
        k.sgemm(heap, 0, 4 * 4000000, out, 1, m, n, kk, ta, tb, 0, 0, 1, 0, -1, 0, 0, 0);
        digest(m * n);
        k.sgemm(heap, 0, 4 * 4000000, out, 1, m, n, kk, ta, tb, 0, 0, 1, 0, 4 * 8000000, n, 1, 0);
        digest(m * n);
      }
    }
    // Convolutions: B,H,W,Ci,KH,KW,Co,OH,OW,sh,sw,dh,dw,padTop,padLeft.
    for (const g of [[8, 26, 26, 32, 3, 3, 64, 24, 24, 1, 1, 1, 1, 0, 0], [4, 28, 28, 1, 3, 3, 32, 26, 26, 1, 1, 1, 1, 0, 0], [3, 11, 9, 5, 3, 3, 7, 6, 5, 2, 2, 1, 1, 1, 1], [2, 10, 10, 13, 5, 5, 20, 10, 10, 1, 1, 1, 1, 2, 2]]) {
      const [B, H, W, Ci, KH, KW, Co, OH, OW] = g;
      k.conv2d(heap, 0, 4 * 4000000, out, ...g, 4 * 8000000, Co, 1, 0);
      digest(B * OH * OW * Co);
      k.conv2dBackpropInput(heap, 0, 4 * 4000000, out, ...g);
      digest(B * H * W * Ci);
      k.conv2dBackpropFilter(heap, 0, 4 * 4000000, out, ...g);
      digest(KH * KW * Ci * Co);
    }
    console.log(JSON.stringify({ avx512: k.info().avx512, digests }));`;
  const env: NodeJS.ProcessEnv = { ...process.env };
  if (noAvx512) env.MTL_NATIVE_NO_AVX512 = '1';
  else delete env.MTL_NATIVE_NO_AVX512;
  const res = spawnSync(process.execPath, ['-e', script], { env, encoding: 'utf8', timeout: 120_000 });
  expect(res.status, res.stderr).toBe(0);
  return JSON.parse(res.stdout.trim().split('\n').pop()!);
}

describe('native AVX-512 kernels', () => {
  it('give the AVX2 kernels\' results bit for bit (products, fused bias + relu, convolutions and their gradients; 1 and 2 threads)', () => {
    const file = buildNative().path;
    for (const threads of [1, 2]) {
      const wide = run(file, threads, false);
      const avx2 = run(file, threads, true);
      expect(avx2.avx512).toBe(false);
      if (!wide.avx512) console.log('this CPU has no AVX-512: both runs took the AVX2 path');
      expect(wide.digests).toHaveLength(8 * 4 * 2 + 4 * 3);
      expect(wide.digests).toEqual(avx2.digests);
    }
  });
});
