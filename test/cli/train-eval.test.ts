import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const bin = path.resolve('bin/mtl.js');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mtl-run-'));

function mtl(...args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('mtl train → eval on real data (adult, 3,000 rows)', () => {
  const config = path.join(tmp, 'adult.yaml');
  fs.writeFileSync(config, [
    'name: adult-small',
    'seed: 1',
    `data: { dataset: adult, dir: ${path.resolve('../shared/data')}, options: { limit: 3000, testLimit: 3000 } }`,
    'model: { encoder: { type: mlp, hidden: [32] } }',
    'train: { epochs: 3, batchSize: 128, lr: 0.003, earlyStopping: false }',
  ].join('\n'));
  const out = path.join(tmp, 'run');

  it('trains MTL and STL, writes the run folder, prints the backend and Δm%', () => {
    const r = mtl('train', config, '--out', out, '--progress', 'lines');
    expect(r.code, r.err).toBe(0);
    expect(r.err).toContain('backend: wasm');
    expect(r.out).toMatch(/Δm% \(MTL vs STL, primary metrics\): [+-]\d+\.\d\d%/);
    for (const f of ['config.json', 'history.jsonl', 'report.json', 'model/model.json', 'model/weights.bin', 'model/manifest.json', 'checkpoint/state.json', 'stl/income/model/model.json']) {
      expect(fs.existsSync(path.join(out, f)), f).toBe(true);
    }
    const history = fs.readFileSync(path.join(out, 'history.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(history.map((h) => h.epoch)).toEqual([1, 2, 3]);
    expect(Object.keys(history[0].val)).toEqual(['income', 'never_married']);
    const report = JSON.parse(fs.readFileSync(path.join(out, 'report.json'), 'utf8'));
    expect(report.tasks.income.mtl.auc).toBeGreaterThan(0.8);
    expect(report.tasks.never_married.mtl.auc).toBeGreaterThan(0.85);
    expect(typeof report.deltaM).toBe('number');
  });

  it('eval reproduces the report from the saved models', () => {
    const r = mtl('eval', out, '--json');
    expect(r.code, r.err).toBe(0);
    const evaluated = JSON.parse(r.out);
    const report = JSON.parse(fs.readFileSync(path.join(out, 'report.json'), 'utf8'));
    for (const t of ['income', 'never_married']) {
      expect(evaluated.tasks[t].mtl.auc).toBeCloseTo(report.tasks[t].mtl.auc, 6);
      expect(evaluated.tasks[t].stl.auc).toBeCloseTo(report.tasks[t].stl.auc, 6);
    }
    expect(evaluated.deltaM).toBeCloseTo(report.deltaM, 6);
  });

  it('refuses to overwrite a run without --resume, and --resume of a finished run changes nothing', () => {
    expect(mtl('train', config, '--out', out).code).toBe(2);
    const before = fs.readFileSync(path.join(out, 'model', 'weights.bin'));
    const r = mtl('train', config, '--out', out, '--resume', '--progress', 'lines');
    expect(r.code, r.err).toBe(0);
    expect(r.err).toContain('resumed');
    expect(fs.readFileSync(path.join(out, 'model', 'weights.bin')).equals(before)).toBe(true);
  });
});

describe('mtl train on a text dataset (SNIPS, text-hps) → mtl predict on raw text', () => {
  it('sizes the model by the dataset\'s vocabulary and saves it beside the model', () => {
    const config = path.join(tmp, 'snips.yaml');
    fs.writeFileSync(config, [
      'name: snips-small',
      'seed: 0',
      `data: { dataset: snips, dir: ${path.resolve('../shared/data')}, options: { limit: 400 } }`,
      'model: { architecture: text-hps }',
      'train: { epochs: 3, batchSize: 32, lr: 0.005 }',
      'baselines: { stl: false }',
    ].join('\n'));
    const out = path.join(tmp, 'snips-run');
    const r = mtl('train', config, '--out', out, '--progress', 'silent');
    expect(r.code, r.err).toBe(0);
    for (const f of ['model/model.json', 'model/manifest.json', 'model/text.json']) expect(fs.existsSync(path.join(out, f)), f).toBe(true);
    const text = JSON.parse(fs.readFileSync(path.join(out, 'model/text.json'), 'utf8'));
    const report = JSON.parse(fs.readFileSync(path.join(out, 'report.json'), 'utf8'));
    expect(report.tasks.intent.mtl.accuracy).toBeGreaterThan(0.5); // 7 intents: chance is ~0.14
    const p = mtl('predict', out, 'play some jazz music on spotify');
    expect(p.code, p.err).toBe(0);
    expect(p.out).toMatch(/intent: \w+ \(p = 0\.\d+\)/);
    expect(p.out).toContain('tokens: play some jazz music on spotify');
    expect(text.vocabulary.length).toBeGreaterThan(100);
  });
});
