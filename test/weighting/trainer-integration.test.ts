import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/engine/backend.js';
import { tf } from '../../src/engine/tf.js';
import { buildModel } from '../../src/models/registry.js';
import { createTask } from '../../src/tasks/registry.js';
import { Trainer } from '../../src/train/node/trainer.js';
import { syntheticDataset } from '../helpers/synthetic.js';

beforeAll(async () => { await initBackend('cpu'); });

const ds = syntheticDataset(256, 8, 4);

describe('every weighting method trains through the Trainer', () => {
  for (const method of ['uw', 'dwa', 'rlw', 'gls', 'imtl-l', 'gradnorm', 'db-mtl', 'famo', 'stch', 'excess-mtl', 'moco']) {
    it(method, async () => {
      const tasks = ds.tasks.map((s) => createTask(s, {}, { values: ds.labels[s.name], n: ds.n }));
      const model = buildModel('hps', { inputShape: ds.inputShape, tasks, seed: 1 }, { encoder: { type: 'mlp', hidden: [8] } });
      const counts: number[] = [];
      const t = new Trainer(model, tasks, {
        epochs: 4, batchSize: 64, optimizer: { name: 'adam', lr: 0.01 }, seed: 1, progress: 'silent',
        weighting: { method, seed: 1 }, onEpoch: () => counts.push(tf.memory().numTensors),
      });
      const r = await t.fit(ds);
      expect(r.history).toHaveLength(4);
      for (const rec of r.history) {
        Object.values(rec.weights).forEach((w) => expect(Number.isFinite(w)).toBe(true));
        Object.values(rec.train).forEach((m) => expect(Number.isFinite(m.loss)).toBe(true));
      }
      expect(new Set(counts.slice(1)).size).toBe(1);
      t.dispose();
      model.dispose?.();
    });
  }
});
