import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { aggregate, aggregatorNames, checkAggregatorOptions, isGramianMethod, registerAggregator, weightsFromGramian } from '../../src/aggregators/index.js';
import { architectureNames, buildModel, registerArchitecture } from '../../src/models/registry.js';
import type { MultiTaskModel } from '../../src/models/types.js';
import { createTask, taskKindNames } from '../../src/tasks/registry.js';
import { Registry, anyOptions, noOptions, objectKeys } from '../../src/util/registry.js';
import { createWeighting, registerWeighting, weightingNames } from '../../src/weighting/registry.js';
import type { Weighting } from '../../src/weighting/types.js';

const OBJECT_PROTOTYPE_NAMES = ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf', 'prototype'];

function fruits() {
  return new Registry<() => string>({ kind: 'fruit', noun: 'fruit' })
    .register('apple', () => 'apple', z.strictObject({ ripe: z.boolean().optional(), size: z.number().int().min(1).optional() }))
    .register('pear', () => 'pear', noOptions)
    .register('plum', () => 'plum', z.strictObject({ stone: z.strictObject({ size: z.number().optional() }).optional() }));
}

describe('Registry', () => {
  it('finds registered names only (Map semantics: nothing from Object.prototype)', () => {
    const r = fruits();
    expect(r.get('apple')()).toBe('apple');
    expect(r.names()).toEqual(['apple', 'pear', 'plum']);
    for (const name of OBJECT_PROTOTYPE_NAMES) {
      expect(r.has(name), name).toBe(false);
      expect(() => r.get(name), name).toThrow(`unknown fruit "${name}": choose one of apple, pear, plum`);
      expect(() => r.parseOptions(name, {}), name).toThrow(`unknown fruit "${name}"`);
    }
    expect(() => r.get(undefined as unknown as string)).toThrow('unknown fruit "undefined"');
  });

  it('register adds and replaces entries; a name must be a non-empty string', () => {
    const r = fruits().register('fig', () => 'fig').register('pear', () => 'new pear');
    expect(r.names()).toEqual(['apple', 'pear', 'plum', 'fig']);
    expect(r.get('pear')()).toBe('new pear');
    expect(() => r.register('', () => 'x')).toThrow(/non-empty string/);
  });

  it('parseOptions: a misspelt key names the key, the entry and the allowed keys', () => {
    const r = fruits();
    expect(() => r.parseOptions('apple', { rip: true })).toThrow('fruit "apple": unknown option "rip" (allowed: ripe, size)');
    expect(() => r.parseOptions('pear', { ripe: true })).toThrow('fruit "pear": unknown option "ripe" (pear takes no options)');
    expect(() => r.parseOptions('plum', { stone: { sise: 1 } })).toThrow('fruit "plum": unknown option "stone.sise" (allowed: size)');
    expect(r.optionErrors('apple', { rip: 1, siz: 2 })).toEqual([
      'fruit "apple": unknown option "rip" (allowed: ripe, size)',
      'fruit "apple": unknown option "siz" (allowed: ripe, size)',
    ]);
  });

  it('parseOptions: a bad value names the key', () => {
    const r = fruits();
    expect(() => r.parseOptions('apple', { size: 0 })).toThrow(/^fruit "apple": option "size": .*>=1/);
    expect(() => r.parseOptions('apple', { ripe: 'yes' })).toThrow(/^fruit "apple": option "ripe": .*boolean/);
    expect(() => r.parseOptions('apple', 5)).toThrow('fruit "apple": options must be an object, got 5');
    expect(() => r.parseOptions('apple', [1])).toThrow('options must be an object');
  });

  it('parseOptions returns the validated options; undefined values count as absent', () => {
    const r = fruits();
    expect(r.parseOptions('apple', { ripe: true, size: 2 })).toEqual({ ripe: true, size: 2 });
    expect(r.parseOptions('pear', { ripe: undefined })).toEqual({});
    expect(r.parseOptions('pear', undefined)).toEqual({});
    expect(r.optionErrors('apple', { size: 3 })).toEqual([]);
  });

  it('reserved keys are skipped and listed as allowed; context keys are skipped and not listed', () => {
    const r = fruits();
    expect(r.parseOptions('pear', { mode: 'x', seed: 3 }, { reserved: ['mode'], context: ['seed'] })).toEqual({});
    expect(() => r.parseOptions('apple', { colour: 'red', seed: 1 }, { reserved: ['mode'], context: ['seed'] }))
      .toThrow('fruit "apple": unknown option "colour" (allowed: ripe, size, mode)');
  });

  it('an entry registered without a schema accepts any options', () => {
    const r = fruits().register('fig', () => 'fig');
    expect(r.schema('fig')).toBe(anyOptions);
    expect(r.parseOptions('fig', { anything: 1, goes: [2] })).toEqual({ anything: 1, goes: [2] });
    expect(r.optionKeys('fig')).toEqual([]);
    expect(r.optionKeys('apple')).toEqual(['ripe', 'size']);
    expect(objectKeys(z.number())).toBeNull();
  });
});

describe('the plug-in registries', () => {
  const ctx = { inputShape: [2], tasks: [], seed: 0 };
  const spec = (kind: string) => ({ name: 't', kind, width: 1, outputSize: 1 }) as Parameters<typeof createTask>[0];

  it('refuse names from Object.prototype with the unknown-name error', () => {
    for (const name of OBJECT_PROTOTYPE_NAMES) {
      expect(() => createWeighting(name, { taskNames: ['a'] }), name).toThrow(`unknown weighting method "${name}": choose one of ${weightingNames().join(', ')}`);
      expect(() => buildModel(name, ctx, {}), name).toThrow(`unknown architecture "${name}": choose one of ${architectureNames().join(', ')}`);
      expect(() => aggregate(name, [[1], [2]]), name).toThrow(`unknown aggregation method "${name}": choose one of ${aggregatorNames().join(', ')}`);
      expect(() => isGramianMethod(name), name).toThrow('unknown aggregation method');
      expect(() => weightsFromGramian(name, [[1]]), name).toThrow('unknown aggregation method');
      expect(() => createTask(spec(name)), name).toThrow(`task "t": unknown task kind "${name}": choose one of ${taskKindNames().join(', ')}`);
    }
    expect(() => createWeighting('constructor', {} as never)).toThrow('unknown weighting method "constructor"');
    expect(() => buildModel('toString', ctx, {})).toThrow('unknown architecture "toString"');
    expect(() => aggregate('__proto__', [[1]])).toThrow('unknown aggregation method "__proto__"');
  });

  it('createWeighting checks a method\'s options (the trainer\'s taskNames, weights and seed aside)', () => {
    expect(() => createWeighting('dwa', { taskNames: ['a', 'b'], temprature: 5 })).toThrow('weighting "dwa": unknown option "temprature" (allowed: temperature)');
    expect(() => createWeighting('dwa', { taskNames: ['a', 'b'], temperature: 0 })).toThrow(/weighting "dwa": option "temperature"/);
    expect(() => createWeighting('gls', { taskNames: ['a', 'b'], alpha: 1 })).toThrow('weighting "gls": unknown option "alpha" (gls takes no options)');
    expect(createWeighting('dwa', { taskNames: ['a', 'b'], weights: { a: 2 }, seed: 3, temperature: 1 }).name).toBe('dwa');
  });

  it('the trainer\'s aggregator options are checked (mode allowed); aggregate itself takes the shared options bag', () => {
    expect(() => checkAggregatorOptions('cagrad', { cc: 0.9 })).toThrow('aggregator "cagrad": unknown option "cc" (allowed: c, mode)');
    expect(() => checkAggregatorOptions('gradvac', { beta: 2 })).toThrow(/aggregator "gradvac": option "beta"/);
    expect(() => checkAggregatorOptions('pcgrad', { seed: 1 })).toThrow('aggregator "pcgrad": unknown option "seed" (allowed: mode)');
    expect(() => checkAggregatorOptions('cagrad', { c: 0.5, mode: 'rep' })).not.toThrow();
    expect(Array.from(aggregate('mgda', [[1, 0], [0, 1]], { c: 0.4, beta: 0.5, seed: 1 }))).toEqual([0.5, 0.5]);
  });

  it('user plug-ins register with or without an options schema', () => {
    const plain: Weighting = { name: 'plug-w', combine: (l) => l[0]!, weights: () => [1] };
    registerWeighting('plug-w', () => plain);
    expect(createWeighting('plug-w', { taskNames: ['a'], whatever: 1 })).toBe(plain);
    registerWeighting('plug-w-strict', () => plain, z.strictObject({ gain: z.number().optional() }));
    expect(weightingNames()).toContain('plug-w-strict');
    expect(createWeighting('plug-w-strict', { taskNames: ['a'], gain: 2 })).toBe(plain);
    expect(() => createWeighting('plug-w-strict', { taskNames: ['a'], gian: 2 })).toThrow('weighting "plug-w-strict": unknown option "gian" (allowed: gain)');

    registerAggregator('plug-first', (G) => Float32Array.from(G[0]!));
    expect(Array.from(aggregate('plug-first', [[1, 2], [3, 4]], { anything: true } as never))).toEqual([1, 2]);
    expect(() => checkAggregatorOptions('plug-first', { anything: true })).not.toThrow();

    const fake = { architecture: 'plug-arch' } as unknown as MultiTaskModel;
    registerArchitecture('plug-arch', () => fake, z.strictObject({ width: z.number().int().optional() }));
    expect(architectureNames()).toContain('plug-arch');
    expect(buildModel('plug-arch', ctx, { width: 3 })).toBe(fake);
  });
});
