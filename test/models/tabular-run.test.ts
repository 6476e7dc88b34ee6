/**
 * Embedded features and ESMM trained for real, on a synthetic click → purchase funnel with ID features
 * (test/serve/fixtures.ts writeFunnelCsv): through the config path (CSV → preprocessing with
 * vocabularies, hash buckets and id lists → the embedding layer → ESMM), through the Trainer (memory
 * flat, resume equal to the uninterrupted run under PCGrad, whose shared parameters include the tables),
 * and through `mtl train` to a saved model that loads and keeps ESMM's defining property
 * pCTCVR = pCTR · pCVR ≤ pCTR on every row.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfigDataset } from '../../src/config/dataset.js';
import { parseConfig } from '../../src/config/load.js';
import { encodeRows } from '../../src/data/preprocess.js';
import type { DatasetSplit } from '../../src/data/types.js';
import { initBackend } from '../../src/engine/backend.js';
import { tf } from '../../src/engine/tf.js';
import { buildModel } from '../../src/models/registry.js';
import { loadSavedModel } from '../../src/models/saved.js';
import { createTask } from '../../src/tasks/registry.js';
import { Trainer, type TrainerOptions } from '../../src/train/node/trainer.js';
import { funnelConfig, tmpDir, trainRun, writeFunnelCsv } from '../serve/fixtures.js';

const tmp = tmpDir('tabular');
let split: DatasetSplit;

beforeAll(async () => {
  await initBackend('wasm');
  const csv = writeFunnelCsv(tmp, 2000);
  const yaml = await import('yaml');
  const config = parseConfig(yaml.parse(funnelConfig(csv).join('\n')), 'funnel.yaml');
  split = await loadConfigDataset(config, tmp);
});

afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function trainer(options: Partial<TrainerOptions> = {}, architecture = 'esmm'): Trainer {
  const tasks = split.train.tasks.map((s) => createTask(s, {}, { values: split.train.labels[s.name], n: split.train.n }));
  const model = buildModel(architecture, { inputShape: split.train.inputShape, tasks, seed: 0 }, { encoder: { type: 'mlp', hidden: [16] }, head: { hidden: [] } }, split.preprocessing);
  return new Trainer(model, tasks, { epochs: 2, batchSize: 128, optimizer: { name: 'adam', lr: 1e-2 }, seed: 0, progress: 'silent', ...options });
}

describe('embedded features + ESMM', () => {
  it('the funnel is encoded with id slots: user vocabulary, hashed items, history lists', () => {
    const pre = split.preprocessing!;
    expect(pre.features.map((f) => [f.column, f.type, 'embedding' in f ? f.embedding : undefined])).toEqual([
      ['user', 'categorical', 8], ['item', 'categorical', 8], ['device', 'categorical', undefined], ['price', 'numeric', undefined], ['history', 'ids', 8],
    ]);
    expect(split.train.inputShape).toEqual([1 + 1 + 3 + 1 + 4]);
  });

  it('trains: losses fall, tensors flat across epochs, nothing left after dispose', async () => {
    const before = tf.memory().numTensors;
    const counts: number[] = [];
    const t = trainer({ epochs: 3, onEpoch: () => counts.push(tf.memory().numTensors) });
    const r = await t.fit(split.train);
    for (const task of ['click', 'purchase']) expect(r.history[2]!.train[task]!.loss).toBeLessThan(r.history[0]!.train[task]!.loss);
    expect(counts[2]).toBe(counts[1]);
    // The tables are shared parameters: both tasks read them.
    expect(t.model.sharedVariables().length).toBe(3 + 4);
    t.dispose();
    t.model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('a run resumed from its checkpoint equals the uninterrupted one (PCGrad on the tables and the CTR tower)', async () => {
    const dirs = [path.join(tmp, 'full'), path.join(tmp, 'cut')];
    const options = { aggregator: { method: 'pcgrad' } } as const;
    const full = trainer({ ...options, runDir: dirs[0] });
    await full.fit(split.train);
    const first = trainer({ ...options, runDir: dirs[1], maxEpochsThisCall: 1 });
    await first.fit(split.train);
    first.dispose(); first.model.dispose();
    const second = trainer({ ...options, runDir: dirs[1] });
    expect(await second.resume()).toBe(true);
    await second.fit(split.train);
    const a = full.model.trainableVariables();
    const b = second.model.trainableVariables();
    expect(a.length).toBe(b.length);
    a.forEach((v, i) => expect(tf.tidy(() => tf.max(tf.abs(tf.sub(v, b[i]!))).dataSync()[0])).toBe(0));
    for (const t of [full, second]) { t.dispose(); t.model.dispose(); }
  });

  it('mtl train saves a model that loads; pCTCVR ≤ pCTR on every row, unseen ids included', async () => {
    const run = await trainRun(tmp, 'funnel', funnelConfig(writeFunnelCsv(tmp, 2000)));
    const modelJson = fs.readFileSync(path.join(run, 'model', 'model.json'), 'utf8');
    expect(modelJson).toContain('MtlFeatureEmbedding');
    expect(modelJson).toContain('MtlEsmmLogit');
    const saved = await loadSavedModel(path.join(run, 'model'));
    const rows = Array.from({ length: 200 }, (_, i) => ({
      user: i % 10 === 0 ? 'never-seen' : `u${i}`, item: `i${i % 70}`, device: ['ios', 'web', null][i % 3]!, price: (i % 30) / 10, history: i % 4 ? `i${i % 60}|i${(i * 7) % 60}` : '',
    }));
    const x = encodeRows(saved.manifest.preprocessing!, rows);
    const probs = tf.tidy(() => {
      const { logits } = saved.model.forward(tf.tensor2d(x, [rows.length, x.length / rows.length]), false);
      return saved.tasks.map((t, i) => t.predict(logits[i]!).dataSync());
    });
    const [ctr, ctcvr] = probs as [Float32Array, Float32Array];
    for (let i = 0; i < rows.length; i++) {
      expect(Number.isFinite(ctr[i]!) && Number.isFinite(ctcvr[i]!)).toBe(true);
      expect(ctcvr[i]!).toBeLessThanOrEqual(ctr[i]! + 1e-6);
    }
    saved.model.dispose();
  });
});

describe('ESMM and embedding sizes are checked before anything is built', () => {
  it('esmm refuses anything but two binary tasks, naming them', async () => {
    const { build } = await import('./helpers.js');
    expect(() => build('esmm')).toThrow(/exactly two binary tasks.*got 3 \(a, b, c\)/);
  });

  it('a huge embedding table is refused by limits.maxParameters, named', async () => {
    const { checkBeforeTraining } = await import('../../src/run/experiment.js');
    const yaml = await import('yaml');
    const lines = funnelConfig(path.join(tmp, 'funnel.csv')).map((l) => l.replace('hash: 1000, embedding: 8', 'hash: 10000000, embedding: 64'));
    const config = parseConfig(yaml.parse(lines.join('\n')), 'big.yaml');
    const big = await loadConfigDataset(config, tmp);
    expect(() => checkBeforeTraining(config, big, ['click', 'purchase'], () => {})).toThrow(/embedding table of 'item' \(10000001 × 64\)/);
  });
});
