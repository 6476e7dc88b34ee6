import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/engine/backend.js';
import { mulberry32 } from '../../src/data/split.js';
import type { Dataset } from '../../src/data/types.js';
import { buildModel } from '../../src/models/registry.js';
import { createTask } from '../../src/tasks/registry.js';
import { GradientStatsAccumulator } from '../../src/train/gradient-stats.js';
import { Trainer } from '../../src/train/node/trainer.js';

beforeAll(async () => { await initBackend('wasm'); });

describe('gradient conflict statistics', () => {
  it('hand-worked: cosines and conflict shares over two steps', () => {
    const acc = new GradientStatsAccumulator(2);
    acc.add([[1, 0], [-1, 0]]); // cos −1: conflict
    acc.add([[1, 0], [1, 1]]); // cos 1/√2: no conflict
    const s = acc.take()!;
    expect(s.gradCosine[0][1]).toBeCloseTo((-1 + Math.SQRT1_2) / 2, 12);
    expect(s.gradCosine[0][0]).toBeCloseTo(1, 12);
    expect(s.conflictShare[0][1]).toBe(0.5);
    expect(s.conflictSteps).toBe(0.5);
    expect(acc.take()).toBeUndefined();
  });

  it('two tasks built to conflict (targets y and −y) show negative cosines in the history', async () => {
    const n = 256, d = 4, rnd = mulberry32(9);
    const x = new Float32Array(n * d).map(() => rnd() * 2 - 1);
    const y = new Float32Array(n), z = new Float32Array(n), w = new Float32Array(n);
    for (let i = 0; i < n; i++) { y[i] = x[i * d] + x[i * d + 1]; z[i] = -y[i]; w[i] = y[i]; }
    const ds: Dataset = {
      name: 'conflict', inputShape: [d], n, x,
      tasks: ['up', 'down', 'same'].map((name) => ({ name, kind: 'regression' as const, width: 1, outputSize: 1 })),
      labels: { up: y, down: z, same: w },
    };
    // Fixed scaling so that 'down' really is the negation of 'up' after standardisation.
    const tasks = ds.tasks.map((s) => createTask(s, { state: { mean: [0], std: [1] } }));
    const model = buildModel('hps', { inputShape: [d], tasks, seed: 1 }, { encoder: { type: 'mlp', hidden: [8] } });
    // Start from a model whose heads agree, so the shared gradients of 'up' and 'down' point apart.
    const t = new Trainer(model, tasks, { epochs: 2, batchSize: 32, optimizer: { name: 'sgd', lr: 0.01 }, seed: 1, progress: 'silent', gradientStats: { every: 1 } });
    const r = await t.fit(ds);
    const e = r.history[0];
    expect(e.gradCosine).toBeDefined();
    const [up, down, same] = [0, 1, 2];
    expect(e.gradCosine![up][same]).toBeGreaterThan(e.gradCosine![up][down]);
    expect(e.conflictShare![up][same]).toBeLessThan(e.conflictShare![up][down]);
    expect(e.conflictSteps).toBeGreaterThan(0);
    t.dispose(); t.model.dispose();
  });
});
