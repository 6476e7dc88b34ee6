import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/engine/backend.js';
import { loadMnist } from '../../src/data/loaders/mnist.js';
import type { Dataset } from '../../src/data/types.js';
import { measureMtljs, textSetup } from '../../bench/mtljs.js';
import { findTorchPython, writeTorchData } from '../../bench/pytorch.js';
import { BENCH_MODELS, benchRate, defaultBenchMethods, parseChoiceList } from '../../bench/spec.js';
import { loadTextBenchData, sentenceLengths, type TextBenchData } from '../../bench/text-data.js';
import { medianRun } from '../../bench/median-run.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const torchPython = findTorchPython();
const hasTorch = !('error' in torchPython);
/** The loss of a model that knows nothing: ln 7 (intents) + ln 72 (slot tags). */
const CHANCE_LOSS = Math.log(7) + Math.log(72);

let data: Dataset;

beforeAll(async () => {
  await initBackend('wasm');
  // A few batches of real MNIST are enough: the bench cycles through them.
  data = (await loadMnist({ flatten: true, limit: 512 })).train;
});

describe('bench (mtljs side)', () => {
  it('measures the MLP: positive finite steps/s and no tensor growth', () => {
    const r = measureMtljs({ model: 'mlp', data, seconds: 1 });
    expect(Number.isFinite(r.stepsPerSec)).toBe(true);
    expect(r.stepsPerSec).toBeGreaterThan(0);
    expect(r.steps).toBeGreaterThan(0);
    expect(r.seconds).toBeGreaterThanOrEqual(1);
    expect(r.tensorsEnd).toBe(r.tensorsStart);
    expect(Number.isFinite(r.lastLoss)).toBe(true);
    expect(r.peakRssMB).toBeGreaterThan(0);
  }, 20_000);

  it('rejects data of the wrong shape', () => {
    expect(() => measureMtljs({ model: 'cnn', data, seconds: 1 })).toThrow(/input shape/);
  });
});

describe('bench: the text models\' data and settings', () => {
  let text: TextBenchData;
  beforeAll(async () => {
    text = await loadTextBenchData({ sentences: 200 });
  });

  it('knows all four models; the text models run ew unless --methods says otherwise', () => {
    expect(parseChoiceList('models', 'text_transformer,mlp', BENCH_MODELS)).toEqual(['text_transformer', 'mlp']);
    expect(BENCH_MODELS).toEqual(['mlp', 'cnn', 'text_bigru', 'text_transformer']);
    expect(defaultBenchMethods('text_bigru')).toEqual(['ew']);
    expect(defaultBenchMethods('mlp')).toEqual(['ew', 'pcgrad', 'pcgrad@rep']);
    expect(benchRate('text_bigru', 2)).toBe(128); // sentences/s = steps/s × 64
    expect(benchRate('mlp', 2)).toBe(2);
  });

  it('SNIPS training sentences in full batches of 64, the loader\'s vocabulary, padding at the end', () => {
    expect(text.batchSize).toBe(64);
    expect(text.batches).toBe(3); // 200 sentences → 3 full batches
    expect(text.dataset.n).toBe(192);
    expect(text.available).toBe(13_084);
    expect(text.vocabSize).toBe(4392);
    expect(text.dataset.inputShape).toEqual([35]);
    const lengths = sentenceLengths(text.dataset);
    expect(Math.min(...lengths)).toBeGreaterThan(0);
    expect(text.meanBatchLength).toBeGreaterThanOrEqual(text.meanLength);
    // mtljs's batches are the rows in order: batch k = rows [64k, 64k + 64).
    const setup = textSetup('text_bigru', text);
    expect(setup.batches.length).toBe(3);
    expect(setup.batches[1]).toEqual(Array.from({ length: 64 }, (_, i) => 64 + i));
    expect(setup.tasks.map((t) => [t.name, t.kind])).toEqual([['intent', 'multiclass'], ['slots', 'sequence']]);
  });

  it('writes the int32 files torch_bench.py reads: ids, lengths, intents, slot tags with -100 at padding', () => {
    const dir = writeTorchData({ snips: text });
    try {
      const snips = path.join(dir, 'snips');
      expect(fs.existsSync(path.join(dir, 'x.f32'))).toBe(false); // no MNIST asked for
      const meta = JSON.parse(fs.readFileSync(path.join(snips, 'meta.json'), 'utf8'));
      expect(meta).toMatchObject({ n: 192, maxLength: 35, vocabSize: 4392, intents: 7, tags: 72, batchSize: 64, ignoreIndex: -100 });
      const read = (name: string) => {
        const b = fs.readFileSync(path.join(snips, name));
        return new Int32Array(b.buffer, b.byteOffset, b.byteLength / 4);
      };
      const ids = read('ids.i32'), slots = read('slots.i32'), lengths = read('lengths.i32'), intent = read('intent.i32');
      expect(ids.length).toBe(192 * 35);
      expect(intent.length).toBe(192);
      const ds = text.dataset;
      for (const i of [0, 77, 191]) {
        expect(lengths[i]).toBe(sentenceLengths(ds)[i]);
        expect(intent[i]).toBe(ds.labels.intent![i]);
        for (let j = 0; j < 35; j++) {
          expect(ids[i * 35 + j]).toBe(ds.x[i * 35 + j]);
          const y = ds.labels.slots![i * 35 + j]!;
          expect(slots[i * 35 + j]).toBe(j < lengths[i]! ? y : -100);
        }
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it.skipIf(!hasTorch)('torch_bench.py trains on the same batches, each cut to its longest sentence', () => {
    const dir = writeTorchData({ snips: text });
    try {
      const script = [
        'import argparse, json, sys, torch',
        `sys.path.insert(0, ${JSON.stringify(path.join(root, 'bench'))})`,
        'import torch_bench as tb',
        `net, batch = tb.text_setup(torch, argparse.Namespace(model="text_transformer", data=${JSON.stringify(dir)}))`,
        'out = []',
        'for k in (1, 3):',  // 3 wraps round to batch 0
        '    ids, lens, intent, slots = batch(k)',
        '    z = net.encode((ids, lens, intent, slots))',
        '    out.append({"ids": ids.tolist(), "intent": intent.tolist(), "slots": slots.tolist(), "z": list(z.shape), "zpad": float(z[ids == 0].abs().sum()) if (ids == 0).any() else 0.0})',
        'print(json.dumps(out))',
      ].join('\n');
      const python = (torchPython as { python: string }).python;
      const r = spawnSync(python, ['-c', script], { encoding: 'utf8', timeout: 60_000 });
      expect(r.status, r.stderr).toBe(0);
      const got = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { ids: number[][]; intent: number[]; slots: number[][]; z: number[]; zpad: number }[];
      const ds = text.dataset;
      const lengths = sentenceLengths(ds);
      [1, 0].forEach((b, n) => {
        const rows = Array.from({ length: 64 }, (_, i) => b * 64 + i);
        const lb = Math.max(...rows.map((i) => lengths[i]!));
        const g = got[n]!;
        expect(g.ids.length).toBe(64);
        expect(g.ids[0]!.length).toBe(lb);
        expect(g.z).toEqual([64, lb, 64]);
        expect(g.zpad).toBe(0); // the features are 0 at padding, as mtljs's TokenMask makes them
        rows.forEach((i, r) => {
          expect(g.intent[r]).toBe(ds.labels.intent![i]);
          for (let j = 0; j < lb; j++) {
            expect(g.ids[r]![j]).toBe(ds.x[i * 35 + j]);
            expect(g.slots[r]![j]).toBe(j < lengths[i]! ? ds.labels.slots![i * 35 + j] : -100);
          }
        });
      });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

interface TextRow {
  mtljs: number | null;
  pytorch: number | null;
  ratio: number | null;
  unit: string;
  batchSize: number;
  steps: number;
  tensorGrowth: number;
  mtljsFirstLoss: number;
  mtljsLoss: number;
  pytorchFirstLoss: number | null;
  pytorchLoss: number | null;
  pytorchTrials: Record<string, number | null> | null;
  pytorchError?: string;
}

describe('npm run bench: the text models', () => {
  let json: Record<string, unknown>;
  let stdout = '';
  beforeAll(async () => {
    // A small run: 1.5 s per model on each side, 512 sentences (8 batches), one PyTorch thread setting.
    const tsx = path.join(root, 'node_modules/tsx/dist/cli.mjs');
    const args = [tsx, path.join(root, 'bench/run.ts'), '--models', 'text_bigru,text_transformer', '--seconds', '1.5',
      '--torch-seconds', '1', '--torch-threads', '1', '--sentences', '512', '--json'];
    const child = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    if (code !== 0) throw new Error(`bench exited with ${code}: ${stderr}`);
    json = JSON.parse(stdout.trim().split('\n').at(-1)!) as Record<string, unknown>;
  }, 120_000);

  it('mtljs: sentences/s for both encoders, ew only by default, no tensor growth, the loss falls from chance', () => {
    for (const model of ['text_bigru', 'text_transformer']) {
      const rows = json[model] as Record<string, TextRow>;
      expect(Object.keys(rows)).toEqual(['ew']);
      const r = rows.ew!;
      expect(r.unit).toBe('sentences/s');
      expect(r.batchSize).toBe(64);
      expect(r.mtljs).toBeGreaterThan(0);
      // The figure is steps/s × 64: steps over at least the 1.5 s budget, times 64.
      expect(r.mtljs!).toBeLessThanOrEqual((r.steps / 1.5) * 64 + 1e-6);
      expect(r.tensorGrowth).toBe(0);
      expect(Math.abs(r.mtljsFirstLoss - CHANCE_LOSS)).toBeLessThan(2);
      expect(r.mtljsLoss).toBeLessThan(r.mtljsFirstLoss);
    }
    expect(json.snips).toMatchObject({ sentences: 512, batches: 8, batchSize: 64, vocabSize: 4392, maxLength: 35 });
    expect(json.mlp).toBeUndefined();
    expect(stdout).toMatch(/\| model \| method \| unit \| mtljs \| PyTorch \(threads\) \|/);
    expect(stdout).toMatch(/\| text_bigru \| ew \| sentences\/s \| \d/);
    expect(stdout).toMatch(/\| text_transformer \| ew \| sentences\/s \| \d/);
  });

  it.skipIf(!hasTorch)('PyTorch: sentences/s, a finite loss that falls from chance, a ratio', () => {
    for (const model of ['text_bigru', 'text_transformer']) {
      const r = (json[model] as Record<string, TextRow>).ew!;
      expect(r.pytorchError).toBeUndefined();
      expect(r.pytorch).toBeGreaterThan(0);
      expect(Object.keys(r.pytorchTrials!)).toEqual(['1']);
      expect(r.pytorchTrials!['1']).toBe(r.pytorch);
      expect(r.ratio).toBeCloseTo(r.mtljs! / r.pytorch!, 9);
      expect(Number.isFinite(r.pytorchLoss)).toBe(true);
      expect(Math.abs(r.pytorchFirstLoss! - CHANCE_LOSS)).toBeLessThan(2);
      expect(r.pytorchLoss!).toBeLessThan(r.pytorchFirstLoss!);
    }
  });
});

describe('npm run bench --repeats', () => {
  it('medianRun: the middle run by rate (lower middle for an even count), failed runs left out', () => {
    const runs = [{ r: 5 }, { r: 1 }, { r: null }, { r: 3 }, { r: 9 }];
    expect(medianRun(runs, (x) => x.r)).toEqual({ r: 3 }); // 1, 3, 5, 9 → the lower middle of four
    expect(medianRun(runs.slice(0, 2), (x) => x.r)).toEqual({ r: 1 });
    expect(medianRun([{ r: 2 }, { r: 7 }, { r: 4 }], (x) => x.r)).toEqual({ r: 4 });
    expect(medianRun([{ r: null }], (x) => x.r)).toBeNull();
  });

  it.skipIf(!hasTorch)('three runs with the sides in turns: each figure is its row\'s median run, the runs and their range shown', () => {
    const tsx = path.join(root, 'node_modules/tsx/dist/cli.mjs');
    const r = spawnSync(process.execPath, [tsx, path.join(root, 'bench/run.ts'), '--models', 'mlp', '--methods', 'ew', '--seconds', '0.4',
      '--torch-seconds', '0.3', '--torch-threads', '1', '--samples', '512', '--repeats', '3', '--json'], { cwd: root, encoding: 'utf8', timeout: 240_000 });
    expect(r.status, r.stderr).toBe(0);
    const json = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as Record<string, unknown>;
    expect(json.repeats).toBe(3);
    const row = (json.mlp as Record<string, { mtljs: number; pytorch: number; mtljsRuns: number[]; pytorchRuns: number[]; ratio: number }>).ew!;
    expect(row.mtljsRuns).toHaveLength(3);
    expect(row.pytorchRuns).toHaveLength(3);
    expect(row.mtljs).toBe([...row.mtljsRuns].sort((a, b) => a - b)[1]);
    expect(row.pytorch).toBe([...row.pytorchRuns].sort((a, b) => a - b)[1]);
    expect(row.ratio).toBeCloseTo(row.mtljs / row.pytorch, 10);
    expect(r.stdout).toMatch(/each figure the median of 3 runs/);
    expect(r.stdout).toMatch(/\| mlp \| ew \| steps\/s \| [\d.]+ \([\d.]+–[\d.]+\) \| [\d.]+ \([\d.]+–[\d.]+\) \(set_num_threads\(1\)\)/);
    // The sides took turns: mtljs, PyTorch, mtljs, PyTorch, mtljs, PyTorch.
    const turns = r.stderr.split('\n').filter((l) => /^\[bench\] (mtljs mlp ew|PyTorch )/.test(l)).map((l) => (l.includes('PyTorch') ? 'P' : 'm')).join('');
    expect(turns).toBe('mPmPmP');
  }, 300_000);
});
