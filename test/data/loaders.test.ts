import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DATASET_NAMES, loadDataset } from '../../src/data/loaders/index.js';
import type { Dataset, DatasetSplit } from '../../src/data/types.js';

const SLOW = 30_000;

function labelStats(ds: Dataset, task: string): { min: number; max: number; nan: number; sum: number } {
  let min = Infinity;
  let max = -Infinity;
  let nan = 0;
  let sum = 0;
  for (const v of ds.labels[task]!) {
    if (Number.isNaN(v)) nan++;
    else {
      min = Math.min(min, v);
      max = Math.max(max, v);
      sum += v;
    }
  }
  return { min, max, nan, sum };
}

function checkShapes(split: DatasetSplit): void {
  for (const ds of [split.train, split.test]) {
    const size = ds.inputShape.reduce((a, b) => a * b, 1);
    expect(ds.x.length).toBe(ds.n * size);
    expect(ds.x.every(Number.isFinite)).toBe(true);
    for (const t of ds.tasks) expect(ds.labels[t.name]!.length).toBe(ds.n * t.width);
  }
  if (split.preprocessing) expect(split.train.inputShape).toEqual([split.preprocessing.inputSize]);
}

/** Column means/stds of the training inputs: standardized numeric columns are ≈ 0 / ≈ 1. */
function columnMoments(ds: Dataset, col: number): { mean: number; std: number } {
  const d = ds.inputShape[0]!;
  let s = 0;
  for (let i = 0; i < ds.n; i++) s += ds.x[i * d + col]!;
  const mean = s / ds.n;
  let ss = 0;
  for (let i = 0; i < ds.n; i++) ss += (ds.x[i * d + col]! - mean) ** 2;
  return { mean, std: Math.sqrt(ss / ds.n) };
}

describe('registry', () => {
  it('lists the datasets and rejects unknown names', async () => {
    expect(DATASET_NAMES).toEqual(expect.arrayContaining(['adult', 'energy', 'sarcos', 'mulan-emotions', 'mulan-yeast', 'mulan-scene', 'mulan-flags', 'mnist']));
    await expect(loadDataset('nope')).rejects.toThrow(/unknown dataset 'nope' \(known: adult, /);
  });

  it('reads only the data folder given, and names the missing file', async () => {
    await expect(loadDataset('energy', { dataDir: '/no/such/dir' })).rejects.toThrow(/energy\/energy_efficiency\.csv: not found in the data folder \/no\/such\/dir/);
  });
});

describe('adult', () => {
  it(
    'loads 32,561 train and 16,281 test rows with two binary tasks',
    async () => {
      const s = await loadDataset('adult');
      checkShapes(s);
      expect(s.train.n).toBe(32561);
      expect(s.test.n).toBe(16281);
      expect(s.train.tasks.map((t) => [t.name, t.kind, t.width])).toEqual([
        ['income', 'binary', 1],
        ['never_married', 'binary', 1],
      ]);
      // Known class counts of the UCI files.
      expect(labelStats(s.train, 'income')).toEqual({ min: 0, max: 1, nan: 0, sum: 7841 });
      expect(labelStats(s.test, 'income')).toEqual({ min: 0, max: 1, nan: 0, sum: 3846 }); // '>50K.' read as positive
      expect(labelStats(s.train, 'never_married').sum).toBe(10683);

      const p = s.preprocessing!;
      expect(p.features.map((f) => f.column)).not.toContain('marital-status');
      expect(p.features.map((f) => f.column)).not.toContain('income');
      expect(p.features).toHaveLength(13);
      const age = p.features.find((f) => f.column === 'age')!;
      expect(age.type === 'numeric' && age.mean).toBeCloseTo(38.5816, 3); // training rows only
      const workclass = p.features.find((f) => f.column === 'workclass')!;
      expect(workclass.type === 'categorical' && workclass.categories).not.toContain('?'); // '?' = missing
      expect(workclass.type === 'categorical' && workclass.categories).toContain('Private');
      expect(p.inputSize).toBe(98);
      const ageMoments = columnMoments(s.train, 0);
      expect(ageMoments.mean).toBeCloseTo(0, 4);
      expect(ageMoments.std).toBeCloseTo(1, 4);
    },
    SLOW,
  );

  it(
    'funnel + embedding: overtime (hours > 40) and overtime ∧ income > 50K, from the real rows; categorical columns as id slots',
    async () => {
      const s = await loadDataset('adult', { funnel: true, embedding: 8 });
      expect(s.train.tasks.map((t) => t.name)).toEqual(['overtime', 'overtime_high_income']);
      // Counted from adult.data independently (hours-per-week column > 40; and '>50K').
      expect(labelStats(s.train, 'overtime').sum).toBe(9581);
      expect(labelStats(s.train, 'overtime_high_income').sum).toBe(3856);
      // Every click-and-conversion row is a click.
      const click = s.train.labels.overtime!;
      s.train.labels.overtime_high_income!.forEach((v, i) => expect(v <= click[i]!).toBe(true));
      const p = s.preprocessing!;
      expect(p.features.map((f) => f.column)).not.toContain('hours-per-week');
      expect(p.features.map((f) => f.column)).toContain('marital-status');
      // 5 numeric columns + 8 embedded categorical columns, one id slot each.
      expect(p.inputSize).toBe(13);
      const workclass = p.features.find((f) => f.column === 'workclass')!;
      expect(workclass.type === 'categorical' && workclass.embedding).toBe(8);
    },
    SLOW,
  );

  it('limit takes the first N training rows and fits on them only', async () => {
    const s = await loadDataset('adult', { limit: 500, testLimit: 100 });
    expect(s.train.n).toBe(500);
    expect(s.test.n).toBe(100);
    const age = s.preprocessing!.features[0]!;
    expect(age.type === 'numeric' && age.mean).not.toBeCloseTo(38.5816, 3);
    expect(columnMoments(s.train, 0).mean).toBeCloseTo(0, 4);
  });
});

describe('adult file quirks (synthetic files)', () => {
  const ROW1 = '39, State-gov, 77516, Bachelors, 13, Never-married, Adm-clerical, Not-in-family, White, Male, 2174, 0, 40, United-States, <=50K';
  const ROW2 = '50, ?, 83311, Bachelors, 13, Married-civ-spouse, Exec-managerial, Husband, White, Male, 0, 0, 13, ?, >50K';
  const TEST1 = '25, Private, 226802, 11th, 7, Never-married, Machine-op-inspct, Own-child, Black, Male, 0, 0, 40, United-States, >50K.';

  function withAdult(data: string, test: string, fn: (dir: string) => Promise<void>): Promise<void> {
    const dir = mkdtempSync(join(tmpdir(), 'mtl-adult-'));
    mkdirSync(join(dir, 'adult'));
    writeFileSync(join(dir, 'adult', 'adult.data'), data);
    writeFileSync(join(dir, 'adult', 'adult.test'), test);
    return fn(dir).finally(() => rmSync(dir, { recursive: true, force: true }));
  }

  it('skips a leading "|1x3 Cross validator" line, strips the label period, treats ? as missing', () =>
    withAdult(`${ROW1}\n${ROW2}\n\n`, `|1x3 Cross validator\n${TEST1}\n`, async (dir) => {
      const s = await loadDataset('adult', { dataDir: dir });
      expect(s.train.n).toBe(2);
      expect(s.test.n).toBe(1);
      expect(Array.from(s.train.labels['income']!)).toEqual([0, 1]);
      expect(Array.from(s.test.labels['income']!)).toEqual([1]);
      expect(Array.from(s.test.labels['never_married']!)).toEqual([1]);
      const workclass = s.preprocessing!.features.find((f) => f.column === 'workclass')!;
      expect(workclass).toEqual({ column: 'workclass', type: 'categorical', categories: ['State-gov'] });
    }));

  it('reports a short row as file:line', () =>
    withAdult(`${ROW1}\n${ROW2.replace(', ?, 83311', ', 83311')}\n`, `${TEST1}\n`, async (dir) => {
      await expect(loadDataset('adult', { dataDir: dir })).rejects.toThrow('adult.data:2: expected 15 fields, found 14');
    }));

  it('reports a bad line of adult.test with its real line number after the header line', () =>
    withAdult(`${ROW1}\n`, `|1x3 Cross validator\n${TEST1}\n1, 2\n`, async (dir) => {
      await expect(loadDataset('adult', { dataDir: dir })).rejects.toThrow('adult.test:3: expected 15 fields, found 2');
    }));
});

describe('energy', () => {
  it('loads 768 rows split 614/154 with raw regression targets', async () => {
    const s = await loadDataset('energy');
    checkShapes(s);
    expect(s.train.n + s.test.n).toBe(768);
    expect(s.test.n).toBe(154);
    expect(s.train.inputShape).toEqual([8]);
    expect(s.train.tasks.map((t) => t.name)).toEqual(['heating', 'cooling']);
    for (const ds of [s.train, s.test]) {
      const h = labelStats(ds, 'heating');
      const c = labelStats(ds, 'cooling');
      expect(h.nan + c.nan).toBe(0);
      expect(h.min).toBeGreaterThanOrEqual(6.0);
      expect(h.max).toBeLessThanOrEqual(43.2);
      expect(c.min).toBeGreaterThanOrEqual(10.89);
      expect(c.max).toBeLessThanOrEqual(48.1);
    }
    for (let col = 0; col < 8; col++) expect(columnMoments(s.train, col).mean).toBeCloseTo(0, 4);
  });

  it('same seed → same split; another seed → another split', async () => {
    const a = await loadDataset('energy', { seed: 0 });
    const b = await loadDataset('energy', { seed: 0 });
    const c = await loadDataset('energy', { seed: 1 });
    expect(b.train.x).toEqual(a.train.x);
    expect(b.test.labels['heating']).toEqual(a.test.labels['heating']);
    expect(c.test.labels['heating']).not.toEqual(a.test.labels['heating']);
  });
});

describe('sarcos', () => {
  it('loads 4,449 rows, 21 inputs, 7 regression tasks', async () => {
    const s = await loadDataset('sarcos');
    checkShapes(s);
    expect(s.train.n + s.test.n).toBe(4449);
    expect(s.test.n).toBe(890);
    expect(s.train.inputShape).toEqual([21]);
    expect(s.train.tasks.map((t) => t.name)).toEqual(['tau1', 'tau2', 'tau3', 'tau4', 'tau5', 'tau6', 'tau7']);
    for (const t of s.train.tasks) {
      expect(t).toMatchObject({ kind: 'regression', width: 1, outputSize: 1 });
      const st = labelStats(s.train, t.name);
      expect(st.nan).toBe(0);
      expect(st.max - st.min).toBeGreaterThan(1); // raw torques, not standardized
      expect(st.max).toBeLessThan(500);
      expect(st.min).toBeGreaterThan(-500);
    }
  });
});

describe('mulan', () => {
  it('emotions: 593 rows (391 + 202), 72 inputs, 6 binary tasks', async () => {
    const s = await loadDataset('mulan-emotions');
    checkShapes(s);
    expect(s.train.n).toBe(391);
    expect(s.test.n).toBe(202);
    expect(s.train.inputShape).toEqual([72]);
    expect(s.train.tasks.map((t) => t.name)).toEqual([
      'amazed_suprised', 'happy_pleased', 'relaxing_calm', 'quiet_still', 'sad_lonely', 'angry_aggresive',
    ]);
    for (const t of s.train.tasks) {
      expect(t.kind).toBe('binary');
      const st = labelStats(s.train, t.name);
      expect(st).toMatchObject({ min: 0, max: 1, nan: 0 });
      expect(st.sum).toBeGreaterThan(0);
    }
  });

  it('asMultilabel gives one multilabel task with the same labels', async () => {
    const bin = await loadDataset('mulan-emotions');
    const ml = await loadDataset('mulan-emotions', { asMultilabel: true });
    expect(ml.train.tasks).toEqual([
      {
        name: 'labels', kind: 'multilabel', width: 6, outputSize: 6,
        labelNames: ['amazed-suprised', 'happy-pleased', 'relaxing-calm', 'quiet-still', 'sad-lonely', 'angry-aggresive'],
      },
    ]);
    const labels = ml.test.labels['labels']!;
    bin.test.tasks.forEach((t, k) => {
      const col = Array.from({ length: ml.test.n }, (_, i) => labels[i * 6 + k]);
      expect(col).toEqual(Array.from(bin.test.labels[t.name]!));
    });
    expect(ml.train.x).toEqual(bin.train.x);
  });

  it('yeast (14 labels, 2,417 rows) and scene (6 labels, 2,407 rows)', { timeout: SLOW }, async () => {
    const yeast = await loadDataset('mulan-yeast');
    checkShapes(yeast);
    expect(yeast.train.n + yeast.test.n).toBe(2417);
    expect(yeast.train.inputShape).toEqual([103]);
    expect(yeast.train.tasks).toHaveLength(14);
    const scene = await loadDataset('mulan-scene');
    checkShapes(scene);
    expect(scene.train.n + scene.test.n).toBe(2407);
    expect(scene.train.inputShape).toEqual([294]);
    expect(scene.train.tasks.map((t) => t.name)).toEqual(['Beach', 'Sunset', 'FallFoliage', 'Field', 'Mountain', 'Urban']);
  });

  it('flags: 194 rows, 7 labels, nominal features one-hot encoded', async () => {
    const s = await loadDataset('mulan-flags');
    checkShapes(s);
    expect(s.train.n + s.test.n).toBe(194);
    expect(s.train.tasks).toHaveLength(7);
    const p = s.preprocessing!;
    expect(p.features).toHaveLength(19);
    const landmass = p.features[0]!;
    expect(landmass.type).toBe('categorical');
    expect(landmass.type === 'categorical' && landmass.categories).toEqual(['1', '2', '3', '4', '5', '6']);
    // every training row has exactly one landmass bit set
    const d = p.inputSize;
    for (let i = 0; i < s.train.n; i++) {
      let sum = 0;
      for (let k = 0; k < 6; k++) sum += s.train.x[i * d + k]!;
      expect(sum).toBe(1);
    }
  });
});

describe('mnist', () => {
  it(
    'loads 10,000 digits split 8,000/2,000 with digit and box tasks, deterministically',
    async () => {
      const t0 = performance.now();
      const s = await loadDataset('mnist');
      expect(performance.now() - t0).toBeLessThan(5000);
      checkShapes(s);
      expect(s.preprocessing).toBeUndefined();
      expect(s.train.n).toBe(8000);
      expect(s.test.n).toBe(2000);
      expect(s.train.inputShape).toEqual([28, 28, 1]);
      expect(s.train.tasks).toEqual([
        { name: 'digit', kind: 'multiclass', width: 1, outputSize: 10, labelNames: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'] },
        { name: 'box', kind: 'box', width: 4, outputSize: 4, labelNames: ['x1', 'y1', 'x2', 'y2'] },
      ]);
      for (const ds of [s.train, s.test]) {
        const counts = new Array(10).fill(0);
        for (const d of ds.labels['digit']!) {
          expect(Number.isInteger(d) && d >= 0 && d <= 9).toBe(true);
          counts[d]++;
        }
        expect(Math.min(...counts)).toBeGreaterThan(ds.n / 20); // every class present
        expect(ds.x.every((v) => v >= 0 && v <= 1)).toBe(true);
        const box = labelStats(ds, 'box');
        expect(box).toMatchObject({ nan: 0 });
        expect(box.min).toBeGreaterThanOrEqual(0);
        expect(box.max).toBeLessThanOrEqual(1);
      }

      // The box contains every bright pixel, and each edge touches one (tight).
      for (let i = 0; i < 40; i++) {
        const b = Array.from(s.train.labels['box']!.subarray(i * 4, i * 4 + 4), (v) => Math.round(v * 28));
        const [x1, y1, x2, y2] = b as [number, number, number, number];
        expect(x1).toBeLessThan(x2);
        expect(y1).toBeLessThan(y2);
        const edges = { left: false, right: false, top: false, bottom: false };
        for (let r = 0; r < 28; r++) {
          for (let c = 0; c < 28; c++) {
            if (s.train.x[i * 784 + r * 28 + c]! > 0.1) {
              expect(c >= x1 && c < x2 && r >= y1 && r < y2).toBe(true);
              if (c === x1) edges.left = true;
              if (c === x2 - 1) edges.right = true;
              if (r === y1) edges.top = true;
              if (r === y2 - 1) edges.bottom = true;
            }
          }
        }
        expect(edges).toEqual({ left: true, right: true, top: true, bottom: true });
      }

      const again = await loadDataset('mnist', { seed: 0, flatten: true, limit: 100 });
      expect(again.train.inputShape).toEqual([784]);
      expect(again.train.n).toBe(100);
      expect(new Set(again.train.labels['digit']).size).toBe(10); // limit takes a random sample, not all zeros
      expect(again.train.x).toEqual(s.train.x.subarray(0, 100 * 784));
      expect(again.test.labels['digit']).toEqual(s.test.labels['digit']);
      const other = await loadDataset('mnist', { seed: 1, testLimit: 50 });
      expect(other.test.n).toBe(50);
      expect(other.test.labels['digit']).not.toEqual(s.test.labels['digit']!.subarray(0, 50));
    },
    SLOW,
  );
});
