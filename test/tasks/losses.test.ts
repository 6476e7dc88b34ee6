import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/engine/backend.js';
import { tf } from '../../src/engine/tf.js';
import { createTask } from '../../src/tasks/registry.js';
import type { TaskSpec } from '../../src/data/types.js';
import { makeBatch, prepare } from '../../src/train/batches.js';

beforeAll(async () => { await initBackend('wasm'); });

const scalar = (t: tf.Tensor) => { const v = t.dataSync()[0]; t.dispose(); return v; };

/** Loss of a task on a batch built the trainer's way (NaN labels → mask 0). */
function batchLoss(spec: TaskSpec, logits: number[][], labels: number[], state?: Record<string, unknown>) {
  const n = logits.length;
  const task = createTask(spec, { state });
  const data = prepare({ name: 't', inputShape: [1], n, x: new Float32Array(n), tasks: [spec], labels: { [spec.name]: Float32Array.from(labels) } }, [spec.name]);
  const batch = makeBatch(data, Array.from({ length: n }, (_, i) => i));
  const l = tf.tensor2d(logits);
  const loss = scalar(task.loss(l, batch.labels[0], batch.masks[0]));
  l.dispose(); batch.x.dispose(); batch.labels[0].dispose(); batch.masks[0].dispose();
  return loss;
}

describe('task losses (hand-worked) and missing labels', () => {
  const mc: TaskSpec = { name: 'm', kind: 'multiclass', width: 1, outputSize: 3 };
  const bin: TaskSpec = { name: 'b', kind: 'binary', width: 1, outputSize: 1 };
  const reg: TaskSpec = { name: 'r', kind: 'regression', width: 1, outputSize: 1 };
  const box: TaskSpec = { name: 'x', kind: 'box', width: 4, outputSize: 4 };
  const ml: TaskSpec = { name: 'l', kind: 'multilabel', width: 2, outputSize: 2 };

  it('multiclass: softmax cross-entropy of uniform logits is ln 3; missing rows ignored', () => {
    expect(batchLoss(mc, [[0, 0, 0]], [1])).toBeCloseTo(Math.log(3), 5);
    // Second row's label is missing: its (huge) loss must not count.
    expect(batchLoss(mc, [[0, 0, 0], [50, -50, 0]], [1, NaN])).toBeCloseTo(Math.log(3), 5);
  });

  it('binary: sigmoid CE at logit 0 is ln 2, at logit 2 with label 0 is softplus(2)', () => {
    expect(batchLoss(bin, [[0]], [1])).toBeCloseTo(Math.log(2), 5);
    expect(batchLoss(bin, [[2], [-30]], [0, NaN])).toBeCloseTo(Math.log(1 + Math.exp(2)), 5);
    // Stable for large logits.
    expect(batchLoss(bin, [[100]], [0])).toBeCloseTo(100, 3);
  });

  it('regression: MSE on standardised targets; L1 option', () => {
    // mean 2, std 0.5: label 3 → z = 2; logit 1 → (1 − 2)² = 1.
    expect(batchLoss(reg, [[1], [7]], [3, NaN], { mean: [2], std: [0.5] })).toBeCloseTo(1, 5);
    expect(batchLoss(reg, [[1]], [4], { mean: [2], std: [0.5], loss: 'l1' })).toBeCloseTo(3, 5);
  });

  it('multilabel masks single entries, not whole rows', () => {
    // Entry (0,1) missing: the mean runs over 3 entries, each at logit 0 → ln 2.
    expect(batchLoss(ml, [[0, 99], [0, 0]], [1, NaN, 0, 1])).toBeCloseTo(Math.log(2), 5);
  });

  it('box: smooth-L1 on sigmoid outputs (β = 0.1)', () => {
    // logits 0 → 0.5 each; labels 0.5, 0.5, 0.55, 0.8: d = 0, 0, 0.05, 0.3
    // ℓ = 0, 0, 0.5·0.0025/0.1 = 0.0125, 0.3 − 0.05 = 0.25 → mean 0.2625 / 4 = 0.065625.
    expect(batchLoss(box, [[0, 0, 0, 0], [9, 9, 9, 9]], [0.5, 0.5, 0.55, 0.8, NaN, NaN, NaN, NaN])).toBeCloseTo(0.065625, 6);
  });

  it('a batch with no label for the task has loss 0, not NaN', () => {
    expect(batchLoss(bin, [[3]], [NaN])).toBe(0);
  });

  it('metrics skip missing labels', () => {
    const task = createTask(bin);
    const m = task.metrics(Float32Array.from([0.9, 0.2, 0.7]), Float32Array.from([1, 0, NaN]), 3);
    expect(m.count).toBe(2);
    expect(m.auc).toBe(1);
    expect(m.accuracy).toBe(1);
  });
});

describe('task losses are differentiable', () => {
  it('every kind has a gradient w.r.t. its logits', () => {
    const kinds: TaskSpec[] = [
      { name: 'm', kind: 'multiclass', width: 1, outputSize: 3 },
      { name: 'b', kind: 'binary', width: 1, outputSize: 1 },
      { name: 'r', kind: 'regression', width: 2, outputSize: 2 },
      { name: 'x', kind: 'box', width: 4, outputSize: 4 },
      { name: 'l', kind: 'multilabel', width: 2, outputSize: 2 },
    ];
    for (const spec of kinds) {
      const task = createTask(spec);
      const logits = tf.tensor2d([[0.3, -0.2, 0.1, 0.5].slice(0, task.headUnits), [1, 2, 3, 4].slice(0, task.headUnits)]);
      const labels = tf.tensor2d(spec.kind === 'multiclass' ? [[2], [0]] : spec.kind === 'box' ? [[0.1, 0.2, 0.6, 0.9], [0.3, 0.3, 0.5, 0.5]] : [[1, 0].slice(0, spec.width), [0, 1].slice(0, spec.width)]);
      const mask = tf.onesLike(labels);
      const g = tf.grad((l: tf.Tensor) => task.loss(l, labels, mask))(logits);
      const values = Array.from(g.dataSync());
      expect(values.every(Number.isFinite)).toBe(true);
      expect(values.some((v) => v !== 0)).toBe(true);
      tf.dispose([logits, labels, mask, g]);
    }
  });
});
