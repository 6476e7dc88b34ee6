/**
 * Training from a BatchSource (a stream of batches, e.g. a file larger than memory) instead of an
 * in-memory Dataset:
 *   - the Trainer's stream path is the in-memory path: fed the Dataset's own batches (datasetSource),
 *     it takes byte-identical steps, validation metrics included;
 *   - `mtl train`'s experiment on a streamed CSV (binary, multiclass, regression, multilabel, missing
 *     labels) learns, and its test metrics are close to the in-memory run on the same files (not equal:
 *     another batch order);
 *   - a streamed run resumed at an epoch boundary ends where an uninterrupted one does.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { initBackend } from '../../src/engine/backend.js';
import { buildModel } from '../../src/models/registry.js';
import { runExperiment } from '../../src/run/experiment.js';
import { createTask } from '../../src/tasks/registry.js';
import { datasetSource } from '../../src/train/batch-source.js';
import { Trainer } from '../../src/train/node/trainer.js';
import { syntheticDataset } from '../helpers/synthetic.js';
import { streamDataYaml, streamRows, writeStreamCsv } from '../helpers/stream-table.js';

beforeAll(async () => { await initBackend('wasm'); });

describe('Trainer.fit on a BatchSource', () => {
  it('takes the same steps as on the Dataset it streams (weights, losses, validation metrics)', async () => {
    const ds = syntheticDataset(500, 8, 1);
    const val = syntheticDataset(150, 8, 2);
    const make = () => {
      const tasks = ds.tasks.map((s) => createTask(s, {}, { values: ds.labels[s.name]!, n: ds.n }));
      const model = buildModel('hps', { inputShape: ds.inputShape, tasks, seed: 3 }, { encoder: { type: 'mlp', hidden: [16] } });
      return new Trainer(model, tasks, { epochs: 2, batchSize: 64, optimizer: { name: 'adam', lr: 0.01 }, seed: 3, progress: 'silent' });
    };
    const a = make();
    const b = make();
    const ra = await a.fit(ds, val);
    const rb = await b.fit(datasetSource(ds), datasetSource(val));
    const strip = (h: typeof ra.history) => h.map(({ train, val: v, weights }) => ({ train, val: v, weights }));
    expect(strip(rb.history)).toEqual(strip(ra.history));
    const w = (t: Trainer) => t.model.trainableVariables().map((v) => Array.from(v.dataSync()));
    expect(w(b)).toEqual(w(a));
    expect(await b.evaluateSource(datasetSource(val))).toEqual(a.evaluate(val));
    for (const t of [a, b]) { t.dispose(); t.model.dispose(); }
  });
});

describe('mtl train with data.stream', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mtl-stream-train-'));
  writeStreamCsv(path.join(tmp, 'train.csv'), streamRows(4000, 11));
  writeStreamCsv(path.join(tmp, 'test.csv'), streamRows(2000, 12));
  const config = (stream: boolean) => parseConfig(YAML.parse(`name: s
seed: 1
${streamDataYaml('train.csv', `  test: test.csv\n${stream ? '  stream: true\n  shuffleBuffer: 1000\n' : ''}`)}model: { encoder: { type: mlp, hidden: [32] } }
train: { epochs: 4, batchSize: 64, lr: 0.005, validationSplit: 0.1, earlyStopping: false }
baselines: { stl: false }
`), 'test');
  const run = (stream: boolean, out: string, extra: { resume?: boolean; maxEpochsThisCall?: number } = {}) =>
    runExperiment(config(stream), { outDir: path.join(tmp, out), baseDir: tmp, backend: 'wasm', progress: 'silent', ...extra });

  it('learns every task kind, with test metrics close to the in-memory run; a resumed run ends the same', async () => {
    const s = await run(true, 'stream');
    const m = await run(false, 'memory');
    expect(s.finished).toBe(true);
    const history = fs.readFileSync(path.join(tmp, 'stream', 'history.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { train: Record<string, { loss: number }>; val: Record<string, Record<string, number>> });
    expect(history).toHaveLength(4);
    for (const task of ['buy', 'species', 'spend', 'tags']) expect(history[3]!.train[task]!.loss).toBeLessThan(history[0]!.train[task]!.loss);
    expect(history[3]!.val['buy']!.auc).toBeGreaterThan(0.8);
    const t = (r: typeof s, task: string, metric: string) => r.report.tasks[task]!.mtl[metric]!;
    expect(t(s, 'buy', 'auc')).toBeGreaterThan(0.85);
    expect(Math.abs(t(s, 'buy', 'auc') - t(m, 'buy', 'auc'))).toBeLessThan(0.02);
    expect(Math.abs(t(s, 'species', 'accuracy') - t(m, 'species', 'accuracy'))).toBeLessThan(0.03);
    expect(Math.abs(t(s, 'spend', 'mae') - t(m, 'spend', 'mae')) / t(m, 'spend', 'mae')).toBeLessThan(0.1);
    expect(Math.abs(t(s, 'tags', 'auc') - t(m, 'tags', 'auc'))).toBeLessThan(0.02);
    // The saved model carries the first pass's preprocessing and the regression target scaling.
    const manifest = JSON.parse(fs.readFileSync(path.join(tmp, 'stream', 'model', 'manifest.json'), 'utf8'));
    expect(manifest.preprocessing.features.map((f: { column: string }) => f.column)).toEqual(['x1', 'x2', 'x3', 'color']);
    expect(manifest.tasks.find((x: { name: string }) => x.name === 'spend').state.mean[0]).toBeGreaterThan(15);

    const first = await run(true, 'resumed', { maxEpochsThisCall: 2 });
    expect(first.finished).toBe(false);
    const rest = await run(true, 'resumed', { resume: true });
    expect(rest.report.tasks).toEqual(s.report.tasks);
  });
});
