import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/engine/backend.js';
import { tf } from '../../src/engine/tf.js';
import { initialAlpha, type CrossStitchModel } from '../../src/models/cross-stitch.js';
import { buildModel } from '../../src/models/registry.js';
import { build, CNN, ds, expectAllClose, maxAbsDiff, MLP, randomInput } from './helpers.js';

beforeAll(async () => { await initBackend('wasm'); });

const identity = (T: number) => Array.from({ length: T }, (_, i) => Array.from({ length: T }, (_, j) => (i === j ? 1 : 0)));

describe('cross-stitch', () => {
  it('starts near the identity: α_ii = selfWeight, off-diagonal (1 − selfWeight)/(T − 1)', () => {
    const m = build('cross-stitch').model as CrossStitchModel;
    const alpha = m.alpha();
    expect(alpha.length).toBe(2);
    alpha.forEach((a) => a.forEach((row, i) => row.forEach((v, j) => expect(v).toBeCloseTo(i === j ? 0.9 : 0.05, 6))));
    m.dispose();
    const m2 = build('cross-stitch', { selfWeight: 0.5 }).model as CrossStitchModel;
    expect(m2.alpha()[1][2]).toEqual([0.25, 0.25, 0.5]);
    m2.dispose();
    expect(initialAlpha(1, 0.9)).toEqual([[1]]);
    expect(() => build('cross-stitch', { selfWeight: 2 })).toThrow(/selfWeight must be a number in \[0, 1\]/);
  });

  it.each([['mlp', MLP, ds.inputShape], ['cnn', CNN, [7, 7, 1]]] as const)('with α = identity it equals independent towers (%s)', (_, encoder, inputShape) => {
    const d = { ...ds, inputShape: [...inputShape] };
    const { model, tasks } = build('cross-stitch', {}, 3, d, encoder);
    const m = model as CrossStitchModel;
    const x = randomInput(d.inputShape, 4);
    const before = m.forward(x, false).logits;
    m.setAlpha(m.alpha().map(() => identity(3)));
    const mixed = m.forward(x, false).logits;
    // Separately built towers (hard sharing with one task) given the same weights.
    tasks.forEach((task, t) => {
      const stl = buildModel('hps', { inputShape: d.inputShape, tasks: [task], seed: 11 + t }, { encoder, head: { hidden: [] } });
      const src = [...m.towerVariables(task.name), ...m.taskVariables(task.name).filter((v) => !v.name.includes('xstitch_unit'))];
      const dst = stl.trainableVariables();
      expect(dst.map((v) => v.shape)).toEqual(src.map((v) => v.shape));
      dst.forEach((v, i) => v.assign(src[i]));
      const out = stl.forward(x, false).logits;
      expectAllClose([mixed[t]], out, 1e-6);
      tf.dispose(out);
      stl.dispose();
    });
    // With the initial α the towers are mixed, so the outputs differ.
    expect(maxAbsDiff(before[0], mixed[0])).toBeGreaterThan(1e-4);
    tf.dispose([...before, ...mixed, x]);
    m.dispose();
  });

  it('α is learned: training moves it', async () => {
    const { Trainer } = await import('../../src/train/node/trainer.js');
    const { model, tasks } = build('cross-stitch');
    const m = model as CrossStitchModel;
    const a0 = m.alpha();
    const trainer = new Trainer(model, tasks, { epochs: 1, batchSize: 64, optimizer: { name: 'adam', lr: 1e-2 }, seed: 0, progress: 'silent' });
    await trainer.fit(ds);
    const a1 = m.alpha();
    expect(Math.max(...a1.flat(2).map((v, i) => Math.abs(v - a0.flat(2)[i])))).toBeGreaterThan(1e-3);
    trainer.dispose();
    model.dispose();
  });
});
