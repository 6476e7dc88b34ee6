import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { z } from 'zod';
import { aggregate, aggregatorNames, registerAggregator } from '../../src/aggregators/index.js';
import { parseConfig, readConfigFile } from '../../src/config/load.js';
import { UsageError } from '../../src/config/errors.js';
import { initBackend } from '../../src/engine/backend.js';
import { tf } from '../../src/engine/tf.js';
import { architectureNames, buildModel, registerArchitecture } from '../../src/models/registry.js';
import { createWeighting, registerWeighting, weightingNames } from '../../src/weighting/registry.js';
import { build } from '../models/helpers.js';

beforeAll(async () => { await initBackend('cpu'); });

/** The error message of parsing a config (adult data plus `extra`), or '' when it parses. */
function configError(extra: Record<string, unknown>): string {
  try {
    parseConfig({ data: { dataset: 'adult' }, ...extra }, 'config.yaml');
    return '';
  } catch (e) {
    expect(e).toBeInstanceOf(UsageError);
    return (e as Error).message;
  }
}

// Every built-in method's options at their documented defaults (the doc comment of each method file).
const WEIGHTING_DEFAULTS: Record<string, Record<string, unknown>[]> = {
  ew: [{}],
  fixed: [{}, { weights: { income: 1, never_married: 1 } }, { weights: [1, 1] }],
  uw: [{}],
  dwa: [{ temperature: 2 }],
  rlw: [{}],
  gls: [{}],
  'imtl-l': [{}],
  gradnorm: [{ alpha: 1.5, lr: 0.025 }],
  'db-mtl': [{ beta: 0.9, betaSigma: 0 }],
  famo: [{ lr: 0.025, gamma: 0.001, minLosses: 0 }, { minLosses: [0, 0] }],
  stch: [{ mu: 1, warmupEpochs: 4 }],
  'excess-mtl': [{ stepSize: 0.01 }],
  moco: [{ beta: 0.5, betaSigma: 0.5, gamma: 0.1, gammaSigma: 0.5, rho: 0 }],
  modo: [{ gamma: 0.001, rho: 0.1 }],
  sdmgrad: [{ lambda: 0.3, iterations: 20, lr: 5, momentum: 0.5 }],
};

const AGGREGATOR_DEFAULTS: Record<string, Record<string, unknown>> = {
  sum: {}, mean: {}, pcgrad: {}, gradvac: { beta: 0.01 }, graddrop: {}, mgda: {}, cagrad: { c: 0.4 },
  'imtl-g': {}, 'nash-mtl': {}, 'aligned-mtl': {}, upgrad: {},
  dualproj: {}, config: {}, fairgrad: { alpha: 1 }, krum: { nByzantine: 1, nSelected: 1 }, 'trimmed-mean': { trim: 1 },
};

const ARCHITECTURE_DEFAULTS: Record<string, Record<string, unknown>[]> = {
  hps: [{}],
  'text-hps': [
    { vocabSize: 4392, encoder: { type: 'bigru', dim: 64, units: 32 }, pool: 'mean' },
    { encoder: { type: 'transformer', dim: 64, layers: 2, heads: 4, ffn: 128 }, pool: 'max' },
  ],
  fusion: [{
    views: { first: [0, 1, 2, 3], last: ['x4', 'x5', 'x6', 'x7'] }, fusion: 'attention',
    featureNames: ['x0', 'x1', 'x2', 'x3', 'x4', 'x5', 'x6', 'x7'], attention: { keyDim: 4, attendSelf: true },
  }, { views: { all: [0, 1, 2, 3, 4, 5, 6, 7] }, fusion: 'concat' }],
  'cross-stitch': [{ selfWeight: 0.9 }],
  mtan: [{}],
  mmoe: [{ experts: 4 }],
  cgc: [{ sharedExperts: 2, taskExperts: 1 }],
  ple: [{ sharedExperts: 2, taskExperts: 1, levels: 2 }],
  'dselect-k': [{ experts: 4, k: 2, gamma: 1, routing: 'example' }, { experts: 3, k: 1, routing: 'task' }],
  'audio-hps': [
    { conv: { channels: [64, 64], kernel: 3, strides: [2, 2] }, encoder: { type: 'bigru', units: 64 }, pool: 'mean' },
    { encoder: { type: 'transformer', dim: 64, layers: 1, heads: 4, ffn: 128 }, pool: 'max' },
  ],
  additive: [
    { taskPenalty: 1e-3, sharedPenalty: 0, schedule: 'joint' },
    { taskPenalty: [1e-3, 0, 1], schedule: 'alternating' },
    { taskPenalty: { a: 1e-3, c: 0 } },
  ],
  esmm: [{}, { ctr: 'income', ctcvr: 'never_married' }],
};

describe('config: method options are checked by the method\'s schema', () => {
  it('a misspelt weighting option names the key, the method and the allowed keys', () => {
    const msg = configError({ train: { weighting: { method: 'dwa', temprature: 5 } } });
    expect(msg).toBe('config.yaml: invalid config\n  train.weighting: weighting "dwa": unknown option "temprature" (allowed: temperature)');
  });

  it('a misspelt aggregator option names the key and the allowed keys (mode included)', () => {
    const msg = configError({ train: { aggregator: { method: 'cagrad', cc: 0.9 } } });
    expect(msg).toBe('config.yaml: invalid config\n  train.aggregator: aggregator "cagrad": unknown option "cc" (allowed: c, mode)');
  });

  it('a misspelt architecture option names the key and the allowed keys', () => {
    expect(configError({ model: { architecture: 'mmoe', options: { expert: 4 } } }))
      .toContain('model.options: architecture "mmoe": unknown option "expert" (allowed: experts)');
    expect(configError({ model: { architecture: 'fusion', options: { views: { a: [0] }, attention: { keydim: 4 } } } }))
      .toContain('architecture "fusion": unknown option "attention.keydim" (allowed: keyDim, attendSelf)');
    // The default architecture, hps, takes no options.
    expect(configError({ model: { options: { experts: 4 } } })).toContain('architecture "hps": unknown option "experts" (hps takes no options)');
  });

  it('an option of another method, or one the trainer sets itself, is refused', () => {
    expect(configError({ train: { weighting: { method: 'ew', temperature: 2 } } })).toContain('weighting "ew": unknown option "temperature" (ew takes no options)');
    expect(configError({ train: { weighting: { method: 'rlw', seed: 3 } } })).toContain('weighting "rlw": unknown option "seed"');
    expect(configError({ train: { aggregator: { method: 'pcgrad', seed: 3 } } })).toContain('aggregator "pcgrad": unknown option "seed" (allowed: mode)');
    expect(configError({ train: { aggregator: { method: 'mgda', c: 0.4 } } })).toContain('aggregator "mgda": unknown option "c" (allowed: mode)');
  });

  it('a bad value names the key', () => {
    expect(configError({ train: { weighting: { method: 'dwa', temperature: 0 } } })).toMatch(/train\.weighting: weighting "dwa": option "temperature": .*>0/);
    expect(configError({ train: { weighting: { method: 'db-mtl', beta: 1 } } })).toMatch(/weighting "db-mtl": option "beta"/);
    expect(configError({ train: { aggregator: { method: 'cagrad', c: -1 } } })).toMatch(/aggregator "cagrad": option "c"/);
    expect(configError({ train: { aggregator: { method: 'gradvac', beta: 'fast' } } })).toMatch(/aggregator "gradvac": option "beta"/);
    expect(configError({ model: { architecture: 'mmoe', options: { experts: 0 } } })).toMatch(/architecture "mmoe": option "experts"/);
    expect(configError({ model: { architecture: 'additive', options: { schedule: 'sometimes' } } })).toMatch(/architecture "additive": option "schedule"/);
    expect(configError({ model: { architecture: 'text-hps', options: { encoder: { type: 'lstm' } } } })).toMatch(/architecture "text-hps": option "encoder.type": .*bigru/);
  });

  it('several problems are all reported, each on its own line; an unknown method only by its name', () => {
    const msg = configError({ train: { weighting: { method: 'gradnorm', alpah: 1, lr: -1 }, aggregator: { method: 'magic', cc: 1 } } });
    expect(msg).toContain('train.weighting: weighting "gradnorm": unknown option "alpah" (allowed: alpha, lr)');
    expect(msg).toContain('train.weighting: weighting "gradnorm": option "lr"');
    expect(msg).toContain('train.aggregator.method: unknown aggregator "magic"');
    expect(msg).not.toContain('"cc"');
  });

  it('every built-in weighting accepts its documented defaults, in a config and when created', () => {
    expect(Object.keys(WEIGHTING_DEFAULTS).sort()).toEqual([...weightingNames()].sort());
    for (const [method, variants] of Object.entries(WEIGHTING_DEFAULTS)) {
      for (const options of variants) {
        expect(configError({ train: { weighting: { method, ...options } } }), method).toBe('');
        const w = createWeighting(method, { taskNames: ['income', 'never_married'], seed: 0, ...options });
        expect(w.weights(), method).toHaveLength(2);
        w.variables?.().forEach((v) => v.dispose());
      }
    }
  });

  it('every built-in aggregator accepts its documented defaults and both modes, in a config and when called', () => {
    expect(Object.keys(AGGREGATOR_DEFAULTS).sort()).toEqual([...aggregatorNames()].sort());
    for (const [method, options] of Object.entries(AGGREGATOR_DEFAULTS)) {
      for (const mode of [undefined, 'param', 'rep']) {
        expect(configError({ train: { aggregator: { method, ...options, ...(mode ? { mode } : {}) } } }), `${method} ${mode}`).toBe('');
      }
      // Five tasks: krum's defaults need T ≥ 2f + 3 = 5, trimmed-mean's T > 2·trim.
      expect(aggregate(method, [[1, 0], [0.5, 1], [0, 1], [1, 1], [2, 0.5]], { ...options, state: {} }), method).toHaveLength(2);
    }
  });

  it('every built-in architecture accepts its documented defaults, in a config and when built', () => {
    expect(Object.keys(ARCHITECTURE_DEFAULTS).sort()).toEqual([...architectureNames()].sort());
    for (const [architecture, variants] of Object.entries(ARCHITECTURE_DEFAULTS)) {
      for (const options of variants) expect(configError({ model: { architecture, options } }), architecture).toBe('');
    }
    const before = tf.memory().numTensors;
    for (const [architecture, variants] of Object.entries(ARCHITECTURE_DEFAULTS)) {
      if (architecture === 'text-hps') continue; // token-id input: built with these options in test/text/model.test.ts
      if (architecture === 'audio-hps') continue; // log-mel frames [T, M] input: built in test/models/audio/audio-hps.test.ts
      if (architecture === 'esmm') continue; // a click → conversion pair of binary tasks: built in test/models/tabular-run.test.ts
      for (const options of variants) build(architecture, options, 1).model.dispose();
    }
    expect(tf.memory().numTensors).toBe(before);
  });

  it('user plug-ins: without a schema any options pass; with one, the config is checked by it', () => {
    registerWeighting('my-weighting', (o) => createWeighting('ew', { taskNames: o.taskNames }));
    expect(configError({ train: { weighting: { method: 'my-weighting', anything: [1, 2] } } })).toBe('');
    registerAggregator('my-agg', (G) => Float32Array.from(G[0]!), z.strictObject({ pick: z.number().int().nonnegative().optional() }));
    expect(configError({ train: { aggregator: { method: 'my-agg', pick: 1, mode: 'rep' } } })).toBe('');
    expect(configError({ train: { aggregator: { method: 'my-agg', pik: 1 } } })).toContain('aggregator "my-agg": unknown option "pik" (allowed: pick, mode)');
    registerArchitecture('my-arch', (ctx, cfg) => buildModel('hps', ctx, cfg));
    expect(configError({ model: { architecture: 'my-arch', options: { depth: 3 } } })).toBe('');
  });
});

describe('example configs', () => {
  const files = fs.readdirSync('examples', { recursive: true, encoding: 'utf8' })
    .filter((f) => /\.ya?ml$/.test(f))
    .map((f) => path.join('examples', f));

  it('finds the examples', () => {
    expect(files.length).toBeGreaterThanOrEqual(5);
  });

  it.each(files)('%s parses', (file) => {
    const { config } = readConfigFile(file);
    expect(config.train.weighting.method).toBeTruthy();
  });

  it('the config in README.md parses (when it has one)', () => {
    const readme = fs.readFileSync('README.md', 'utf8');
    const block = /## Configs\s+```yaml\n([\s\S]*?)```/.exec(readme)?.[1];
    if (!block) return;
    expect(configError(YAML.parse(block) as Record<string, unknown>)).toBe('');
  });
});
