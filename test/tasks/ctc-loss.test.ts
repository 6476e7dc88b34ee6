import fs from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/engine/backend.js';
import { tf } from '../../src/engine/tf.js';
import { mulberry32 } from '../../src/data/split.js';
import { ctcForward, ctcGradient, ctcLoss, ctcLogLikelihood, ctcMinFrames, ctcRow, ctcRowScaled, framesFromLogits, logSoftmaxRows } from '../../src/tasks/ctc-loss.js';

beforeAll(async () => { await initBackend('wasm'); });

/** Logits whose softmax is exactly `probs` (log p: softmax(log p) = p when Σ p = 1). */
const logitsOf = (probs: number[][]) => probs.map((row) => row.map(Math.log));

function lossOf(logits: number[][][], labels: number[][], opts: { lengths?: number[]; zeroInfinity?: boolean; blank?: number } = {}): number[] {
  const U = Math.max(1, ...labels.map((l) => l.length));
  const lab = labels.map((l) => [...l, ...new Array(U - l.length).fill(0)]);
  const mask = labels.map((l) => [...l.map(() => 1), ...new Array(U - l.length).fill(0)]);
  return tf.tidy(() => Array.from(ctcLoss(tf.tensor3d(logits), tf.tensor2d(lab), tf.tensor2d(mask), opts).dataSync()));
}

describe('CTC loss: hand-worked cases', () => {
  it('T = 2, one label: the sum over the three alignments (a a), (a −), (− a)', () => {
    // Classes: 0 = blank, 1 = 'a'. y_0 = (0.4, 0.6), y_1 = (0.7, 0.3).
    // p('a') = y_0(a) y_1(a) + y_0(a) y_1(−) + y_0(−) y_1(a) = 0.18 + 0.42 + 0.12 = 0.72.
    const z = logitsOf([[0.4, 0.6], [0.7, 0.3]]);
    expect(lossOf([z], [[1]])[0]).toBeCloseTo(-Math.log(0.72), 6);
    // The empty labelling has one path (− −): 0.28, and p('a') + p('') = 1 (every path collapses to one of them).
    expect(Math.exp(ctcLogLikelihood(logSoftmaxRows(z.flat(), 0, 2, 2), 2, 2, []))).toBeCloseTo(0.28, 12);
  });

  it('T = 3, two labels: the five valid alignments of "ab" summed by hand', () => {
    // 0 = blank, 1 = a, 2 = b. Paths collapsing to "ab" in 3 frames: aab, abb, −ab, a−b, ab−.
    const y = [[0.2, 0.5, 0.3], [0.3, 0.3, 0.4], [0.25, 0.15, 0.6]];
    const p = (a: number, b: number, c: number) => y[0]![a]! * y[1]![b]! * y[2]![c]!;
    const want = p(1, 1, 2) + p(1, 2, 2) + p(0, 1, 2) + p(1, 0, 2) + p(1, 2, 0);
    expect(lossOf([logitsOf(y)], [[1, 2]])[0]).toBeCloseTo(-Math.log(want), 5);
  });

  it('repeated labels need a blank between them; too few frames give +∞, or 0 with zeroInfinity', () => {
    // "aa" in T = 3: only a − a.
    const y = [[0.2, 0.8], [0.6, 0.4], [0.1, 0.9]];
    expect(lossOf([logitsOf(y)], [[1, 1]])[0]).toBeCloseTo(-Math.log(0.8 * 0.6 * 0.9), 5);
    expect(ctcMinFrames([1, 1])).toBe(3);
    expect(ctcMinFrames([1, 2, 2, 2, 3])).toBe(7);
    // "aa" in T = 2 frames (a a collapses to "a"): impossible.
    const short = logitsOf([[0.2, 0.8], [0.1, 0.9]]);
    expect(lossOf([short], [[1, 1]], { zeroInfinity: false })[0]).toBe(Infinity);
    expect(lossOf([short], [[1, 1]])[0]).toBe(0);
    // …and no gradient from it, while a possible row in the same batch keeps its gradient.
    const g = tf.tidy(() => tf.grad((x: tf.Tensor) => tf.sum(ctcLoss(x, tf.tensor2d([[1, 1], [1, 0]]), tf.tensor2d([[1, 1], [1, 0]]))))(tf.tensor3d([short, short])).arraySync()) as number[][][];
    expect(g[0]!.flat().every((v) => v === 0)).toBe(true);
    expect(g[1]!.flat().some((v) => v !== 0)).toBe(true);
  });

  it('only the frames of the input length count; trailing all-zero logits are padding', () => {
    const y = [[0.4, 0.6], [0.7, 0.3]];
    const padded = [...logitsOf(y), [0, 0], [0, 0]];
    expect(Array.from(framesFromLogits(padded.flat(), 1, 4, 2))).toEqual([2]);
    expect(lossOf([padded], [[1]])[0]).toBeCloseTo(-Math.log(0.72), 6);
    // Explicit lengths win: T = 1 → p('a') = y_0(a) = 0.6.
    expect(lossOf([padded], [[1]], { lengths: [1] })[0]).toBeCloseTo(-Math.log(0.6), 6);
    // Padding frames get no gradient.
    const g = tf.tidy(() => tf.grad((x: tf.Tensor) => tf.sum(ctcLoss(x, tf.tensor2d([[1]]), tf.tensor2d([[1]]))))(tf.tensor3d([padded])).arraySync()) as number[][][];
    expect(g[0]!.slice(2).flat()).toEqual([0, 0, 0, 0]);
  });

  it('a row without a label gives 0; a label that is the blank or out of range is an error', () => {
    const z = [logitsOf([[0.4, 0.6], [0.7, 0.3]])];
    expect(tf.tidy(() => Array.from(ctcLoss(tf.tensor3d(z), tf.tensor2d([[0]]), tf.tensor2d([[0]])).dataSync()))).toEqual([0]);
    expect(() => lossOf(z, [[0]])).toThrow(/row 0.*not a class id.*other than the blank/);
    expect(() => lossOf(z, [[2]])).toThrow(/not a class id in \[0, 2\)/);
    expect(() => lossOf(z, [[1]], { blank: 1 })).toThrow(/blank/);
    expect(() => lossOf(z, [[1]], { lengths: [1.5] })).toThrow(/input length 1.5/);
    expect(() => lossOf(z, [[1]], { lengths: [3] })).toThrow(/input length 3 is not in \[0, 2\]/);
  });
});

describe('CTC gradient', () => {
  it('equals central finite differences of −log p (float64, JS core)', () => {
    const rnd = mulberry32(7);
    const T = 6, K = 4, label = [1, 3, 3];
    const z = Float64Array.from({ length: T * K }, () => 2 * (rnd() - 0.5) * 2);
    const nll = (v: Float64Array) => -ctcForward(logSoftmaxRows(v, 0, T, K), T, K, label, 0).logLikelihood;
    const lp = logSoftmaxRows(z, 0, T, K);
    const grad = new Float32Array(T * K);
    ctcGradient(lp, T, K, label, 0, ctcForward(lp, T, K, label, 0), 1, grad, 0);
    const h = 1e-6;
    for (let i = 0; i < T * K; i++) {
      const up = Float64Array.from(z), down = Float64Array.from(z);
      up[i] += h;
      down[i] -= h;
      expect(grad[i]).toBeCloseTo((nll(up) - nll(down)) / (2 * h), 5);
    }
    // The gradient of each frame sums to 0 (softmax and occupancy both sum to 1).
    for (let t = 0; t < T; t++) expect(grad.slice(t * K, (t + 1) * K).reduce((a, b) => a + b, 0)).toBeCloseTo(0, 6);
  });
});

describe('the rescaled recursion (what the op runs) and the log-space one agree', () => {
  it('on random rows, and where the rescaled one underflows the log-space one takes over', () => {
    const rnd = mulberry32(11);
    for (const [T, K, U, spread] of [[30, 6, 8, 3], [50, 10, 20, 8], [12, 3, 5, 1]] as const) {
      const z = Float64Array.from({ length: T * K }, () => (rnd() - 0.5) * 2 * spread);
      const label = Array.from({ length: U }, () => 1 + Math.floor(rnd() * (K - 1)));
      const lp = logSoftmaxRows(z, 0, T, K);
      const fwd = ctcForward(lp, T, K, label, 0);
      const slow = new Float32Array(T * K), fast = new Float32Array(T * K);
      ctcGradient(lp, T, K, label, 0, fwd, 1, slow, 0);
      const v = ctcRowScaled(lp, T, K, label, 0, { out: fast, offset: 0, scale: 1 });
      expect(v).not.toBeNull();
      expect(v! / -fwd.logLikelihood).toBeCloseTo(1, 10);
      fast.forEach((g, i) => expect(g).toBeCloseTo(slow[i]!, 6));
    }
    // Logits 2000 apart: the label's frames have probability e^-2000 — 0 in float64 — so the rescaled
    // recursion cannot run (null) and ctcRow answers from log space: −log p ≈ 2000 per such frame.
    const T = 3, K = 3, label = [1, 2, 1];
    const z = new Float64Array(T * K);
    for (let t = 0; t < T; t++) z[t * K] = 2000; // the blank dominates every frame
    const lp = logSoftmaxRows(z, 0, T, K);
    expect(ctcRowScaled(lp, T, K, label, 0)).toBeNull();
    expect(ctcRow(lp, T, K, label, 0)).toBeCloseTo(3 * 2000 + 3 * Math.log(1 + 2 * Math.exp(-2000)), 6);
    const g = new Float32Array(T * K);
    ctcRow(lp, T, K, label, 0, { out: g, offset: 0, scale: 1 });
    // All the occupancy is on the label's path 1, 2, 1: gradient y − onehot = (1, −1, 0), (1, 0, −1), (1, −1, 0).
    expect(Array.from(g)).toEqual([1, -1, 0, 1, 0, -1, 1, -1, 0]);
  });
});

interface RefCase {
  name: string; B: number; T: number; K: number; blank: number;
  logits: number[]; labels: number[][]; lengths: number[];
  loss_none: (number | null)[]; loss_mean_zero_infinity: number; grad_sum_zero_infinity: number[];
}

describe('CTC loss against PyTorch (test/fixtures/ctc-reference.json, made by ctc-reference.py)', () => {
  const ref = JSON.parse(fs.readFileSync(new URL('../fixtures/ctc-reference.json', import.meta.url), 'utf8')) as { torch: string; cases: RefCase[] };
  it('was made by torch', () => expect(ref.torch).toMatch(/^1\.13/));
  for (const c of ref.cases) {
    it(`${c.name}: per-row losses, PyTorch's 'mean' and the gradient`, () => {
      const U = Math.max(...c.labels.map((l) => l.length));
      const lab = c.labels.map((l) => [...l, ...new Array(U - l.length).fill(0)]);
      const msk = c.labels.map((l) => [...l.map(() => 1), ...new Array(U - l.length).fill(0)]);
      tf.tidy(() => {
        const x = tf.tensor3d(Float32Array.from(c.logits), [c.B, c.T, c.K]);
        const labels = tf.tensor2d(lab), mask = tf.tensor2d(msk);
        const none = ctcLoss(x, labels, mask, { lengths: c.lengths, zeroInfinity: false }).dataSync();
        c.loss_none.forEach((want, b) => {
          if (want === null) expect(none[b]).toBe(Infinity);
          else expect(Math.abs(none[b]! - want) / want).toBeLessThan(2e-6);
        });
        // PyTorch 'mean' = mean over rows of loss_b / U_b (zero_infinity).
        const zi = ctcLoss(x, labels, mask, { lengths: c.lengths }).dataSync();
        const mean = Array.from(zi).reduce((s, v, b) => s + v / c.labels[b]!.length, 0) / c.B;
        expect(mean).toBeCloseTo(c.loss_mean_zero_infinity, 4);
        const g = tf.grad((v: tf.Tensor) => tf.sum(ctcLoss(v, labels, mask, { lengths: c.lengths })))(x).dataSync();
        let worst = 0;
        c.grad_sum_zero_infinity.forEach((want, i) => { worst = Math.max(worst, Math.abs(g[i]! - want)); });
        expect(worst).toBeLessThan(2e-6);
      });
    });
  }
});

describe('CTC loss memory', () => {
  it('leaves no tensor behind, forward or backward', () => {
    const x = tf.tensor3d([logitsOf([[0.4, 0.6], [0.7, 0.3]])]), labels = tf.tensor2d([[1]]), mask = tf.tensor2d([[1]]);
    const before = tf.memory().numTensors;
    tf.tidy(() => { tf.grad((v: tf.Tensor) => tf.sum(ctcLoss(v, labels, mask)))(x); });
    tf.tidy(() => { ctcLoss(x, labels, mask); });
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, labels, mask]);
  });
});

describe('CTC loss speed', () => {
  it('B = 32, T = 200, U = 40, K = 30: forward + backward well under a second', () => {
    const rnd = mulberry32(3);
    const B = 32, T = 200, U = 40, K = 30;
    const z = Float32Array.from({ length: B * T * K }, () => rnd() * 4 - 2);
    const lab = Float32Array.from({ length: B * U }, () => 1 + Math.floor(rnd() * (K - 1)));
    const x = tf.tensor3d(z, [B, T, K]), labels = tf.tensor2d(lab, [B, U]), mask = tf.ones([B, U]);
    const t0 = performance.now();
    const grad = tf.grad((v: tf.Tensor) => tf.sum(ctcLoss(v, labels, mask)))(x);
    const g = grad.dataSync();
    const ms = performance.now() - t0;
    tf.dispose([x, labels, mask, grad]);
    expect(g.every(Number.isFinite)).toBe(true);
    // A loose bound (a loaded 2-core machine): the point is milliseconds, not seconds.
    expect(ms).toBeLessThan(2000);
  });
});
