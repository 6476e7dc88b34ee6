import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/engine/backend.js';
import { mergeTaskDatasets } from '../../src/data/merge.js';
import { subsetDataset } from '../../src/data/split.js';
import type { Dataset } from '../../src/data/types.js';
import { buildModel } from '../../src/models/registry.js';
import { createTask } from '../../src/tasks/registry.js';
import { disposeBatch, makeBatch, prepare } from '../../src/train/batches.js';
import { epochBatches } from '../../src/train/sampler.js';
import { Trainer } from '../../src/train/node/trainer.js';
import { syntheticDataset } from '../helpers/synthetic.js';

beforeAll(async () => { await initBackend('wasm'); });

/** Two datasets with different samples: rows 0..299 know only task a, rows 300..399 only task b. */
function twoSources(): Dataset {
  const base = syntheticDataset(400, 8, 7);
  const only = (ds: Dataset, task: string): Dataset => ({ ...ds, tasks: ds.tasks.filter((t) => t.name === task), labels: { [task]: ds.labels[task] } });
  return mergeTaskDatasets([
    only(subsetDataset(base, Array.from({ length: 300 }, (_, i) => i)), 'a'),
    only(subsetDataset(base, Array.from({ length: 100 }, (_, i) => 300 + i)), 'b'),
  ]);
}

describe('multi-input data', () => {
  it('merging keeps each row labelled only for its own dataset\'s tasks', () => {
    const ds = twoSources();
    expect(ds.n).toBe(400);
    expect(ds.tasks.map((t) => t.name)).toEqual(['a', 'b']);
    expect(Number.isNaN(ds.labels.a[299])).toBe(false);
    expect(Number.isNaN(ds.labels.a[300])).toBe(true);
    expect(Number.isNaN(ds.labels.b[0])).toBe(true);
    expect(Number.isNaN(ds.labels.b[300])).toBe(false);
    expect(() => mergeTaskDatasets([ds, { ...ds, inputShape: [4] }])).toThrow(/input shape/);
  });

  it('per-task batching: every step has batchSize rows of each task; an epoch lasts as long as the largest task', () => {
    const ds = twoSources();
    const data = prepare(ds, ['a', 'b']);
    const steps = epochBatches(data, 32, 0, 0, 'per-task');
    expect(steps.length).toBe(Math.ceil(300 / 32));
    for (const s of steps) {
      expect(s.slice!.filter((k) => k === 0).length).toBe(32);
      expect(s.slice!.filter((k) => k === 1).length).toBe(32);
      s.rows.forEach((r, i) => expect(s.slice![i] === 0 ? r < 300 : r >= 300).toBe(true));
    }
    // Every row of the large task is seen once per epoch; the small one cycles.
    const seenA = new Set(steps.flatMap((s) => s.rows.filter((_, i) => s.slice![i] === 0)));
    expect(seenA.size).toBe(300);
  });

  it('a row in task k\'s slice counts only for task k, even if it has other labels', () => {
    const ds = syntheticDataset(10, 8, 1); // rows labelled for several tasks
    const data = prepare(ds, ['a', 'b']);
    const batch = makeBatch(data, [1, 1], [0, 1]);
    expect(Array.from(batch.masks[0].dataSync())).toEqual([1, 0]);
    expect(Array.from(batch.masks[1].dataSync())).toEqual([0, 1]);
    disposeBatch(batch);
  });

  it('trains both tasks from their own samples', async () => {
    const ds = twoSources();
    const tasks = ds.tasks.map((s) => createTask(s, {}, { values: ds.labels[s.name], n: ds.n }));
    const model = buildModel('hps', { inputShape: ds.inputShape, tasks, seed: 1 }, { encoder: { type: 'mlp', hidden: [16] } });
    const t = new Trainer(model, tasks, { epochs: 6, batchSize: 32, optimizer: { name: 'adam', lr: 0.01 }, seed: 1, progress: 'silent', batching: 'per-task' });
    const r = await t.fit(ds);
    expect(r.history.at(-1)!.train.a.loss).toBeLessThan(r.history[0].train.a.loss);
    expect(r.history.at(-1)!.train.b.loss).toBeLessThan(r.history[0].train.b.loss);
    const m = t.evaluate(ds);
    expect(m.a.count).toBe(300);
    expect(m.b.count).toBe(100);
    expect(m.a.auc).toBeGreaterThan(0.9);
    t.dispose(); t.model.dispose();
  });
});
