import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/engine/backend.js';
import { tf } from '../../src/engine/tf.js';
import { buildModel } from '../../src/models/registry.js';
import { createTask } from '../../src/tasks/registry.js';
import { Trainer, type TrainerOptions } from '../../src/train/node/trainer.js';
import { syntheticDataset } from '../helpers/synthetic.js';

beforeAll(async () => { await initBackend('wasm'); });

const ds = syntheticDataset(600, 8, 1);
const val = syntheticDataset(200, 8, 2);

function makeTrainer(options: Partial<TrainerOptions> = {}, seed = 3) {
  const tasks = ds.tasks.map((s) => createTask(s, {}, { values: ds.labels[s.name], n: ds.n }));
  const model = buildModel('hps', { inputShape: ds.inputShape, tasks, seed }, { encoder: { type: 'mlp', hidden: [16, 16] } });
  return new Trainer(model, tasks, {
    epochs: 4, batchSize: 64, optimizer: { name: 'adam', lr: 0.01 }, seed, progress: 'silent', l2: 1e-4, ...options,
  });
}

async function weightsOf(t: Trainer): Promise<Float32Array[]> {
  return t.model.trainableVariables().map((v) => v.dataSync() as Float32Array).map((a) => a.slice());
}

describe('Trainer', () => {
  it('learns the synthetic tasks and keeps the tensor count constant across epochs', async () => {
    const counts: number[] = [];
    const t = makeTrainer({ epochs: 5, onEpoch: () => counts.push(tf.memory().numTensors) });
    const r = await t.fit(ds, val);
    // After the first epoch (optimizer slots created lazily) nothing may accumulate.
    expect(new Set(counts.slice(1)).size).toBe(1);
    // The history says the same: its tensor count per epoch is flat after the first, and RSS is recorded.
    expect(new Set(r.history.slice(1).map((h) => h.memory.tensors)).size).toBe(1);
    r.history.forEach((h) => expect(h.memory.rssMB).toBeGreaterThan(10));
    const m = r.history.at(-1)!.val!;
    expect(m.a.auc).toBeGreaterThan(0.95);
    expect(m.b.r2).toBeGreaterThan(0.9);
    expect(m.c.accuracy).toBeGreaterThan(0.8);
    expect(m.c.count).toBe(Array.from(val.labels.c).filter((v) => !Number.isNaN(v)).length);
    t.dispose(); t.model.dispose();
  });

  it('same seed → same numbers; another seed → different ones', async () => {
    const a = makeTrainer({ epochs: 2 }), b = makeTrainer({ epochs: 2 }), c = makeTrainer({ epochs: 2 }, 4);
    const [ra, rb] = [await a.fit(ds), await b.fit(ds)];
    await c.fit(ds);
    expect(ra.history.map((h) => h.train)).toEqual(rb.history.map((h) => h.train));
    expect(await weightsOf(a)).toEqual(await weightsOf(b));
    expect(await weightsOf(a)).not.toEqual(await weightsOf(c));
    for (const t of [a, b, c]) { t.dispose(); t.model.dispose(); }
  });

  it('resuming from a checkpoint gives the same weights as an uninterrupted run', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mtl-resume-'));
    const full = makeTrainer({ epochs: 4 });
    await full.fit(ds, val);
    const first = makeTrainer({ epochs: 4, runDir: dir, maxEpochsThisCall: 2 });
    const part = await first.fit(ds, val);
    expect(part.finished).toBe(false);
    first.dispose(); first.model.dispose();
    // A fresh trainer (as after a restart) picks the run up from the checkpoint.
    const second = makeTrainer({ epochs: 4, runDir: dir });
    expect(await second.resume()).toBe(true);
    const rest = await second.fit(ds, val);
    expect(rest.finished).toBe(true);
    expect(rest.history.map((h) => h.epoch)).toEqual([1, 2, 3, 4]);
    const [w1, w2] = [await weightsOf(full), await weightsOf(second)];
    w1.forEach((w, i) => expect(Array.from(w2[i])).toEqual(Array.from(w)));
    const lines = fs.readFileSync(path.join(dir, 'history.jsonl'), 'utf8').trim().split('\n');
    expect(lines.map((l) => JSON.parse(l).epoch)).toEqual([1, 2, 3, 4]);
    for (const t of [full, second]) { t.dispose(); t.model.dispose(); }
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('early stopping stops after `patience` epochs without improvement and restores the best weights', async () => {
    // A learning rate this large makes validation worse after the first epochs.
    const t = makeTrainer({ epochs: 30, optimizer: { name: 'sgd', lr: 0.5 }, earlyStopping: { patience: 2 } });
    const r = await t.fit(ds, val);
    const last = r.history.at(-1)!.epoch;
    if (r.stoppedEarly) expect(last - r.bestEpoch).toBe(2);
    else expect(last).toBe(30);
    // The restored weights give the best epoch's validation metrics.
    const best = r.history.find((h) => h.epoch === r.bestEpoch)!.val!;
    const now = t.evaluate(val);
    expect(now.a.auc).toBeCloseTo(best.a.auc, 6);
    expect(now.b.mae).toBeCloseTo(best.b.mae, 4);
    t.dispose(); t.model.dispose();
  });
});
