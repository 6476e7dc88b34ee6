import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/engine/backend.js';
import { tf } from '../../src/engine/tf.js';
import type { AdditiveModel } from '../../src/models/additive.js';
import { buildModel } from '../../src/models/registry.js';
import type { MultiTaskModel } from '../../src/models/types.js';
import { disposeBatch, makeBatch, prepare } from '../../src/train/batches.js';
import { Trainer, type TrainerOptions } from '../../src/train/node/trainer.js';
import { build, ds, expectAllClose, expectSaveLoadEqual, maxAbsDiff, randomInput, tasksOf } from './helpers.js';

beforeAll(async () => { await initBackend('wasm'); });

const LINEAR = { type: 'mlp', hidden: [5], activation: 'linear' };
const snapshot = (vs: tf.Variable[]) => vs.map((v) => Array.from(v.dataSync()));
const changed = (vs: tf.Variable[], before: number[][]) => vs.some((v, i) => Array.from(v.dataSync()).some((x, j) => x !== before[i][j]));

async function train(model: MultiTaskModel, options: Partial<TrainerOptions> = {}) {
  const trainer = new Trainer(model, tasksOf().filter((t) => model.taskNames.includes(t.name)), {
    epochs: 2, batchSize: 64, optimizer: { name: 'sgd', lr: 0.05 }, seed: 0, progress: 'silent', ...options,
  });
  await trainer.fit(ds);
  trainer.dispose();
}

describe('additive (regularised MTL)', () => {
  it('starts as hard sharing: shared parts seeded like the hps encoder, task parts at 0', () => {
    const a = build('additive').model, h = build('hps').model;
    const x = randomInput(ds.inputShape);
    const got = a.forward(x, false).logits, want = h.forward(x, false).logits;
    expectAllClose(got, want, 1e-6);
    tf.dispose([...got, ...want, x]);
    a.dispose(); h.dispose();
  });

  it('with a very large task penalty (v → 0) it trains like hard sharing of a linear model', async () => {
    // SGD, lr 0.01, 8 steps. λ = 1/(2·lr) is the largest penalty plain SGD can take (each step removes
    // all of v: v ← v − lr·2λ·v − lr·∇), so v is one step's task gradient, O(lr).
    const options: Partial<TrainerOptions> = { epochs: 4, optimizer: { name: 'sgd', lr: 0.01 } };
    const x = randomInput(ds.inputShape, 16);
    const hps = build('hps', {}, 1, ds, LINEAR).model;
    await train(hps, options);
    const want = hps.forward(x, false).logits;
    const gap = async (taskPenalty: number) => {
      const a = build('additive', { taskPenalty }, 1, ds, LINEAR).model as AdditiveModel;
      await train(a, options);
      const got = a.forward(x, false).logits;
      const d = Math.max(...got.map((g, i) => maxAbsDiff(g, want[i])));
      const vNorm = a.taskNames.reduce((s, t) => s + a.taskPartVariables(t).reduce((q, v) => q + tf.tidy(() => tf.sum(tf.square(v)).dataSync()[0]), 0), 0);
      tf.dispose(got);
      a.dispose();
      return { d, vNorm };
    };
    const none = await gap(0), some = await gap(12.5), large = await gap(50);
    expect(large.d).toBeLessThan(0.05);
    expect(large.d).toBeLessThan(some.d);
    expect(some.d).toBeLessThan(none.d);
    expect(none.d).toBeGreaterThan(5 * large.d);
    expect(large.vNorm).toBeLessThan(0.1 * none.vNorm);
    tf.dispose([...want, x]);
    hps.dispose();
  });

  it('with the shared part frozen at 0 it equals single-task learning, task by task', async () => {
    const a = build('additive', { taskPenalty: 0 }).model as AdditiveModel;
    const shared = new Set(a.sharedVariables());
    a.sharedVariables().forEach((v) => v.assign(tf.zerosLike(v)));
    const tasks = tasksOf();
    const stl = tasks.map((task, t) => {
      const m = buildModel('hps', { inputShape: ds.inputShape, tasks: [task], seed: 21 + t }, { encoder: { type: 'mlp', hidden: [6, 4] }, head: { hidden: [] } });
      [...a.taskPartVariables(task.name), ...a.headVariables(task.name)].forEach((v, i) => v.assign(m.trainableVariables()[i]));
      return m;
    });
    // The same model with the shared variables left out of training.
    const frozen: MultiTaskModel = { ...a, sharedVariables: () => [], trainableVariables: () => a.trainableVariables().filter((v) => !shared.has(v)) };
    const options: Partial<TrainerOptions> = { optimizer: { name: 'adam', lr: 1e-2 } };
    await train(frozen, options);
    for (const m of stl) await train(m, options);
    const x = randomInput(ds.inputShape, 16);
    const got = a.forward(x, false).logits;
    stl.forEach((m, t) => {
      const want = m.forward(x, false).logits;
      expectAllClose([got[t]], want, 1e-5);
      tf.dispose(want);
      m.dispose();
    });
    expect(a.sharedVariables().every((v) => tf.tidy(() => tf.max(tf.abs(v)).dataSync()[0]) === 0)).toBe(true);
    tf.dispose([...got, x]);
    a.dispose();
  });

  it('a large shared penalty drives the shared part towards 0', async () => {
    const a = build('additive', { taskPenalty: 0, sharedPenalty: 5 }).model;
    const norm = () => a.sharedVariables().reduce((s, v) => s + tf.tidy(() => tf.sum(tf.square(v)).dataSync()[0]), 0);
    const before = norm();
    await train(a);
    expect(norm()).toBeLessThan(0.05 * before);
    a.dispose();
  });

  it('regularization() = Σ_t λ_t‖v_t‖² + μ‖w‖² (λ per task by name)', () => {
    const a = build('additive', { taskPenalty: { a: 0.5, c: 2 }, sharedPenalty: 0.1 }).model as AdditiveModel;
    a.taskNames.forEach((t) => a.taskPartVariables(t).forEach((v) => v.assign(tf.randomNormal(v.shape, 0, 1, 'float32', 5))));
    const ss = (vs: tf.Variable[]) => vs.reduce((s, v) => s + tf.tidy(() => tf.sum(tf.square(v)).dataSync()[0]), 0);
    // b keeps the default 1e-3
    const want = 0.5 * ss(a.taskPartVariables('a')) + 1e-3 * ss(a.taskPartVariables('b')) + 2 * ss(a.taskPartVariables('c')) + 0.1 * ss(a.sharedVariables());
    const r = a.regularization!();
    expect(r.dataSync()[0]).toBeCloseTo(want, 2);
    r.dispose();
    a.dispose();
    const none = build('additive', { taskPenalty: 0 }).model;
    expect(none.regularization).toBeUndefined();
    none.dispose();
    expect(() => build('additive', { taskPenalty: [1, 2] })).toThrow(/2 values for 3 tasks/);
    expect(() => build('additive', { schedule: 'sometimes' })).toThrow(/schedule must be one of joint, alternating/);
  });

  it('alternating schedule: even steps move only task parts and heads, odd steps only the shared part', () => {
    const a = build('additive', { schedule: 'alternating' }).model;
    const tasks = tasksOf();
    const trainer = new Trainer(a, tasks, { epochs: 1, batchSize: 64, optimizer: { name: 'adam', lr: 1e-2 }, seed: 0, progress: 'silent' });
    const data = prepare(ds, tasks.map((t) => t.name));
    const shared = a.sharedVariables();
    const own = a.taskNames.flatMap((t) => a.taskVariables(t));
    expect(new Set(a.variablesForStep!(0))).toEqual(new Set(own));
    expect(new Set(a.variablesForStep!(1))).toEqual(new Set(shared));
    for (const step of [0, 1, 2, 3]) {
      const batch = makeBatch(data, Array.from({ length: 32 }, (_, i) => i + 32 * step));
      const s0 = snapshot(shared), o0 = snapshot(own);
      trainer.step(batch, 0, step).dispose();
      disposeBatch(batch);
      expect(changed(shared, s0)).toBe(step % 2 === 1);
      expect(changed(own, o0)).toBe(step % 2 === 0);
    }
    trainer.dispose();
    a.dispose();
  });

  it('foldedModel(): one ordinary layer per tower layer (W + V), same predictions, saves as standard tfjs', async () => {
    const a = build('additive').model as AdditiveModel;
    a.taskNames.forEach((t) => a.taskPartVariables(t).forEach((v) => v.assign(tf.randomNormal(v.shape, 0, 0.3, 'float32', 9))));
    const folded = a.foldedModel();
    const x = randomInput(ds.inputShape);
    expect(folded.layers.map((l) => l.getClassName()).filter((c) => c === 'Add')).toEqual([]);
    await expectSaveLoadEqual(a, x, folded);
    await expectSaveLoadEqual(a, x);
    x.dispose();
    folded.dispose();
    a.dispose();
  });
});
