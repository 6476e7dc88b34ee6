import { describe, expect, it } from 'vitest';
import { loadDataset } from '../../src/data/loaders/index.js';
import { buildSchool, loadSchool, parseSchool, readSchool, splitPerSchool } from '../../src/data/loaders/school.js';

const SLOW = 30_000;

describe('school loader', () => {
  it('reads 15,362 pupils of 139 schools; splits every school 80/20 into disjoint train/test', async () => {
    const raw = await readSchool();
    expect(raw.n).toBe(15362);
    expect(raw.d).toBe(28);
    const parts = splitPerSchool(raw, 0.2, 0);
    expect(parts.length).toBe(139);
    const seen = new Set<number>();
    for (const p of parts) {
      const n = p.train.length + p.test.length;
      expect(p.test.length).toBe(Math.round(n * 0.2));
      for (const r of [...p.train, ...p.test]) {
        expect(raw.school[r]).toBe(p.school);
        expect(seen.has(r)).toBe(false);
        seen.add(r);
      }
    }
    expect(seen.size).toBe(raw.n);
    // Seeded: same seed, same split; another seed, another split.
    expect(splitPerSchool(raw, 0.2, 0)[5]!.test).toEqual(parts[5]!.test);
    expect(splitPerSchool(raw, 0.2, 1)[5]!.test).not.toEqual(parts[5]!.test);
  }, SLOW);

  it('standardises features with training statistics; the constant bias column stays 1', async () => {
    const data = await loadSchool({ seed: 0 });
    const d = data.d;
    expect(data.featureNames.at(-1)).toBe('bias');
    const mean = new Array(d).fill(0), sq = new Array(d).fill(0);
    let n = 0;
    for (const t of data.tasks) {
      for (let i = 0; i < t.train.n; i++) for (let j = 0; j < d; j++) { mean[j] += t.train.x[i * d + j]!; sq[j] += t.train.x[i * d + j]! ** 2; }
      n += t.train.n;
    }
    for (let j = 0; j < d - 1; j++) {
      expect(Math.abs(mean[j] / n)).toBeLessThan(1e-9);
      expect(sq[j] / n).toBeCloseTo(1, 9);
    }
    expect(mean[d - 1] / n).toBe(1);
    expect(sq[d - 1] / n).toBe(1);
    expect(data.featureStd[d - 1]).toBe(1);
    expect(data.yMean).toBeGreaterThan(15);
    expect(data.yStd).toBeGreaterThan(5);
  }, SLOW);

  it('the Dataset view: one regression task per school, each row labelled for its own school only', async () => {
    const data = await loadSchool({ seed: 0 });
    const { train, test } = data.split;
    expect(train.tasks.length).toBe(139);
    expect(train.n + test.n).toBe(15362);
    expect(train.inputShape).toEqual([28]);
    for (const ds of [train, test]) {
      const labelled = new Array(ds.n).fill(0);
      for (const t of ds.tasks) ds.labels[t.name]!.forEach((v, i) => { if (!Number.isNaN(v)) labelled[i]++; });
      expect(labelled.every((c) => c === 1)).toBe(true);
    }
    const t7 = data.tasks[7]!;
    expect(train.labels[t7.name]!.filter((v) => !Number.isNaN(v)).length).toBe(t7.train.n);
    // The registry serves the same view.
    const viaRegistry = await loadDataset('school');
    expect(viaRegistry.train.n).toBe(train.n);
  }, SLOW);

  it('statsFrom: statistics from the chosen schools only; parse errors name the file', async () => {
    const raw = await readSchool();
    const some = buildSchool(raw, { statsFrom: (s) => s < 10 });
    const all = buildSchool(raw, {});
    expect(some.featureMean[3]).not.toBeCloseTo(all.featureMean[3]!, 6);
    expect(some.tasks[0]!.test.n).toBe(all.tasks[0]!.test.n);
    expect(() => parseSchool('task,x0,y\n0,abc,3\n', 'bad.csv')).toThrow(/bad\.csv:2/);
  }, SLOW);
});
