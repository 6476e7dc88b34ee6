import { beforeAll, describe, expect, it } from 'vitest';
import { combine, gramian } from '../../src/aggregators/linalg.js';
import { initBackend } from '../../src/engine/backend.js';
import { tf } from '../../src/engine/tf.js';
import { TaskGradients } from '../../src/train/task-gradients.js';

beforeAll(async () => { await initBackend('wasm'); });

const shapes = [[2, 3], [3], [700, 40]];

/** Task t's gradient for each shared tensor, seeded. */
function parts(T: number): tf.Tensor[][] {
  return Array.from({ length: T }, (_, t) => shapes.map((s, k) => tf.randomNormal(s, 0, 1, 'float32', 10 * t + k)));
}

describe('TaskGradients: G on the device, in per-tensor blocks', () => {
  it('hand-worked: two tasks, one 2-vector and one scalar shared tensor', () => {
    // g1 = (1, 2 | 3), g2 = (4, -1 | 0): M = [[14, 2], [2, 17]]; β = (2, 1): d = (6, 3 | 6).
    const G = new TaskGradients([[tf.tensor1d([1, 2]), tf.tensor1d([3])], [tf.tensor1d([4, -1]), tf.tensor1d([0])]], [[2], [1]]);
    expect(G.T).toBe(2);
    expect(G.P).toBe(3);
    expect(G.gramian()).toEqual([[14, 2], [2, 17]]);
    expect(G.rows().map((r) => Array.from(r))).toEqual([[1, 2, 3], [4, -1, 0]]);
    const d = G.combine([2, 1]);
    expect(d.map((t) => Array.from(t.dataSync()))).toEqual([[6, 3], [6]]);
    d.forEach((t) => t.dispose());
    G.dispose();
  });

  it('its Gramian, rows and combination equal the float64 reference on the rows (T = 2, 5)', () => {
    for (const T of [2, 5]) {
      const before = tf.memory().numTensors;
      const p = parts(T);
      const rows = p.map((row) => {
        const out = new Float32Array(row.reduce((n, g) => n + g.size, 0));
        let o = 0;
        for (const g of row) { out.set(g.dataSync() as Float32Array, o); o += g.size; }
        return out;
      });
      const G = new TaskGradients(p, shapes);
      expect(G.P).toBe(rows[0]!.length);
      G.rows().forEach((r, t) => expect(Array.from(r)).toEqual(Array.from(rows[t]!)));
      const M = G.gramian();
      const ref = gramian(rows);
      M.forEach((row, i) => row.forEach((v, j) => {
        expect(Math.abs(v - ref[i]![j]!) / (1 + Math.abs(ref[i]![j]!))).toBeLessThan(1e-5);
        expect(v).toBe(M[j]![i]); // exactly symmetric
      }));
      const beta = Array.from({ length: T }, (_, t) => (t % 2 ? -0.5 : 1.25) * (t + 1));
      const d = G.combine(beta);
      expect(d.map((t) => t.shape)).toEqual(shapes);
      const flat = new Float32Array(G.P);
      let o = 0;
      for (const t of d) { flat.set(t.dataSync() as Float32Array, o); o += t.size; }
      const want = combine(rows, beta);
      let worst = 0;
      want.forEach((v, k) => (worst = Math.max(worst, Math.abs(v - flat[k]!) / (1 + Math.abs(v)))));
      expect(worst).toBeLessThan(1e-5);
      // A whole direction given as numbers comes back in the shared shapes.
      const back = G.apply({ vector: want });
      expect(back.map((t) => t.shape)).toEqual(shapes);
      expect(() => G.combine([1])).toThrow(/1 weights for/);
      expect(() => G.fromVector(new Float32Array(3))).toThrow(/length 3/);
      [...d, ...back].forEach((t) => t.dispose());
      G.dispose();
      expect(() => G.gramian()).not.toThrow(); // cached
      expect(() => G.combine(beta)).toThrow(/after dispose/);
      expect(tf.memory().numTensors).toBe(before);
    }
  });
});
