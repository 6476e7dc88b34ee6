import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { aggregate } from '../../src/aggregators/index.js';
import { initBackend } from '../../src/engine/backend.js';
import { loadMnist } from '../../src/data/loaders/mnist.js';
import type { Dataset } from '../../src/data/types.js';
import { measureMtljs } from '../../bench/mtljs.js';
import { findTorchPython, runTorchBench } from '../../bench/pytorch.js';
import { BENCH_METHODS, BENCH_MODELS, benchAggregator, parseChoiceList } from '../../bench/spec.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const torchPython = findTorchPython();
const hasTorch = !('error' in torchPython);

describe('bench methods: CLI lists', () => {
  it('parses, trims and de-duplicates a method list; rejects unknown names', () => {
    expect(parseChoiceList('methods', 'ew, pcgrad@rep,ew', BENCH_METHODS)).toEqual(['ew', 'pcgrad@rep']);
    expect(parseChoiceList('models', 'cnn', BENCH_MODELS)).toEqual(['cnn']);
    expect(() => parseChoiceList('methods', 'ew,mgda', BENCH_METHODS)).toThrow(/--methods: unknown method "mgda": choose from ew, pcgrad, pcgrad@rep/);
    expect(() => parseChoiceList('methods', ' , ', BENCH_METHODS)).toThrow(/--methods/);
  });

  it('maps methods to Trainer aggregators', () => {
    expect(benchAggregator('ew')).toBeNull();
    expect(benchAggregator('pcgrad')).toEqual({ method: 'pcgrad', mode: 'param' });
    expect(benchAggregator('pcgrad@rep')).toEqual({ method: 'pcgrad', mode: 'rep' });
  });

  it('npm run bench exits with a clear error for an unknown method', () => {
    const tsx = path.join(root, 'node_modules/tsx/dist/cli.mjs');
    const r = spawnSync(process.execPath, [tsx, path.join(root, 'bench/run.ts'), '--methods', 'ew,nope'], { encoding: 'utf8', cwd: root });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/unknown method "nope": choose from ew, pcgrad, pcgrad@rep/);
  }, 60_000);
});

describe('bench methods: mtljs side', () => {
  let data: Dataset;
  beforeAll(async () => {
    await initBackend('wasm');
    data = (await loadMnist({ flatten: true, limit: 512 })).train;
  });

  for (const method of ['pcgrad', 'pcgrad@rep'] as const) {
    it(`measures the MLP with ${method}: positive steps/s, finite loss, no tensor growth`, () => {
      const r = measureMtljs({ model: 'mlp', method, data, seconds: 1 });
      expect(r.method).toBe(method);
      expect(r.stepsPerSec).toBeGreaterThan(0);
      expect(r.steps).toBeGreaterThan(0);
      expect(r.tensorsEnd).toBe(r.tensorsStart);
      expect(Number.isFinite(r.lastLoss)).toBe(true);
    }, 30_000);
  }
});

describe.skipIf(!hasTorch)('bench methods: PyTorch side', () => {
  const python = hasTorch ? (torchPython as { python: string }).python : '';

  it('torch_bench.py PCGrad gives the direction mtljs\'s PCGrad gives (T = 2, with and without a conflict)', () => {
    const cases = [
      [[1, 2, -1, 0.5], [-2, 0.5, 1, 1]], // conflict: g0·g1 < 0
      [[1, 2, -1, 0.5], [2, 0.5, -1, 1]], // no conflict: the plain sum
      [[0.3, -1, 0, 2], [0, 0, 0, 0]], // a zero gradient
    ];
    const script = [
      'import json, random, sys, torch',
      `sys.path.insert(0, ${JSON.stringify(path.join(root, 'bench'))})`,
      'import torch_bench as tb',
      `cases = ${JSON.stringify(cases)}`,
      'print(json.dumps([tb.pcgrad(torch, torch.tensor(c, dtype=torch.float64), random.Random(0)).tolist() for c in cases]))',
    ].join('\n');
    const r = spawnSync(python, ['-c', script], { encoding: 'utf8', timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    const got = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as number[][];
    cases.forEach((G, k) => {
      const want = Array.from(aggregate('pcgrad', G, { seed: 0 }));
      got[k]!.forEach((v, i) => expect(v).toBeCloseTo(want[i]!, 5));
    });
  }, 60_000);

  it('times every method per model; the non-EW methods at EW\'s winning thread setting', () => {
    const res = runTorchBench(python, { models: ['mlp'], methods: ['ew', 'pcgrad', 'pcgrad@rep'], seconds: 0.3, dataDir: null, threads: '1,default' });
    const mlp = res.models.mlp!;
    expect(Object.keys(mlp)).toEqual(['ew', 'pcgrad', 'pcgrad@rep']);
    expect(mlp.ew!.trials.map((t) => t.threads)).toEqual(['1', 'default']);
    for (const method of ['ew', 'pcgrad', 'pcgrad@rep'] as const) {
      const r = mlp[method]!;
      expect(r.stepsPerSec, JSON.stringify(r.trials)).toBeGreaterThan(0);
      expect(Number.isFinite(r.lastLoss)).toBe(true);
      if (method !== 'ew') expect(r.trials.map((t) => t.threads)).toEqual([mlp.ew!.threads]);
    }
    expect(res.methodThreads).toBe('ew-best');
  }, 120_000);
});
