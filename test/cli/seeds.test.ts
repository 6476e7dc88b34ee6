/**
 * Repeats and uncertainty through the real command: `mtl train --seeds` trains MTL and STL at every
 * seed (each seed's run equals a plain run at that seed), reports mean ± std and a paired test of Δm%;
 * `mtl compare --seeds` trains the baselines at every seed and adds the summary table; a one-seed run
 * says that its Δm% is one draw.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { spread } from '../../src/eval/uncertainty.js';
import { runMtl, type MtlResult } from '../helpers/cli.js';
import { writeTwoTargetCsv } from '../helpers/two-target-csv.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mtl-seeds-'));

function mtl(args: string[]): Promise<MtlResult> {
  return runMtl(args, { cwd: tmp });
}

beforeAll(() => {
  // Two related targets of the same hidden factor, 300 rows.
  writeTwoTargetCsv(tmp, 300);
  fs.writeFileSync(path.join(tmp, 'c.yaml'), [
    'name: seeds',
    'data: { dataset: csv, train: d.csv, testFraction: 0.3, features: [{column: a, type: numeric}, {column: b, type: numeric}, {column: c, type: categorical}],',
    '  targets: [{task: pos, kind: binary, columns: [pos]}, {task: val, kind: regression, columns: [val]}] }',
    'model: { encoder: { type: mlp, hidden: [8] } }',
    'train: { epochs: 2, batchSize: 32, lr: 0.01, earlyStopping: false }',
  ].join('\n'));
});

describe('--seeds', () => {
  it('train --seeds 0,1,2: every seed is a full run; mean ± std and the paired test of Δm%', async () => {
    const r = await mtl(['train', 'c.yaml', '--out', 'multi', '--seeds', '0,1,2', '--progress', 'silent']);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/over 3 seeds \(0, 1, 2\): mean ± std/);
    expect(r.out).toMatch(/\| pos \| auc \(↑, primary\) \| \d\.\d{4} ± \d\.\d{4} \| \d\.\d{4} ± \d\.\d{4} \|/);
    expect(r.out).toMatch(/Δm% \(MTL vs STL\): [+-]\d+\.\d\d ± \d+\.\d\d%/);
    expect(r.out).toMatch(/(no significant difference between MTL and STL|MTL beats STL|STL beats MTL): .*paired t-test p = .* over 3 seeds/);
    const summary = JSON.parse(fs.readFileSync(path.join(tmp, 'multi', 'seeds.json'), 'utf8'));
    const deltas = [0, 1, 2].map((s) => JSON.parse(fs.readFileSync(path.join(tmp, 'multi', `seed-${s}`, 'report.json'), 'utf8')).deltaM as number);
    expect(summary.deltaM.mean).toBeCloseTo(spread(deltas).mean, 10);
    expect(summary.deltaM.std).toBeCloseTo(spread(deltas).std, 10);
    // A seed's run is the plain run at that seed.
    const one = await mtl(['train', 'c.yaml', '--out', 'single-1', '--seeds', '1', '--progress', 'silent']);
    expect(one.code, one.err).toBe(0);
    expect(one.out).toMatch(/note: one run: Δm% is a single draw; repeat with several seeds/);
    const a = JSON.parse(fs.readFileSync(path.join(tmp, 'single-1', 'report.json'), 'utf8'));
    const b = JSON.parse(fs.readFileSync(path.join(tmp, 'multi', 'seed-1', 'report.json'), 'utf8'));
    expect(b.tasks).toEqual(a.tasks);
  });

  it('compare --seeds 0,1: baselines at every seed, the summary table with the verdict per method', async () => {
    const r = await mtl(['compare', 'c.yaml', '--methods', 'ew,uw', '--seeds', '0,1', '--out', 'cmp', '--progress', 'silent']);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/\| STL \| 0 \|/);
    expect(r.out).toMatch(/\| STL \| 1 \|/);
    expect(r.out).toMatch(/\| method \| pos auc \(mean ± std\) \| val mae \(mean ± std\) \| Δm% \(mean ± std\) \| MTL vs STL over 2 seeds \|/);
    expect(r.out).toMatch(/\| uw \| \d\.\d{4} ± \d\.\d{4} \| \d\.\d{4} ± \d\.\d{4} \| [+-]\d+\.\d\d ± \d+\.\d\d \| (better|worse|no significant difference) \(paired t p = /);
    const json = JSON.parse(fs.readFileSync(path.join(tmp, 'cmp', 'compare.json'), 'utf8'));
    expect(Object.keys(json.stlBySeed)).toEqual(['0', '1']);
    expect(json.summary.map((s: { method: string }) => s.method)).toEqual(['STL', 'ew', 'uw']);
  });

  it('refuses a bad seed list', async () => {
    for (const bad of ['a,b', '1,1', '-1']) {
      const r = await mtl(['train', 'c.yaml', '--seeds', bad]);
      expect(r.code).toBe(2);
      expect(r.err).toMatch(/--seeds: /);
    }
  });
});
