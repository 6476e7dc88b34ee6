import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/engine/backend.js';
import { tf } from '../../src/engine/tf.js';
import type { GatedModel } from '../../src/models/experts.js';
import { build, ds, expectAllClose, randomInput } from './helpers.js';

beforeAll(async () => { await initBackend('wasm'); });

describe('gates (MMoE, CGC, PLE)', () => {
  const cases: [string, Record<string, unknown>, string[], number[]][] = [
    ['mmoe', {}, ['a', 'b', 'c'], [4, 4, 4]],
    ['mmoe', { experts: 2 }, ['a', 'b', 'c'], [2, 2, 2]],
    ['cgc', {}, ['a', 'b', 'c'], [3, 3, 3]],
    ['cgc', { sharedExperts: 3, taskExperts: 2 }, ['a', 'b', 'c'], [5, 5, 5]],
    // every level but the last has a shared gate over all experts: 3 tasks × 1 + 2 shared
    ['ple', {}, ['level1/a', 'level1/b', 'level1/c', 'level1/shared', 'level2/a', 'level2/b', 'level2/c'], [3, 3, 3, 5, 3, 3, 3]],
    ['ple', { levels: 3, taskExperts: 2, sharedExperts: 1 }, ['level1/a', 'level1/b', 'level1/c', 'level1/shared', 'level2/a', 'level2/b', 'level2/c', 'level2/shared', 'level3/a', 'level3/b', 'level3/c'], [3, 3, 3, 7, 3, 3, 3, 7, 3, 3, 3]],
  ];
  it.each(cases)('%s %j: one gate per task (and shared gate), each row sums to 1', (arch, options, names, widths) => {
    const model = build(arch, options).model as GatedModel;
    const x = randomInput(ds.inputShape, 6);
    expect(model.gateNames).toEqual(names);
    const gates = model.gates(x);
    expect(gates.map((g) => g.shape)).toEqual(widths.map((w) => [6, w]));
    for (const g of gates) {
      const sums = tf.tidy(() => tf.sum(g, 1).dataSync());
      sums.forEach((s) => expect(s).toBeCloseTo(1, 5));
      expect(tf.tidy(() => tf.min(g).dataSync()[0])).toBeGreaterThanOrEqual(0);
    }
    expect(model.gateExperts.map((e) => e.length)).toEqual(widths);
    tf.dispose([...gates, x]);
    model.dispose();
  });

  it('a CGC gate mixes its own task experts then the shared ones; the PLE shared gate mixes all', () => {
    const cgc = build('cgc').model as GatedModel;
    expect(cgc.gateExperts[1]).toEqual(['b0', 'shared0', 'shared1']);
    const ple = build('ple').model as GatedModel;
    expect(ple.gateExperts[3]).toEqual(['level1/a0', 'level1/b0', 'level1/c0', 'level1/shared0', 'level1/shared1']);
    expect(ple.gateExperts[4]).toEqual(['level2/a0', 'level2/shared0', 'level2/shared1']);
    cgc.dispose(); ple.dispose();
  });

  it('one expert and no task experts is hard sharing (same seeds, gate ≡ 1); PLE with one level is CGC', () => {
    const x = randomInput(ds.inputShape, 6);
    const hps = build('hps').model;
    const want = hps.forward(x, false).logits;
    for (const [arch, options] of [['mmoe', { experts: 1 }], ['cgc', { sharedExperts: 1, taskExperts: 0 }], ['ple', { sharedExperts: 1, taskExperts: 0, levels: 1 }]] as const) {
      const m = build(arch, options).model;
      const got = m.forward(x, false).logits;
      expectAllClose(got, want, 1e-6);
      tf.dispose(got);
      m.dispose();
    }
    const cgc = build('cgc').model, ple = build('ple', { levels: 1 }).model;
    const a = cgc.forward(x, false).logits, b = ple.forward(x, false).logits;
    expectAllClose(a, b, 1e-6);
    tf.dispose([...a, ...b, ...want, x]);
    hps.dispose(); cgc.dispose(); ple.dispose();
  });

  it('the mixture is Σ_e gate_e · expert_e: a one-hot gate selects its expert, zero gate weights average', () => {
    // Expert 0 is seeded like the hard-sharing encoder, so a gate forced onto it gives hard sharing's output.
    const model = build('mmoe', { experts: 3 }).model as GatedModel;
    const hps = build('hps').model;
    const x = randomInput(ds.inputShape, 4);
    const [kernel, bias] = model.taskVariables('a').filter((v) => v.name.includes('gate'));
    kernel.assign(tf.zerosLike(kernel));
    bias.assign(tf.tensor1d([60, -60, -60]));
    const got = model.forward(x, false).logits, want = hps.forward(x, false).logits;
    expectAllClose([got[0]], [want[0]], 1e-5);
    bias.assign(tf.zerosLike(bias));
    const g = model.gates(x);
    expect(Array.from(g[0].dataSync()).every((v) => Math.abs(v - 1 / 3) < 1e-6)).toBe(true);
    tf.dispose([...g, ...got, ...want, x]);
    model.dispose(); hps.dispose();
  });

  it.each<[{ levels: number; taskExperts?: number }]>([[{ levels: 3 }], [{ levels: 3, taskExperts: 0 }], [{ levels: 2, taskExperts: 2 }]])('PLE %j: task-own variables reach their task only', (options) => {
    const { model } = build('ple', options);
    const x = randomInput(ds.inputShape, 4);
    const all = model.trainableVariables();
    model.taskNames.forEach((task, t) => {
      const { value, grads } = tf.variableGrads(() => tf.addN(model.forward(x, true).logits.filter((_, u) => u !== t).map((l) => tf.sum(tf.square(l)))) as tf.Scalar, all);
      for (const v of model.taskVariables(task)) if (grads[v.name]) expect(tf.tidy(() => tf.max(tf.abs(grads[v.name])).dataSync()[0])).toBe(0);
      value.dispose();
      tf.dispose(Object.values(grads));
    });
    // With levels 3 and no task experts, the task gates of every level are private to their task.
    if (options.taskExperts === 0) expect(model.taskVariables('a').filter((v) => v.name.includes('gate')).length).toBe(6);
    x.dispose();
    model.dispose();
  });
});
