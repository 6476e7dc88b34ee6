/**
 * A trainer leaves no tensors behind: neither when a step's callback throws mid-epoch (the studio's Stop,
 * a divergence) nor, once disposed, the trainable variables of the weighting it created (UW's).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/engine/backend.js';
import { tf } from '../../src/engine/tf.js';
import { buildModel } from '../../src/models/registry.js';
import { createTask } from '../../src/tasks/registry.js';
import { Trainer, type TrainerOptions } from '../../src/train/node/trainer.js';
import { syntheticDataset } from '../helpers/synthetic.js';

beforeAll(async () => { await initBackend('wasm'); });

const ds = syntheticDataset(300, 8, 1);

function makeTrainer(options: Partial<TrainerOptions> = {}) {
  const tasks = ds.tasks.map((s) => createTask(s, {}, { values: ds.labels[s.name], n: ds.n }));
  const model = buildModel('hps', { inputShape: ds.inputShape, tasks, seed: 5 }, { encoder: { type: 'mlp', hidden: [8] } });
  return new Trainer(model, tasks, { epochs: 2, batchSize: 32, optimizer: { name: 'adam', lr: 0.01 }, seed: 5, progress: 'silent', ...options });
}

describe('Trainer disposal', () => {
  it('a callback throwing inside an epoch leaves no tensor of the epoch behind', async () => {
    class Stop extends Error {}
    const before = tf.memory().numTensors;
    let batches = 0;
    const t = makeTrainer({ callbacks: [{ onBatchBegin: () => { if (++batches === 4) throw new Stop('stop'); } }] });
    await expect(t.fit(ds)).rejects.toBeInstanceOf(Stop);
    t.dispose(); t.model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('dispose frees the variables of the weighting the trainer created (uw)', async () => {
    const before = tf.memory().numTensors;
    const t = makeTrainer({ weighting: { method: 'uw' } });
    expect(t.weighting.variables!().length).toBeGreaterThan(0);
    await t.fit(ds);
    t.dispose(); t.model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
