import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/engine/backend.js';
import { buildModel } from '../../src/models/registry.js';
import { createTask } from '../../src/tasks/registry.js';
import { Trainer } from '../../src/train/node/trainer.js';
import { syntheticDataset } from '../helpers/synthetic.js';

beforeAll(async () => { await initBackend('cpu'); });

const ds = syntheticDataset(128, 8, 3);

function makeTrainer(weighting: Record<string, unknown>, extra: Record<string, unknown>) {
  const tasks = ds.tasks.map((s) => createTask(s, {}, { values: ds.labels[s.name], n: ds.n }));
  const model = buildModel('hps', { inputShape: ds.inputShape, tasks, seed: 1 }, { encoder: { type: 'mlp', hidden: [8] } });
  return new Trainer(model, tasks, {
    epochs: 3, batchSize: 32, optimizer: { name: 'adam', lr: 0.01 }, seed: 1, progress: 'silent',
    weighting: weighting as { method: string }, ...extra,
  });
}

const weightsOf = (t: Trainer) => t.model.trainableVariables().map((v) => Array.from(v.dataSync()));

/**
 * Each stateful method: stopped after epoch 1 and resumed from its checkpoint by a fresh trainer, the
 * run ends with the weights of the uninterrupted run (same seed).
 */
describe('a stateful weighting resumed from its checkpoint equals the uninterrupted run', () => {
  const CASES: [string, Record<string, unknown>][] = [
    // W = 0: epoch 0 accumulates the reference point, which is fixed only after the resume.
    ['stch', { method: 'stch', warmupEpochs: 0, mu: 0.5 }],
    ['excess-mtl', { method: 'excess-mtl', stepSize: 0.5 }],
    ['moco', { method: 'moco' }],
    // Three gradient samples per step: the two extra batches are drawn from (seed, global step).
    ['modo', { method: 'modo', gamma: 0.1 }],
    ['sdmgrad', { method: 'sdmgrad' }],
  ];
  for (const [name, weighting] of CASES) {
    it(name, async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), `mtl-resume-${name}-`));
      try {
        const full = makeTrainer(weighting, {});
        await full.fit(ds);
        const first = makeTrainer(weighting, { runDir: dir, maxEpochsThisCall: 1 });
        expect((await first.fit(ds)).finished).toBe(false);
        first.dispose(); first.model.dispose();
        const second = makeTrainer(weighting, { runDir: dir });
        expect(await second.resume()).toBe(true);
        const r = await second.fit(ds);
        expect(r.finished).toBe(true);
        expect(weightsOf(second)).toEqual(weightsOf(full));
        for (const t of [full, second]) { t.dispose(); t.model.dispose(); }
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});
