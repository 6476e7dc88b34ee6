import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/engine/backend.js';
import { tf } from '../../src/engine/tf.js';
import { Trainer, type TrainerOptions } from '../../src/train/node/trainer.js';
import { syntheticDataset } from '../helpers/synthetic.js';
import { ARCHITECTURES, build, ds } from './helpers.js';

beforeAll(async () => { await initBackend('wasm'); });

/** One batch of 64 rows (for the step-equivalence check). */
const small = syntheticDataset(64, 8, 3);

const METHODS: [string, Partial<TrainerOptions>][] = [
  ['ew', { weighting: { method: 'ew' } }],
  ['pcgrad', { aggregator: { method: 'pcgrad' } }],
  ['mgda', { aggregator: { method: 'mgda' } }],
];

function trainer(arch: string, options: Partial<TrainerOptions>, archOptions: Record<string, unknown> = {}) {
  const { model, tasks } = build(arch, archOptions, 0);
  return new Trainer(model, tasks, { epochs: 1, batchSize: 64, optimizer: { name: 'adam', lr: 1e-2 }, seed: 0, progress: 'silent', ...options });
}

describe.each(ARCHITECTURES)('%s trains through the Trainer', (arch) => {
  it.each(METHODS)('with %s: finite losses, no tensor growth across 2 epochs, nothing left after dispose', async (_, options) => {
    const before = tf.memory().numTensors;
    const counts: number[] = [];
    const t = trainer(arch, { ...options, epochs: 2, onEpoch: () => counts.push(tf.memory().numTensors) });
    const r = await t.fit(ds);
    expect(r.history.length).toBe(2);
    for (const e of r.history) for (const name of ['a', 'b', 'c']) expect(Number.isFinite(e.train[name].loss)).toBe(true);
    expect(counts[1]).toBe(counts[0]);
    t.dispose();
    t.model.dispose();
    // The trainer built the model's combined LayersModel (layersModel()); disposing frees every weight anyway.
    expect(tf.memory().numTensors).toBe(before);
  });

  it('param mode with the `sum` aggregator takes the summed-loss step (the variable groups are right)', async () => {
    const plain = trainer(arch, { optimizer: { name: 'sgd', lr: 0.05 } });
    const perTask = trainer(arch, { optimizer: { name: 'sgd', lr: 0.05 }, aggregator: { method: 'sum', mode: 'param' } });
    await plain.fit(small);
    await perTask.fit(small);
    const a = plain.model.trainableVariables(), b = perTask.model.trainableVariables();
    a.forEach((v, i) => expect(tf.tidy(() => tf.max(tf.abs(tf.sub(v, b[i]))).dataSync()[0])).toBeLessThan(1e-5));
    for (const t of [plain, perTask]) { t.dispose(); t.model.dispose(); }
  });

  it('rep mode is refused with a clear message (no single shared representation)', async () => {
    const t = trainer(arch, { aggregator: { method: 'pcgrad', mode: 'rep' } });
    await expect(t.fit(ds)).rejects.toThrow(/needs an architecture with one shared representation/);
    t.dispose();
    t.model.dispose();
  });
});

it('additive with the alternating schedule and per-task penalties trains under PCGrad', async () => {
  const t = trainer('additive', { aggregator: { method: 'pcgrad' }, epochs: 2 }, { schedule: 'alternating', taskPenalty: [1e-2, 1e-3, 0], sharedPenalty: 1e-4 });
  const r = await t.fit(ds);
  for (const e of r.history) for (const name of ['a', 'b', 'c']) expect(Number.isFinite(e.train[name].loss)).toBe(true);
  t.dispose();
  t.model.dispose();
});

it.each([['additive', { schedule: 'alternating' }]] as const)('%s: a run resumed from its checkpoint equals the uninterrupted one', async (arch, archOptions) => {
  const fs = await import('node:fs');
  const { tempDir } = await import('./helpers.js');
  const dirs = [tempDir(), tempDir()];
  try {
    const full = trainer(arch, { epochs: 2, runDir: dirs[0] }, archOptions);
    await full.fit(ds);
    const first = trainer(arch, { epochs: 2, runDir: dirs[1], maxEpochsThisCall: 1 }, archOptions);
    await first.fit(ds);
    first.dispose(); first.model.dispose();
    const second = trainer(arch, { epochs: 2, runDir: dirs[1] }, archOptions);
    expect(await second.resume()).toBe(true);
    await second.fit(ds);
    const a = full.model.trainableVariables(), b = second.model.trainableVariables();
    a.forEach((v, i) => expect(tf.tidy(() => tf.max(tf.abs(tf.sub(v, b[i]))).dataSync()[0])).toBeLessThan(1e-6));
    for (const t of [full, second]) { t.dispose(); t.model.dispose(); }
  } finally {
    dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true }));
  }
});
