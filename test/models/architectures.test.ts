import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/engine/backend.js';
import { tf } from '../../src/engine/tf.js';
import { countParameters, parameterGroups } from '../../src/models/params.js';
import { architectureNames, buildModel } from '../../src/models/registry.js';
import { createTask } from '../../src/tasks/registry.js';
import type { MultiTaskModel } from '../../src/models/types.js';
import type { Task } from '../../src/tasks/types.js';
import { ARCHITECTURES, build, CNN, ds, expectSaveLoadEqual, randomInput } from './helpers.js';

beforeAll(async () => { await initBackend('wasm'); });

// Hand-computed for 8 inputs, encoder mlp [6, 4], heads a: 4→1, b: 4→1, c: 4→3 (5 + 5 + 15 = 25).
// Encoder: 8·6+6 + 6·4+4 = 54 + 28 = 82.
const EXPECTED_PARAMS: Record<string, number> = {
  // 3 towers + 2 units of 3×3 α + heads
  'cross-stitch': 3 * 82 + 2 * 9 + 25,
  // backbone 82, f_2: 6·4+4 = 28; per task: layer 1 (6→6, 6→6) = 84, layer 2 ((4+4)→4, 4→4) = 36 + 20; heads
  mtan: 82 + 28 + 3 * (84 + 56) + 25,
  // 4 experts, 3 gates 8→4, heads
  mmoe: 4 * 82 + 3 * (8 * 4 + 4) + 25,
  // 2 shared + 3 task experts, 3 gates 8→3, heads
  cgc: 5 * 82 + 3 * (8 * 3 + 3) + 25,
  // level 1: 5 experts, 3 task gates 8→3, shared gate 8→5; level 2: 5 MLP experts on 4 inputs (4·6+6 + 28 = 58), 3 task gates 4→3
  ple: 5 * 82 + 3 * 27 + (8 * 5 + 5) + 5 * 58 + 3 * (4 * 3 + 3) + 25,
  // shared parts + one task part per task (same sizes) + heads
  additive: 82 + 3 * 82 + 25,
};

describe.each(ARCHITECTURES)('%s', (arch) => {
  let model: MultiTaskModel;
  let tasks: Task[];
  let x: tf.Tensor;
  beforeAll(() => {
    ({ model, tasks } = build(arch));
    x = randomInput(ds.inputShape);
  });
  afterAll(() => { model.dispose(); x.dispose(); });

  it('is registered and gives one logits tensor per task of its head size', () => {
    expect(architectureNames()).toContain(arch);
    expect(model.architecture).toBe(arch);
    const logits = model.forward(x, false).logits;
    expect(logits.map((l) => l.shape)).toEqual(tasks.map((t) => [5, t.headUnits]));
    tf.dispose(logits);
  });

  it('has the hand-computed number of parameters', () => {
    expect(countParameters(model)).toBe(EXPECTED_PARAMS[arch]);
    const g = parameterGroups(model);
    expect(g.shared + Object.values(g.tasks).reduce((a, b) => a + b, 0)).toBe(EXPECTED_PARAMS[arch]);
  });

  it('every shared variable reaches every task', () => {
    const shared = model.sharedVariables();
    model.taskNames.forEach((_, t) => {
      const { value, grads } = tf.variableGrads(() => tf.sum(tf.square(model.forward(x, true).logits[t])) as tf.Scalar, shared);
      expect(shared.filter((v) => !grads[v.name]).map((v) => v.name)).toEqual([]);
      value.dispose();
      tf.dispose(Object.values(grads));
    });
  });

  it('partitions its variables, and a task\'s own variables reach no other task', () => {
    const all = model.trainableVariables();
    const groups = [model.sharedVariables(), ...model.taskNames.map((t) => model.taskVariables(t))];
    expect(groups.flat().length).toBe(all.length);
    expect(new Set(groups.flat())).toEqual(new Set(all));
    expect(model.sharedVariables().length).toBeGreaterThan(0);
    model.taskNames.forEach((task, t) => {
      const own = model.taskVariables(task);
      expect(own.length).toBeGreaterThan(0);
      const { value, grads } = tf.variableGrads(() => {
        const logits = model.forward(x, true).logits;
        return tf.addN(logits.filter((_, u) => u !== t).map((l) => tf.sum(tf.square(l)))) as tf.Scalar;
      }, all);
      for (const v of own) if (grads[v.name]) expect(tf.tidy(() => tf.max(tf.abs(grads[v.name])).dataSync()[0])).toBe(0);
      // ...while the shared ones do reach them (some gradient is non-zero).
      const sharedNorm = model.sharedVariables().reduce((s, v) => s + (grads[v.name] ? tf.tidy(() => tf.sum(tf.abs(grads[v.name])).dataSync()[0]) : 0), 0);
      expect(sharedNorm).toBeGreaterThan(0);
      value.dispose();
      tf.dispose(Object.values(grads));
    });
  });

  it('saves and loads as a standard tfjs model with the same predictions', async () => {
    await expectSaveLoadEqual(model, x);
  });

  it('builds with a cnn encoder: shapes and save/load', async () => {
    const cnn = build(arch, {}, 2, { ...ds, inputShape: [7, 7, 1] }, CNN);
    const xi = randomInput([7, 7, 1], 3);
    const logits = cnn.model.forward(xi, true).logits;
    expect(logits.map((l) => l.shape)).toEqual(cnn.tasks.map((t) => [3, t.headUnits]));
    tf.dispose(logits);
    await expectSaveLoadEqual(cnn.model, xi);
    cnn.model.dispose();
    xi.dispose();
  });

  it('works with a single task (the STL baseline of an experiment)', () => {
    const one = buildModel(arch, { inputShape: ds.inputShape, tasks: build(arch).tasks.slice(0, 1), seed: 0 }, { encoder: { type: 'mlp', hidden: [5] } });
    const logits = one.forward(x, false).logits;
    expect(logits.length).toBe(1);
    expect(logits[0].shape).toEqual([5, 1]);
    expect(one.sharedVariables().length).toBeGreaterThan(0);
    tf.dispose(logits);
    one.dispose();
  });

  it('refuses unknown options and custom encoders with a clear message', () => {
    expect(() => build(arch, { bogus: 1 })).toThrow(/unknown option\(s\) bogus/);
    const { model: custom } = build('hps');
    expect(() => build(arch, {}, 1, ds, { type: 'custom', model: custom.layersModel() })).toThrow(/mlp or cnn encoder/);
    custom.dispose();
  });
});

it('dispose releases every variable', () => {
  for (const arch of ARCHITECTURES) {
    const before = tf.memory().numTensors;
    const { model } = build(arch);
    const x = randomInput(ds.inputShape);
    tf.dispose(model.forward(x, false).logits);
    x.dispose();
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  }
});

// Adult: 98 inputs, two binary tasks, encoder mlp [64, 32], linear heads 32→1 (33 each), default options.
// One encoder: 98·64+64 + 64·32+32 = 6336 + 2080 = 8416.
const ADULT: Record<string, number> = {
  hps: 8416 + 66,
  // 2 towers, 2 units of 2×2 α
  'cross-stitch': 2 * 8416 + 2 * 4 + 66,
  // backbone, f_2 64→32 (2080); per task: layer 1 64→64→64 (2·4160), layer 2 (32+32)→32→32 (2080 + 1056)
  mtan: 8416 + 2080 + 2 * (8320 + 3136) + 66,
  // 4 experts, 2 gates 98→4
  mmoe: 4 * 8416 + 2 * (98 * 4 + 4) + 66,
  // 2 shared + 2×1 task experts, 2 gates 98→3
  cgc: 4 * 8416 + 2 * (98 * 3 + 3) + 66,
  // level 1: 4 experts, 2 task gates 98→3, shared gate 98→4; level 2: 4 experts [64, 32] on 32 inputs (2112 + 2080), 2 task gates 32→3
  ple: 4 * 8416 + 2 * 297 + 396 + 4 * 4192 + 2 * (32 * 3 + 3) + 66,
  // shared parts + 2 task parts
  additive: 3 * 8416 + 66,
};

it.each(Object.entries(ADULT))('%s on adult (98 inputs, 2 binary tasks, mlp [64, 32]) has %i parameters', (arch, expected) => {
  const tasks = ['income', 'sex'].map((name) => createTask({ name, kind: 'binary', width: 1, outputSize: 1 }));
  const model = buildModel(arch, { inputShape: [98], tasks, seed: 0 }, { encoder: { type: 'mlp', hidden: [64, 32] } });
  expect(countParameters(model)).toBe(expected);
  model.dispose();
});
