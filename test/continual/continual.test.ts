import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/engine/backend.js';
import { tf } from '../../src/engine/tf.js';
import type { Dataset } from '../../src/data/types.js';
import { headView } from '../../src/continual/heads.js';
import { diagonalFisher, disposeFisher, ewcPenalty, ewcPenaltyValue } from '../../src/continual/ewc.js';
import { distillationLoss, lwfPenalty } from '../../src/continual/lwf.js';
import { buildModel } from '../../src/models/registry.js';
import type { MultiTaskModel } from '../../src/models/types.js';
import { createTask } from '../../src/tasks/registry.js';
import { Trainer } from '../../src/train/node/trainer.js';
import { makeBatch, prepare } from '../../src/train/batches.js';
import { syntheticDataset } from '../helpers/synthetic.js';

beforeAll(async () => { await initBackend('wasm'); });

/** Logistic regression with one weight: logit = w·x. */
function oneWeightModel(w: number): MultiTaskModel & { w: tf.Variable } {
  const v = tf.variable(tf.tensor2d([[w]]), true, `w_${Math.random().toString(36).slice(2)}`);
  return {
    w: v,
    architecture: 'one-weight', taskNames: ['y'],
    forward: (x) => ({ logits: [tf.matMul(x, v)] }),
    sharedVariables: () => [v], taskVariables: () => [], trainableVariables: () => [v],
    layersModel: () => { throw new Error('not needed'); },
    dispose: () => v.dispose(),
  };
}

function oneFeatureData(x: number[], y: number[]): Dataset {
  return {
    name: 'tiny', inputShape: [1], n: x.length, x: Float32Array.from(x),
    tasks: [{ name: 'y', kind: 'binary', width: 1, outputSize: 1 }], labels: { y: Float32Array.from(y) },
  };
}

const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

describe('EWC', () => {
  const xs = [1, -2, 0.5, 3], ys = [1, 0, 0, 1], w0 = 0.7;

  it('diagonal Fisher of a 1-parameter logistic regression = mean of (y − σ(wx))² x²', () => {
    const model = oneWeightModel(w0);
    const task = createTask({ name: 'y', kind: 'binary', width: 1, outputSize: 1 });
    const f = diagonalFisher(model, [task], oneFeatureData(xs, ys));
    const expected = xs.reduce((s, x, i) => s + (ys[i]! - sigmoid(w0 * x)) ** 2 * x * x, 0) / xs.length;
    expect(f.samples).toBe(4);
    expect(f.fisher[0]!.dataSync()[0]).toBeCloseTo(expected, 5);
    expect(f.anchor[0]!.dataSync()[0]).toBeCloseTo(w0, 6);
    // With a sample budget, F averages over that many rows (a seeded subset).
    const f2 = diagonalFisher(model, [task], oneFeatureData(xs, ys), { samples: 2, seed: 1 });
    expect(f2.samples).toBe(2);
    disposeFisher(f); disposeFisher(f2); model.dispose();
  });

  it('penalty (λ/2) Σ F (θ − θ*)² and its gradient λ F (θ − θ*)', () => {
    const model = oneWeightModel(w0);
    const task = createTask({ name: 'y', kind: 'binary', width: 1, outputSize: 1 });
    const f = diagonalFisher(model, [task], oneFeatureData(xs, ys));
    const F = f.fisher[0]!.dataSync()[0]!;
    expect(ewcPenaltyValue(f, 10).dataSync()[0]).toBeCloseTo(0, 10);
    model.w.assign(tf.tensor2d([[w0 + 0.5]]));
    const lambda = 10;
    const { value, grads } = tf.variableGrads(() => ewcPenaltyValue(f, lambda), [model.w]);
    expect(value.dataSync()[0]).toBeCloseTo((lambda / 2) * F * 0.25, 5);
    expect(grads[model.w.name]!.dataSync()[0]).toBeCloseTo(lambda * F * 0.5, 5);
    tf.dispose([value, ...Object.values(grads)]);
    disposeFisher(f); model.dispose();
  });

  it('in the Trainer: a large λ keeps the Fisher-weighted drift Σ F (θ − θ*)² small while a new head trains; λ = 0 does not', async () => {
    const ds = syntheticDataset(300, 8, 3);
    const tasks = ds.tasks.slice(0, 2).map((s) => createTask(s, {}, { values: ds.labels[s.name]!, n: ds.n }));
    const drift: number[] = [];
    for (const lambda of [0, 1000]) {
      const model = buildModel('hps', { inputShape: [8], tasks, seed: 1 }, { encoder: { type: 'mlp', hidden: [8] } });
      const old = headView(model, ['a']);
      await new Trainer(old, [tasks[0]!], { epochs: 2, batchSize: 64, optimizer: { name: 'adam', lr: 1e-2 }, seed: 0, progress: 'silent' }).fit(ds);
      const f = diagonalFisher(old, [tasks[0]!], ds, { samples: 64 });
      const view = headView(model, ['b'], { alsoTrain: ['a'] });
      const trainer = new Trainer(view, [tasks[1]!], { epochs: 4, batchSize: 64, optimizer: { name: 'adam', lr: 1e-2 }, seed: 0, progress: 'silent', penalties: [ewcPenalty(f, lambda)] });
      await trainer.fit(ds);
      drift.push(ewcPenaltyValue(f, 2).dataSync()[0]!);
      trainer.dispose(); disposeFisher(f); model.dispose();
    }
    expect(drift[0]).toBeGreaterThan(1e-4);
    expect(drift[1]).toBeLessThan(0.05 * drift[0]!);
  });
});

describe('LwF', () => {
  it('the distillation loss is 0 when the outputs are unchanged, positive otherwise (binary, multiclass, regression)', () => {
    const z = tf.tensor2d([[0.3], [-1.2], [2.5]]);
    const zc = tf.tensor2d([[0.3, -1, 2], [0, 0, 0.5]]);
    for (const [kind, t] of [['binary', z], ['multilabel', z], ['multiclass', zc], ['regression', z]] as const) {
      expect(Math.abs(distillationLoss(kind, t, t).dataSync()[0]!)).toBeLessThan(1e-6);
      expect(distillationLoss(kind, tf.add(t, tf.tensor2d(t.shape[1] === 3 ? [[1, 0, 0], [0, 0, 1]] : [[0.5], [0], [-1]])), t).dataSync()[0]!).toBeGreaterThan(1e-3);
    }
    tf.dispose([z, zc]);
  });

  it('binary distillation with T = 2 is the Bernoulli KL of the tempered probabilities (hand-worked)', () => {
    // teacher logit 2, student 0: p = σ(1), q = σ(0) = 0.5 → KL = p ln(2p) + (1 − p) ln(2(1 − p)).
    const p = sigmoid(1);
    const expected = p * Math.log(2 * p) + (1 - p) * Math.log(2 * (1 - p));
    expect(distillationLoss('binary', tf.tensor2d([[0]]), tf.tensor2d([[2]]), 2).dataSync()[0]).toBeCloseTo(expected, 6);
    // Its gradient in the student logit: (q − p) / T.
    const g = tf.grad((s: tf.Tensor) => distillationLoss('binary', s, tf.tensor2d([[2]]), 2))(tf.tensor2d([[0]]));
    expect(g.dataSync()[0]).toBeCloseTo((0.5 - p) / 2, 6);
  });

  it('the LwF penalty is 0 for a teacher equal to the student, and grows as the old head drifts', () => {
    const ds = syntheticDataset(64, 8, 5);
    const tasks = ds.tasks.map((s) => createTask(s, {}, { values: ds.labels[s.name]!, n: ds.n }));
    const student = buildModel('hps', { inputShape: [8], tasks, seed: 2 }, { encoder: { type: 'mlp', hidden: [6] } });
    const teacher = buildModel('hps', { inputShape: [8], tasks, seed: 2 }, { encoder: { type: 'mlp', hidden: [6] } });
    teacher.trainableVariables().forEach((v, i) => v.assign(student.trainableVariables()[i]!));
    const old = ['a', 'b', 'c'];
    const penalty = lwfPenalty(headView(student, old), headView(teacher, old), tasks);
    const batch = makeBatch(prepare(ds, ['a']), Array.from({ length: 32 }, (_, i) => i));
    expect(Math.abs(penalty(batch, []).dataSync()[0]!)).toBeLessThan(1e-6);
    const enc = student.sharedVariables()[0]!;
    enc.assign(tf.add(enc, 0.3));
    expect(penalty(batch, []).dataSync()[0]!).toBeGreaterThan(1e-3);
    student.dispose(); teacher.dispose();
  });
});

describe('head views', () => {
  it('expose the chosen heads\' logits and train the shared + chosen (+ alsoTrain) variables', () => {
    const ds = syntheticDataset(16, 8, 7);
    const tasks = ds.tasks.map((s) => createTask(s, {}, { values: ds.labels[s.name]!, n: ds.n }));
    const model = buildModel('hps', { inputShape: [8], tasks, seed: 2 }, { encoder: { type: 'mlp', hidden: [4] } });
    const view = headView(model, ['c', 'a'], { alsoTrain: ['b'] });
    const x = tf.tensor2d(ds.x, [16, 8]);
    const all = model.forward(x, false).logits, some = view.forward(x, false).logits;
    expect(some.map((t) => t.shape[1])).toEqual([3, 1]);
    expect(Array.from(some[0]!.dataSync())).toEqual(Array.from(all[2]!.dataSync()));
    expect(view.trainableVariables().length).toBe(model.sharedVariables().length + ['c', 'a', 'b'].reduce((s, t) => s + model.taskVariables(t).length, 0));
    expect(headView(model, ['a'], { trainShared: false }).trainableVariables()).toEqual(model.taskVariables('a'));
    expect(() => headView(model, ['zzz'])).toThrow(/no task "zzz"/);
    x.dispose(); model.dispose();
  });
});
