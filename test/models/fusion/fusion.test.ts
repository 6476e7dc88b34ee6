import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../src/engine/backend.js';
import { tf } from '../../../src/engine/tf.js';
import { mulberry32 } from '../../../src/data/split.js';
import { crossViewAttention } from '../../../src/models/fusion/layers.js';
import { buildFusionEncoder } from '../../../src/models/fusion/model.js';
import { inputNames, resolveViews } from '../../../src/models/fusion/views.js';
import { loadLayersModel, saveLayersModel } from '../../../src/models/io.js';
import { buildModel } from '../../../src/models/registry.js';
import { createTask } from '../../../src/tasks/registry.js';
import { Trainer } from '../../../src/train/node/trainer.js';
import { syntheticDataset } from '../../helpers/synthetic.js';

beforeAll(async () => { await initBackend('wasm'); });
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mtl-fusion-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const rows = (t: tf.Tensor) => t.arraySync() as number[][];

describe('views', () => {
  it('resolve column indices and feature-name prefixes', () => {
    const names = ['BH_LowPeakAmp', 'BHSUM1', 'Mean_A', 'Std_A', 'Mean_B', 'sex=f', 'sex=m'];
    expect(resolveViews({ rhythm: ['BH'], timbre: ['Mean_', 'Std_'], other: [6, 5] }, 7, names))
      .toEqual({ rhythm: [0, 1], timbre: [2, 3, 4], other: [5, 6] });
    expect(inputNames({ inputSize: 3, features: [{ column: 'age', type: 'numeric', mean: 0, std: 1 }, { column: 'sex', type: 'categorical', categories: ['f', 'm'] }] }))
      .toEqual(['age', 'sex=f', 'sex=m']);
    expect(() => resolveViews({ a: [7] }, 7, names)).toThrow(/not in 0..6/);
    expect(() => resolveViews({ a: ['Zzz'] }, 7, names)).toThrow(/no feature name starts with "Zzz"/);
    expect(() => resolveViews({ a: ['BH'] }, 7)).toThrow(/feature names are unknown/);
    expect(() => resolveViews({ a: [] }, 7)).toThrow(/non-empty/);
  });
});

describe('cross-view attention', () => {
  const rnd = mulberry32(5);
  const rand = (shape: number[]) => tf.tensor(Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rnd() * 2 - 1), shape);

  it('the weights over views sum to 1 (each view, each sample); without self-attention the diagonal is 0', () => {
    const E = rand([4, 3, 5]), WQ = rand([5, 2]), WK = rand([5, 2]), WV = rand([5, 5]);
    for (const attendSelf of [true, false]) {
      const { weights, output } = crossViewAttention(E, WQ, WK, WV, attendSelf);
      expect(weights.shape).toEqual([4, 3, 3]);
      expect(output.shape).toEqual([4, 3, 5]);
      for (const sample of weights.arraySync() as number[][][]) {
        sample.forEach((row, v) => {
          expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
          row.forEach((w) => expect(w).toBeGreaterThanOrEqual(0));
          if (!attendSelf) expect(row[v]).toBeCloseTo(0, 6);
        });
      }
      tf.dispose([weights, output]);
    }
    tf.dispose([E, WQ, WK, WV]);
  });

  it('computes o_v = α_vv e_v + Σ_{u≠v} α_vu e_u W_V with α = softmax(q·k/√d_k) (hand-worked, two views)', () => {
    // D = 1, d_k = 1: e = (1, 2), W_Q = 1, W_K = 1, W_V = 3.
    const E = tf.tensor3d([[[1], [2]]]), one = tf.tensor2d([[1]]), WV = tf.tensor2d([[3]]);
    const { weights, output } = crossViewAttention(E, one, one, WV, true);
    // view 1: scores (1·1, 1·2) → α = softmax(1, 2); o_1 = α_11·1 + α_12·(2·3)
    const s = (a: number, b: number) => [Math.exp(a) / (Math.exp(a) + Math.exp(b)), Math.exp(b) / (Math.exp(a) + Math.exp(b))];
    const [a11, a12] = s(1, 2), [a21, a22] = s(2, 4);
    const w = weights.arraySync() as number[][][];
    expect(w[0]![0]![0]).toBeCloseTo(a11!, 5);
    expect(w[0]![1]![1]).toBeCloseTo(a22!, 5);
    const o = output.arraySync() as number[][][];
    expect(o[0]![0]![0]).toBeCloseTo(a11! * 1 + a12! * 6, 5);
    expect(o[0]![1]![0]).toBeCloseTo(a21! * 3 + a22! * 2, 5);
    // Others only (attendSelf false): with two views the single other view gets weight 1, plus the residual.
    const r = crossViewAttention(E, one, one, WV, false);
    expect(rows(tf.reshape(r.output, [1, 2]))[0]).toEqual([1 + 6, 2 + 3]);
    tf.dispose([E, one, WV, weights, output, r.weights, r.output]);
  });
});

describe('fusion architecture', () => {
  const ds = syntheticDataset(256, 8, 3);
  const tasks = ds.tasks.map((s) => createTask(s, {}, { values: ds.labels[s.name]!, n: ds.n }));
  const encoder = { type: 'mlp', hidden: [12, 6] };
  let x: tf.Tensor;
  beforeAll(() => { x = tf.tensor2d(ds.x.slice(0, 16 * 8), [16, 8]); });

  it('with one view it equals the single-view model (hps on that view\'s columns)', () => {
    for (const fusion of ['attention', 'concat']) {
      // All columns: the fusion model is hps itself.
      const f = buildModel('fusion', { inputShape: [8], tasks, seed: 4 }, { views: { all: [0, 1, 2, 3, 4, 5, 6, 7] }, fusion, encoder });
      const h = buildModel('hps', { inputShape: [8], tasks, seed: 4 }, { encoder });
      const a = f.forward(x, false).logits, b = h.forward(x, false).logits;
      a.forEach((t, i) => expect(Array.from(t.dataSync())).toEqual(Array.from(b[i]!.dataSync())));
      tf.dispose([...a, ...b]);
      f.dispose(); h.dispose();
    }
    // A subset of columns: hps on the sliced input.
    const cols = [2, 3, 4, 5];
    const f = buildModel('fusion', { inputShape: [8], tasks, seed: 4 }, { views: { mid: cols }, encoder });
    const h = buildModel('hps', { inputShape: [4], tasks, seed: 4 }, { encoder });
    const sliced = tf.gather(x, tf.tensor1d(cols, 'int32'), 1);
    const a = f.forward(x, false).logits, b = h.forward(sliced, false).logits;
    a.forEach((t, i) => expect(Array.from(t.dataSync())).toEqual(Array.from(b[i]!.dataSync())));
    tf.dispose([sliced, ...a, ...b]);
    f.dispose(); h.dispose();
  });

  it('attention and concat fusion train, and the saved model loads with the same outputs', async () => {
    const views = { v1: [0, 1, 2], v2: [3, 4, 5], v3: [6, 7] };
    for (const fusion of ['attention', 'concat'] as const) {
      const model = buildModel('fusion', { inputShape: [8], tasks, seed: 1 }, { views, fusion, encoder });
      const t = new Trainer(model, tasks, { epochs: 6, batchSize: 32, optimizer: { name: 'adam', lr: 1e-2 }, seed: 1, progress: 'silent' });
      const r = await t.fit(ds);
      for (const task of tasks) expect(r.history.at(-1)!.train[task.name]!.loss).toBeLessThan(r.history[0]!.train[task.name]!.loss);
      const dir = path.join(tmp, fusion);
      fs.mkdirSync(dir);
      await saveLayersModel(dir, model.layersModel());
      const loaded = await loadLayersModel(dir);
      const a = model.forward(x, false).logits, b = loaded.predict(x) as tf.Tensor[];
      a.forEach((l, i) => Array.from(l.dataSync()).forEach((v, j) => expect(b[i]!.dataSync()[j]).toBeCloseTo(v, 5)));
      tf.dispose([...a, ...b]);
      loaded.dispose();
      t.dispose();
      model.dispose();
    }
  });

  it('exposes the per-sample attention weights over the views', () => {
    const parts = buildFusionEncoder({ inputShape: [8], tasks, seed: 2 }, { views: { a: [0, 1, 2, 3], b: [4, 5, 6, 7] }, fusion: 'attention', encoder: { type: 'mlp', hidden: [6] } });
    const e = parts.views.predict(x) as tf.Tensor[];
    const w = parts.attention!.attentionWeights(e);
    expect(w.shape).toEqual([16, 2, 2]);
    for (const s of w.arraySync() as number[][][]) for (const row of s) expect(row[0]! + row[1]!).toBeCloseTo(1, 5);
    tf.dispose([...e, w]);
  });
});
