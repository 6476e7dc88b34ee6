import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/engine/backend.js';
import { tf } from '../../src/engine/tf.js';
import { buildModel } from '../../src/models/registry.js';
import { createTask } from '../../src/tasks/registry.js';
import { dropoutLayers, dropoutSeed, reseedDropout } from '../../src/train/dropout-seeds.js';
import { Trainer, type TrainerOptions } from '../../src/train/node/trainer.js';
import { syntheticDataset } from '../helpers/synthetic.js';

beforeAll(async () => { await initBackend('wasm'); });

const ds = syntheticDataset(400, 8, 6);

function setup(architecture: string, options: Partial<TrainerOptions> = {}, seed = 5) {
  const tasks = ds.tasks.map((s) => createTask(s, {}, { values: ds.labels[s.name], n: ds.n }));
  const model = buildModel(architecture, { inputShape: ds.inputShape, tasks, seed }, { encoder: { type: 'mlp', hidden: [16, 16], dropout: 0.3 } });
  const trainer = new Trainer(model, tasks, { epochs: 3, batchSize: 64, optimizer: { name: 'adam', lr: 0.01 }, seed, progress: 'silent', ...options });
  return { model, trainer };
}

const weights = (t: Trainer) => t.model.trainableVariables().map((v) => Array.from(v.dataSync()));

describe('reproducible dropout', () => {
  it('seeds differ across steps and layers, and repeat for the same (seed, step, layer)', () => {
    const seen = new Set<number>();
    for (let step = 0; step < 50; step++) for (let layer = 0; layer < 4; layer++) seen.add(dropoutSeed(7, step, layer));
    expect(seen.size).toBe(200);
    expect(dropoutSeed(7, 12, 1)).toBe(dropoutSeed(7, 12, 1));
    expect(dropoutSeed(7, 12, 1)).not.toBe(dropoutSeed(8, 12, 1));
    for (const v of seen) expect(Number.isInteger(v) && v >= 0 && v < 2 ** 31).toBe(true);
  });

  it('finds the Dropout layers of nested models; a step seed gives one mask, another step another', () => {
    for (const arch of ['hps', 'mmoe', 'cross-stitch']) {
      const { model, trainer } = setup(arch);
      const layers = dropoutLayers(model.layersModel());
      expect(layers.length, arch).toBeGreaterThan(0);
      const x = tf.ones([4, 8]);
      const out = (step: number) => {
        reseedDropout(layers, 5, step);
        return tf.tidy(() => Array.from(tf.concat(model.forward(x, true).logits.map((l) => tf.reshape(l, [-1]))).dataSync()));
      };
      expect(out(3)).toEqual(out(3));
      expect(out(3)).not.toEqual(out(4));
      x.dispose();
      trainer.dispose();
      model.dispose();
    }
  });

  it('training with dropout repeats for the same seed, differs for another, and resumes bitwise', async () => {
    const a = setup('hps'), b = setup('hps'), c = setup('hps', {}, 6);
    for (const r of [a, b, c]) await r.trainer.fit(ds);
    expect(weights(a.trainer)).toEqual(weights(b.trainer));
    expect(weights(a.trainer)).not.toEqual(weights(c.trainer));

    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mtl-dropout-resume-'));
    const first = setup('hps', { runDir: dir, maxEpochsThisCall: 2 });
    await first.trainer.fit(ds);
    const second = setup('hps', { runDir: dir });
    expect(await second.trainer.resume()).toBe(true);
    await second.trainer.fit(ds);
    expect(weights(second.trainer)).toEqual(weights(a.trainer));
    for (const r of [a, b, c, first, second]) { r.trainer.dispose(); r.model.dispose(); }
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
