/**
 * A user's own table in any supported format through the config (`data.dataset: csv | tsv | arff |
 * jsonl`): `features: all` with inferred types, group / order splits, threshold and numeric positive
 * targets, format mistakes named, and every row error at its 1-based file line.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfigDataset } from '../../src/config/dataset.js';
import { parseConfig } from '../../src/config/load.js';
import { DataError } from '../../src/data/errors.js';
import { parseJsonl } from '../../src/data/jsonl.js';
import { loadMulan } from '../../src/data/loaders/index.js';
import { groupSplit, inferFeatures, MAX_CATEGORICAL_NUMBERS, orderSplit, sniffFormat } from '../../src/data/own-table.js';
import { mulberry32 } from '../../src/data/split.js';
import type { DatasetSplit } from '../../src/data/types.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mtl-own-tables-'));
const MULAN = path.resolve('../shared/data/mulan-multilabel');
const write = (name: string, text: string) => {
  fs.writeFileSync(path.join(tmp, name), text);
  return name;
};

/** Loads `data` (merged into a minimal config) from tmp; returns the split and the logged lines. */
async function load(data: Record<string, unknown>, seed = 0): Promise<{ split: DatasetSplit; log: string[] }> {
  const config = parseConfig({ seed, data }, 'test.yaml');
  const log: string[] = [];
  const split = await loadConfigDataset(config, tmp, undefined, { log: (l) => log.push(l) });
  return { split, log };
}

async function loadError(data: Record<string, unknown>): Promise<Error> {
  try {
    await load(data);
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected the load to fail');
}

function configError(data: Record<string, unknown>): string {
  try {
    parseConfig({ data }, 'c.yaml');
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('expected an invalid config');
}

// One small table, written as csv, tsv, jsonl and arff.
const SMALL = {
  columns: ['age', 'job', 'income', 'y'],
  rows: Array.from({ length: 30 }, (_, i) => [20 + ((i * 7) % 31), ['nurse', 'cook', 'pilot'][i % 3]!, 1000 + i * 37.5, i % 2]),
};
const asCsv = (sep: string) => [SMALL.columns.join(sep), ...SMALL.rows.map((r) => r.join(sep))].join('\n') + '\n';
const asJsonl = () => SMALL.rows.map((r) => JSON.stringify(Object.fromEntries(SMALL.columns.map((c, i) => [c, r[i]])))).join('\n') + '\n';
const asArff = () => ['% a comment', '@relation small', '@attribute age numeric', '@attribute job {nurse,cook,pilot}', '@attribute income real', '@attribute y {0,1}', '', '@data',
  ...SMALL.rows.map((r) => r.join(','))].join('\n') + '\n';

describe('csv, tsv, jsonl and arff give the same dataset', () => {
  write('small.csv', asCsv(','));
  write('small.tsv', asCsv('\t'));
  write('small.jsonl', asJsonl());
  write('small.arff', asArff());
  const targets = [{ task: 'y', kind: 'binary', columns: ['y'] }];

  for (const split of [{ testFraction: 0.3 }, { split: { by: 'group', column: 'job' } }, { split: { by: 'order', column: 'income' } }]) {
    it(`with ${JSON.stringify(split)}`, async () => {
      const csv = await load({ dataset: 'csv', train: 'small.csv', features: 'all', targets, ...split });
      // the split column is not a feature: job (group) or income (order)
      const expected = { job: ['age', 'income'], income: ['age', 'job'] }[split.split?.column ?? ''] ?? ['age', 'job', 'income'];
      expect(csv.split.preprocessing!.features.map((f) => f.column)).toEqual(expected);
      for (const [dataset, train] of [['tsv', 'small.tsv'], ['jsonl', 'small.jsonl'], ['arff', 'small.arff']]) {
        const other = await load({ dataset, train, features: 'all', targets, ...split });
        for (const part of ['train', 'test'] as const) {
          expect(other.split[part].n, `${dataset} ${part}`).toBe(csv.split[part].n);
          expect(Array.from(other.split[part].x), `${dataset} ${part}`).toEqual(Array.from(csv.split[part].x));
          expect(Array.from(other.split[part].labels['y']!)).toEqual(Array.from(csv.split[part].labels['y']!));
          expect(other.split[part].tasks).toEqual(csv.split[part].tasks);
        }
        expect(other.split.preprocessing).toEqual(csv.split.preprocessing);
      }
    });
  }

  it('a test file in each format, its columns matched by name', async () => {
    write('small-train.csv', [SMALL.columns.join(','), ...SMALL.rows.slice(0, 20).map((r) => r.join(','))].join('\n'));
    // The test file's columns in another order: matched by name.
    const order = [3, 1, 0, 2];
    write('small-test.csv', [order.map((i) => SMALL.columns[i]).join(','), ...SMALL.rows.slice(20).map((r) => order.map((i) => r[i]).join(','))].join('\n'));
    write('small-train.jsonl', asJsonl().split('\n').slice(0, 20).join('\n'));
    write('small-test.jsonl', asJsonl().split('\n').slice(20).join('\n'));
    const csv = await load({ dataset: 'csv', train: 'small-train.csv', test: 'small-test.csv', targets });
    const jsonl = await load({ dataset: 'jsonl', train: 'small-train.jsonl', test: 'small-test.jsonl', targets });
    expect([csv.split.train.n, csv.split.test.n]).toEqual([20, 10]);
    expect(Array.from(jsonl.split.test.x)).toEqual(Array.from(csv.split.test.x));
    expect(Array.from(jsonl.split.train.x)).toEqual(Array.from(csv.split.train.x));
  });

  it('tsv splits at tabs by default; a tsv read as csv says which separator it is', async () => {
    const e = await loadError({ dataset: 'csv', train: 'small.tsv', targets });
    expect(e).toBeInstanceOf(DataError);
    expect(e.message).toMatch(/small\.tsv: .*unknown column 'y'.*is the separator '\\t'\? \(dataset: tsv\)/);
    const e2 = await loadError({ dataset: 'tsv', train: 'small.csv', targets });
    expect(e2.message).toMatch(/is the separator ','\? \(dataset: csv\)/);
  });
});

describe('features: all', () => {
  // 400 columns: an id, a 12-value job, a 1–5 rating, a zip code, 394 numeric columns, a 0/1 target, a score.
  const N = 240;
  const rand = mulberry32(7);
  const numericCols = Array.from({ length: 394 }, (_, j) => `x${j}`);
  const columns = ['id', 'job', 'rating', 'zip', ...numericCols, 'y', 'score'];
  const jobs = Array.from({ length: 12 }, (_, k) => `job${k}`);
  const rows = Array.from({ length: N }, (_, i) => [
    `u${i}`, jobs[i % 12]!, 1 + (i % 5), 10000 + ((i * 37) % 200), ...numericCols.map(() => (rand() * 10 - 5).toFixed(3)), i % 2, ((i * 13) % 20).toString(),
  ]);
  write('wide.csv', [columns.join(','), ...rows.map((r) => r.join(','))].join('\n') + '\n');
  const targets = [{ task: 'y', kind: 'binary', columns: ['y'] }, { task: 'high', kind: 'binary', columns: ['score'], threshold: 10 }];

  it('takes every column that is not a target, typed by the training values, with a summary line per column', async () => {
    expect(columns).toHaveLength(400);
    const { split, log } = await load({ dataset: 'csv', train: 'wide.csv', features: 'all', exclude: ['id'], types: { zip: 'categorical' }, targets });
    const feats = split.preprocessing!.features;
    expect(feats.map((f) => f.column)).toEqual(['job', 'rating', 'zip', ...numericCols]);
    expect(feats.slice(0, 3).map((f) => f.type)).toEqual(['categorical', 'categorical', 'categorical']);
    expect(feats.slice(3).every((f) => f.type === 'numeric')).toBe(true);
    expect(log[0]).toBe(`features: all → 397 columns from ${split.train.n} training rows: 394 numeric, 3 categorical; not features: y (target of task 'y'), score (target of task 'high'), id (excluded)`);
    expect(log).toHaveLength(1 + 397);
    expect(log).toContain('  job: categorical, 12 categories (inferred)');
    expect(log).toContain('  rating: categorical, 5 categories (inferred: only 5 distinct numbers)');
    const zipCategories = (feats[2] as { categories: string[] }).categories.length;
    expect(zipCategories).toBeGreaterThan(100); // 200 zip codes, 192 rows of training data
    expect(log).toContain(`  zip: categorical, ${zipCategories} categories (types)`);
    expect(log).toContain('  x0: numeric (inferred)');
    expect(split.train.inputShape).toEqual([12 + 5 + zipCategories + 394]);
  });

  it('flags an identifier column and skips an empty one', async () => {
    write('ids.csv', ['id,note,v,y', ...Array.from({ length: 40 }, (_, i) => `u${i},,${i},${i % 2}`)].join('\n'));
    const { log, split } = await load({ dataset: 'csv', train: 'ids.csv', targets: [{ task: 'y', kind: 'binary', columns: ['y'] }] });
    expect(log.find((l) => l.startsWith('  id:'))).toMatch(/categorical, 32 categories \(inferred\); every value differs: an identifier\? add it to data.exclude/);
    expect(log).toContain('  note: skipped, no value in the training rows');
    expect(split.preprocessing!.features.map((f) => f.column)).toEqual(['id', 'v']);
  });

  it('the rule: numeric when every value is a number and there are more than a few distinct ones', () => {
    const mk = (k: number) => ({ columns: ['c'], rows: Array.from({ length: 50 }, (_, i) => [String(i % k)]), train: Array.from({ length: 50 }, (_, i) => i), reserved: new Map() });
    expect(inferFeatures(mk(MAX_CATEGORICAL_NUMBERS)).features[0]!.type).toBe('categorical');
    expect(inferFeatures(mk(MAX_CATEGORICAL_NUMBERS + 1)).features[0]!.type).toBe('numeric');
    const withText = { ...mk(30), rows: [...mk(30).rows.slice(0, 49), ['n/a']] };
    expect(inferFeatures(withText).features[0]!.type).toBe('categorical');
    const withMissing = { ...mk(30), rows: [...mk(30).rows.slice(0, 48), ['?'], ['']] };
    expect(inferFeatures(withMissing).features[0]!.type).toBe('numeric');
  });

  it('explicit features keep working, and exclude/types go with features: all only', async () => {
    const { split, log } = await load({ dataset: 'csv', train: 'wide.csv', features: [{ column: 'x1', type: 'numeric' }, { column: 'job', type: 'categorical' }], targets });
    expect(split.train.inputShape).toEqual([13]);
    expect(log).toEqual([]);
    expect(configError({ dataset: 'csv', train: 'a.csv', features: [{ column: 'a', type: 'numeric' }], exclude: ['b'], targets })).toContain('data.exclude: exclude goes with features: all');
    const e = await loadError({ dataset: 'csv', train: 'wide.csv', exclude: ['nope'], targets });
    expect(e).toBeInstanceOf(DataError);
    expect(e.message).toMatch(/^wide\.csv: data\.exclude: unknown column 'nope' \(columns: id, job, rating, zip, x0, .*, … \(400 in all\)\)/);
    expect((await loadError({ dataset: 'csv', train: 'wide.csv', types: { y: 'numeric' }, targets })).message).toContain("data.types: 'y' is the target of task 'y', not a feature");
  });
});

describe('ARFF multi-target (Mulan emotions)', () => {
  const labels = [...fs.readFileSync(path.join(MULAN, 'emotions.xml'), 'utf8').matchAll(/<label name="([^"]+)"/g)].map((m) => m[1]!);

  it('numeric attributes become numeric features, the label attributes binary targets; same arrays as the built-in loader', async () => {
    expect(labels).toHaveLength(6);
    const data = { dataset: 'arff', train: path.join(MULAN, 'emotions-train.arff'), test: path.join(MULAN, 'emotions-test.arff'), features: 'all', targets: labels.map((l) => ({ kind: 'binary', columns: [l] })) };
    const { split, log } = await load(data);
    expect([split.train.n, split.test.n]).toEqual([391, 202]);
    expect(split.train.inputShape).toEqual([72]);
    expect(split.train.tasks.map((t) => t.name)).toEqual(labels);
    expect(log[0]).toMatch(/^features: all → 72 columns from 391 training rows: 72 numeric, 0 categorical/);
    expect(log[1]).toBe('  Mean_Acc1298_Mean_Mem40_Centroid: numeric (ARFF numeric)');
    const builtIn = await loadMulan('emotions', { dataDir: path.resolve('../shared/data') });
    expect(Array.from(split.train.x)).toEqual(Array.from(builtIn.train.x));
    expect(Array.from(split.test.x)).toEqual(Array.from(builtIn.test.x));
    labels.forEach((l, k) => expect(Array.from(split.test.labels[l]!)).toEqual(Array.from(builtIn.test.labels[builtIn.test.tasks[k]!.name]!)));
  });

  it('a nominal target can be multiclass (classes in declared order) and nominal features are categorical', async () => {
    write('weather.arff', ['@relation weather', "@attribute outlook {sunny,overcast,'rainy day'}", '@attribute temp numeric', '@attribute play {yes,no,maybe}', '@data',
      ...Array.from({ length: 24 }, (_, i) => `${["sunny", "overcast", "'rainy day'"][i % 3]},${60 + i},${['yes', 'no', 'maybe'][(i * 5) % 3]}`)].join('\n'));
    const { split, log } = await load({ dataset: 'arff', train: 'weather.arff', targets: [{ task: 'play', kind: 'multiclass', columns: ['play'] }] });
    expect(split.train.tasks[0]!.labelNames).toEqual(['yes', 'no', 'maybe']);
    expect(log).toContain('  outlook: categorical, 3 categories (ARFF nominal)');
    const b = await load({ dataset: 'arff', train: 'weather.arff', targets: [{ task: 'play', kind: 'binary', columns: ['play'], positive: ['yes'] }] });
    expect(b.split.train.tasks[0]!.labelNames).toEqual(['not yes', 'yes']);
  });
});

describe('splits', () => {
  const subjects = Array.from({ length: 37 }, (_, s) => `s${s}`);
  // Subjects with 1–9 rows each, in a shuffled order.
  const rows: string[][] = [];
  subjects.forEach((s, k) => {
    for (let j = 0; j <= k % 9; j++) rows.push([s, String(k * 10 + j), String((k + j) % 2)]);
  });
  write('groups.csv', ['subject,v,y', ...rows.map((r) => r.join(','))].join('\n'));

  it('by group: no group on both sides, for every seed; the group column is never a feature', async () => {
    const seen = new Set<string>();
    for (let seed = 0; seed < 40; seed++) {
      const values = rows.map((r) => r[0]!);
      const s = groupSplit(values, 0.25, seed, 'subject');
      const train = new Set(s.train.map((i) => values[i]));
      const test = new Set(s.test.map((i) => values[i]));
      expect([...test].filter((g) => train.has(g)), `seed ${seed}`).toEqual([]);
      expect(s.train.length + s.test.length).toBe(rows.length);
      expect(new Set([...s.train, ...s.test]).size).toBe(rows.length);
      expect(s.test.length).toBeGreaterThanOrEqual(Math.round(rows.length * 0.25));
      expect(s.train.length).toBeGreaterThan(0);
      seen.add([...test].sort().join());
    }
    expect(seen.size).toBeGreaterThan(30); // the seed matters
    const { split, log } = await load({ dataset: 'csv', train: 'groups.csv', split: { by: 'group', column: 'subject' }, targets: [{ task: 'y', kind: 'binary', columns: ['y'] }] }, 3);
    expect(split.preprocessing!.features.map((f) => f.column)).toEqual(['v']);
    expect(log[0]).toMatch(/^split by group 'subject': 37 groups → \d+ train \(\d+ rows\), \d+ test \(\d+ rows\)$/);
    expect(log).toContain("features: all → 1 column from " + split.train.n + " training rows: 1 numeric, 0 categorical; not features: y (target of task 'y'), subject (group split column)");
    const e = await loadError({ dataset: 'csv', train: 'groups.csv', split: { by: 'group', column: 'subject' }, features: [{ column: 'subject', type: 'categorical' }], targets: [{ task: 'y', kind: 'binary', columns: ['y'] }] });
    expect(e.message).toContain("the group column 'subject' cannot be a feature");
  });

  it('by group: the assignment does not depend on the row order', () => {
    const values = rows.map((r) => r[0]!);
    const perm = values.map((_, i) => i).reverse();
    const a = groupSplit(values, 0.3, 5, 'g');
    const b = groupSplit(perm.map((i) => values[i]!), 0.3, 5, 'g');
    expect(new Set(b.test.map((i) => values[perm[i]!]))).toEqual(new Set(a.test.map((i) => values[i])));
    expect(() => groupSplit(['a', 'a', ' a'], 0.3, 0, 'g')).toThrow(/one group only \('a'\)/);
  });

  it('by order: the latest rows go to test (dates, numbers), ties in file order', async () => {
    const days = Array.from({ length: 50 }, (_, i) => new Date(Date.UTC(2024, 0, 1 + i)).toISOString().slice(0, 10));
    const shuffledDays = [...days].sort((a, b) => ((a.charCodeAt(9) * 7 + a.charCodeAt(8)) % 11) - ((b.charCodeAt(9) * 7 + b.charCodeAt(8)) % 11) || (a < b ? -1 : 1));
    write('dated.csv', ['date,v,y', ...shuffledDays.map((d, i) => `${d},${i},${i % 2}`)].join('\n'));
    const { split, log } = await load({ dataset: 'csv', train: 'dated.csv', testFraction: 0.2, split: { by: 'order', column: 'date' }, targets: [{ task: 'y', kind: 'binary', columns: ['y'] }] });
    expect(split.test.n).toBe(10);
    expect(log[0]).toBe('split by order of \'date\' (date): 40 train rows up to 2024-02-09, 10 test rows from 2024-02-10');
    expect(split.preprocessing!.features.map((f) => f.column)).toEqual(['v']); // the order column is not a feature with features: all
    const s = orderSplit(shuffledDays, 0.2, 'date');
    expect(s.test.map((i) => shuffledDays[i]).sort()).toEqual(days.slice(40));
    const n = orderSplit(['10', '9', 100, '-1', '9'], 0.4, 't');
    expect(n.test).toEqual([0, 2]);
    expect(n.train).toEqual([3, 1, 4]);
    const e = await loadError({ dataset: 'csv', train: 'groups.csv', split: { by: 'order', column: 'when' }, targets: [{ task: 'y', kind: 'binary', columns: ['y'] }] });
    expect(e.message).toMatch(/^groups\.csv: data\.split \(by order\): unknown column 'when'/);
  });

  it('a test file and a split exclude each other', () => {
    expect(configError({ dataset: 'csv', train: 'a.csv', test: 'b.csv', split: { by: 'group', column: 'g' }, targets: [{ kind: 'binary', columns: ['y'] }] }))
      .toContain('data.split: the test file is the split: give test or split, not both');
    expect(configError({ dataset: 'csv', train: 'a.csv', split: { by: 'time' }, targets: [{ kind: 'binary', columns: ['y'] }] }))
      .toContain('unknown split "time": choose by: random, group or order');
  });
});

describe('targets', () => {
  write('scores.csv', ['a,score,grade', ...Array.from({ length: 20 }, (_, i) => `${i},${i},${['1', '2.0', '3', '4', ' 2 '][i % 5]}`)].join('\n'));

  it('threshold: a value > threshold is positive, with label names ≤ / >', async () => {
    const { split } = await load({ dataset: 'csv', train: 'scores.csv', testFraction: 0.25, features: [{ column: 'a', type: 'numeric' }], targets: [{ task: 'high', kind: 'binary', columns: ['score'], threshold: 10 }] });
    expect(split.train.tasks[0]!.labelNames).toEqual(['≤ 10', '> 10']);
    const all = [...Array.from(split.train.labels['high']!), ...Array.from(split.test.labels['high']!)];
    expect(all.filter((v) => v === 1)).toHaveLength(9); // 11..19; 10 itself is negative
    // a == score: the standardised input orders the rows, and the label is 1 exactly above 10
    const { mean, std } = split.preprocessing!.features[0] as { mean: number; std: number };
    for (const part of [split.train, split.test]) {
      part.labels['high']!.forEach((y, i) => expect(y).toBe(Math.round(part.x[i]! * std + mean) > 10 ? 1 : 0));
    }
  });

  it('positive values may be numbers (compared as numbers) or text; labelNames override', async () => {
    const { split } = await load({ dataset: 'csv', train: 'scores.csv', test: 'scores.csv', features: [{ column: 'a', type: 'numeric' }], targets: [
      { task: 'g', kind: 'binary', columns: ['grade'], positive: [2, 4] },
      { task: 'g3', kind: 'binary', columns: ['grade'], positive: ['3'], labelNames: ['other', 'three'] },
    ] });
    expect(Array.from(split.train.labels['g']!).slice(0, 5)).toEqual([0, 1, 0, 1, 1]);
    expect(Array.from(split.train.labels['g3']!).slice(0, 5)).toEqual([0, 0, 1, 0, 0]);
    expect(split.train.tasks.map((t) => t.labelNames)).toEqual([['not 2/4', '2/4'], ['other', 'three']]);
    // JSON lines: numbers and true/false
    write('flags.jsonl', Array.from({ length: 10 }, (_, i) => JSON.stringify({ a: i, ok: i % 3 === 0, n: i % 4 })).join('\n'));
    const j = await load({ dataset: 'jsonl', train: 'flags.jsonl', test: 'flags.jsonl', features: [{ column: 'a', type: 'numeric' }], targets: [
      { task: 'ok', kind: 'binary', columns: ['ok'], positive: [true] },
      { task: 'n', kind: 'binary', columns: ['n'], positive: [3] },
    ] });
    expect(Array.from(j.split.train.labels['ok']!)).toEqual([1, 0, 0, 1, 0, 0, 1, 0, 0, 1]);
    expect(Array.from(j.split.train.labels['n']!)).toEqual([0, 0, 0, 1, 0, 0, 0, 1, 0, 0]);
  });

  it('a positive list that matches no training value names the values', async () => {
    const e = await loadError({ dataset: 'csv', train: 'scores.csv', test: 'scores.csv', features: [{ column: 'a', type: 'numeric' }], targets: [{ task: 'g', kind: 'binary', columns: ['grade'], positive: ['two'] }] });
    expect(e.message).toBe("scores.csv: task 'g': no training value of column 'grade' is positive (two); its values: 1, 2, 2.0, 3, 4");
  });

  it('unknown keys and misplaced keys name what is allowed', () => {
    expect(configError({ dataset: 'csv', train: 'a.csv', targets: [{ task: 't', kind: 'binary', columns: ['y'], postive: ['1'] }] }))
      .toContain('data.targets.0: unknown key "postive" (allowed: task, kind, columns, positive, threshold, classes, labelNames)');
    expect(configError({ dataset: 'csv', train: 'a.csv', sep: ';', targets: [{ kind: 'binary', columns: ['y'] }] }))
      .toMatch(/data: unknown key "sep" \(allowed: dataset, train, test, testFraction, stream, shuffleBuffer, validation, split, separator, header, columns, features, exclude, types, targets\)/);
    expect(configError({ dataset: 'arff', train: 'a.arff', separator: ';', targets: [{ kind: 'binary', columns: ['y'] }] })).toContain('data.separator: separator applies to dataset csv or tsv (this one is arff)');
    expect(configError({ dataset: 'csv', train: 'a.csv', targets: [{ kind: 'regression', columns: ['y'], threshold: 3 }] })).toContain('threshold applies to binary and multilabel targets (this one is regression)');
    expect(configError({ dataset: 'csv', train: 'a.csv', targets: [{ kind: 'binary', columns: ['y'], threshold: 3, positive: [1] }] })).toContain('give positive or threshold, not both');
  });
});

describe('errors name the file and the 1-based file line', () => {
  const header = 'age,job,y';
  const good = (i: number) => `${20 + i},${['a', 'b'][i % 2]},${i % 2}`;
  const targets = [{ task: 'y', kind: 'binary', columns: ['y'] }];

  it('csv: a bad label, a bad number, in the training or the test file (after blank lines)', async () => {
    // line 1 header, 2 blank, 3..12 rows 0..9, row 10 is line 13
    write('badlabel.csv', [header, '', ...Array.from({ length: 10 }, (_, i) => good(i)), '30,a,2', good(11)].join('\n'));
    const e = await loadError({ dataset: 'csv', train: 'badlabel.csv', targets });
    expect(e).toBeInstanceOf(DataError);
    expect(e.message).toBe("badlabel.csv:13: task 'y', column 'y': expected 0 or 1, found '2'; give the target positive: [values] or threshold: number");
    write('badnum.csv', [header, ...Array.from({ length: 6 }, (_, i) => good(i)), 'n/a,a,1'].join('\n'));
    write('trainok.csv', [header, ...Array.from({ length: 6 }, (_, i) => good(i))].join('\n'));
    const e2 = await loadError({ dataset: 'csv', train: 'trainok.csv', test: 'badnum.csv', features: [{ column: 'age', type: 'numeric' }], targets });
    expect(e2.message).toBe("badnum.csv:8: column 'age': not a number: 'n/a'");
    const e3 = await loadError({ dataset: 'csv', train: 'trainok.csv', test: 'badnum.csv', features: 'all', types: { age: 'numeric' }, targets });
    expect(e3.message).toBe("badnum.csv:8: column 'age': not a number: 'n/a'");
    write('badthr.csv', [header, good(0), good(1), '22,a,high'].join('\n'));
    const e4 = await loadError({ dataset: 'csv', train: 'badthr.csv', targets: [{ task: 'y', kind: 'binary', columns: ['y'], threshold: 0.5 }] });
    expect(e4.message).toBe("badthr.csv:4: task 'y', column 'y': expected a number (threshold: 0.5), found 'high'");
    write('nodate.csv', ['d,v,y', '2024-01-01,1,0', '2024-01-02,2,1', ',3,0'].join('\n'));
    const e5 = await loadError({ dataset: 'csv', train: 'nodate.csv', split: { by: 'order', column: 'd' }, targets });
    expect(e5.message).toBe("nodate.csv:4: split by order: column 'd' has no value");
  });

  it('jsonl and arff: the line of the bad row', async () => {
    write('bad.jsonl', ['{"age": 1, "y": 0}', '', '{"age": 2, "y": 1}', '{"age": 3, "y": 1', '{"age": 4, "y": 0}'].join('\n'));
    const e = await loadError({ dataset: 'jsonl', train: 'bad.jsonl', targets });
    expect(e).toBeInstanceOf(DataError);
    expect(e.message).toMatch(/^bad\.jsonl:4: not a JSON object \(/);
    write('nested.jsonl', ['{"age": 1, "y": 0}', '{"age": {"v": 2}, "y": 1}'].join('\n'));
    expect((await loadError({ dataset: 'jsonl', train: 'nested.jsonl', targets })).message).toBe("nested.jsonl:2: column 'age': an object is not a table cell (flatten it into columns)");
    write('label.jsonl', ['{"age": 1, "y": 0}', '{"age": 2, "y": 1}', '{"age": 3, "y": "x"}'].join('\n'));
    expect((await loadError({ dataset: 'jsonl', train: 'label.jsonl', test: 'label.jsonl', targets })).message).toBe("label.jsonl:3: task 'y', column 'y': expected 0 or 1, found 'x'; give the target positive: [values] or threshold: number");
    write('label.arff', ['@relation r', '@attribute a numeric', '@attribute y {0,1,2}', '@data', '1,0', '2,1', '% comment', '3,2'].join('\n'));
    expect((await loadError({ dataset: 'arff', train: 'label.arff', test: 'label.arff', targets })).message).toMatch(/^label\.arff:8: task 'y', column 'y': expected 0 or 1, found '2'/);
  });

  it('a file in another format than stated says which one to use', async () => {
    const arffAsCsv = await loadError({ dataset: 'csv', train: path.join(MULAN, 'emotions-train.arff'), targets });
    expect(arffAsCsv).toBeInstanceOf(DataError);
    expect(arffAsCsv.message).toBe('emotions-train.arff:1: this is an ARFF file (it has an @relation header), not csv: use dataset: arff');
    expect((await loadError({ dataset: 'tsv', train: 'small.jsonl', targets })).message).toBe('small.jsonl:1: this is a JSON lines file (a JSON object per line), not tsv: use dataset: jsonl');
    expect((await loadError({ dataset: 'arff', train: 'small.csv', targets })).message).toBe('small.csv:1: not an ARFF file (no @relation header before the data): is it a CSV? use dataset: csv');
    expect((await loadError({ dataset: 'arff', train: 'small.tsv', targets })).message).toContain('is it a TSV? use dataset: tsv');
    expect((await loadError({ dataset: 'arff', train: 'small.jsonl', targets })).message).toContain('it is JSON lines: use dataset: jsonl');
    expect((await loadError({ dataset: 'jsonl', train: 'small.csv', targets })).message).toMatch(/^small\.csv:1: not a JSON object \(.*\): not JSON lines .*use dataset: csv or tsv$/);
    expect((await loadError({ dataset: 'jsonl', train: path.join(MULAN, 'emotions-train.arff'), targets })).message).toMatch(/^emotions-train\.arff:1: .*this is an ARFF file: use dataset: arff$/);
  });
});

describe('readers', () => {
  it('parseJsonl: columns in order of first appearance, absent keys missing, blank lines skipped', () => {
    const t = parseJsonl('\ufeff{"a": 1, "b": "x"}\n\n{"b": null, "c": true}\r\n', 'f.jsonl');
    expect(t).toEqual({ columns: ['a', 'b', 'c'], rows: [[1, 'x', null], [null, null, 'true']], lines: [1, 3] });
    expect(() => parseJsonl('[1, 2]\n', 'f.jsonl')).toThrow('f.jsonl:1: expected a JSON object {"column": value, ...}, found an array');
  });

  it('sniffFormat', () => {
    expect(sniffFormat('% c\n\n@RELATION x\n')).toEqual({ format: 'arff', line: 3 });
    expect(sniffFormat('{"a": 1}\n')).toEqual({ format: 'jsonl', line: 1 });
    expect(sniffFormat('a,b\n1,2\n')).toBeUndefined();
    expect(sniffFormat('{a,b}\n')).toBeUndefined();
  });
});
