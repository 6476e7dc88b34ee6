/**
 * A user's own data through the real `mtl` command: a 400-column table with `features: all` trains and
 * prints the inferred types, the Mulan emotions ARFF files train as six binary tasks, a grouped split
 * trains, and a file in another format or with a bad cell ends with exit 2 and `file:line`.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runMtl, type MtlResult } from '../helpers/cli.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mtl-own-data-'));
const MULAN = path.resolve('../shared/data/mulan-multilabel');

function mtl(args: string[], cwd = tmp): Promise<MtlResult> {
  return runMtl(args, { cwd, env: { ...process.env, MTL_PROGRESS: 'silent' } });
}

const write = (name: string, text: string) => {
  fs.writeFileSync(path.join(tmp, name), text);
  return name;
};

const TRAIN = 'train: { epochs: 1, batchSize: 32, earlyStopping: false }\nbaselines: { stl: false }\nmodel: { encoder: { type: mlp, hidden: [8] } }\n';

describe('mtl train on your own table', () => {
  it('400 columns, features: all: trains and prints one inferred type per column', async () => {
    let seed = 1;
    const rand = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
    const xs = Array.from({ length: 396 }, (_, j) => `x${j}`);
    const header = ['id', 'job', ...xs, 'churned', 'spend'];
    expect(header).toHaveLength(400);
    const rows = Array.from({ length: 200 }, (_, i) => [`c${i}`, `job${i % 12}`, ...xs.map(() => (rand() * 4).toFixed(2)), i % 3 === 0 ? 'yes' : 'no', (rand() * 20).toFixed(1)]);
    write('wide.csv', [header.join(','), ...rows.map((r) => r.join(','))].join('\n') + '\n');
    write('wide.yaml', `name: wide\ndata:\n  dataset: csv\n  train: wide.csv\n  features: all\n  exclude: [id]\n  targets:\n    - { task: churn, kind: binary, columns: [churned], positive: [yes] }\n    - { task: big, kind: binary, columns: [spend], threshold: 10 }\n${TRAIN}`);
    const r = await mtl(['train', 'wide.yaml', '--out', 'run-wide']);
    expect(r.code, r.err).toBe(0);
    expect(r.err).toContain("features: all → 397 columns from 160 training rows: 396 numeric, 1 categorical; not features: churned (target of task 'churn'), spend (target of task 'big'), id (excluded)");
    expect(r.err).toContain('  job: categorical, 12 categories (inferred)');
    expect(r.err).toContain('  x395: numeric (inferred)');
    expect(r.err.split('\n').filter((l) => /^ {2}\S+: (numeric|categorical)/.test(l))).toHaveLength(397);
    const report = JSON.parse(fs.readFileSync(path.join(tmp, 'run-wide', 'report.json'), 'utf8'));
    expect(Object.keys(report.tasks)).toEqual(['churn', 'big']);
    const manifest = JSON.parse(fs.readFileSync(path.join(tmp, 'run-wide', 'model', 'manifest.json'), 'utf8'));
    expect(JSON.stringify(manifest)).toContain('"> 10"');
  });

  it('the Mulan emotions ARFF files: six binary targets from the label attributes', async () => {
    const labels = [...fs.readFileSync(path.join(MULAN, 'emotions.xml'), 'utf8').matchAll(/<label name="([^"]+)"/g)].map((m) => m[1]!);
    const targets = labels.map((l) => `    - { kind: binary, columns: [${l}] }`).join('\n');
    write('emotions.yaml', `name: emotions\ndata:\n  dataset: arff\n  train: ${path.join(MULAN, 'emotions-train.arff')}\n  test: ${path.join(MULAN, 'emotions-test.arff')}\n  features: all\n  targets:\n${targets}\n${TRAIN}`);
    const r = await mtl(['train', 'emotions.yaml', '--out', 'run-emotions']);
    expect(r.code, r.err).toBe(0);
    expect(r.err).toContain('features: all → 72 columns from 391 training rows: 72 numeric, 0 categorical');
    expect(r.err).toContain('  BHSUM3: numeric (ARFF numeric)');
    const report = JSON.parse(fs.readFileSync(path.join(tmp, 'run-emotions', 'report.json'), 'utf8'));
    expect(Object.keys(report.tasks)).toEqual(labels);
  });

  it('a grouped split from a TSV file', async () => {
    const rows = Array.from({ length: 120 }, (_, i) => `p${i % 15}\t${(i * 0.37) % 5}\t${i % 2}`);
    write('visits.tsv', ['patient\tdose\tbetter', ...rows].join('\n'));
    write('visits.yaml', `name: visits\ndata: { dataset: tsv, train: visits.tsv, split: { by: group, column: patient }, targets: [{ kind: binary, columns: [better] }] }\n${TRAIN}`);
    const r = await mtl(['train', 'visits.yaml', '--out', 'run-visits']);
    expect(r.code, r.err).toBe(0);
    expect(r.err).toMatch(/split by group 'patient': 15 groups → \d+ train \(\d+ rows\), \d+ test \(\d+ rows\)/);
    expect(r.err).toContain('not features: better (target of task \'better\'), patient (group split column)');
  });

  it('an ARFF file given as csv, and a bad cell: exit 2 with file:line', async () => {
    write('arff-as-csv.yaml', `data: { dataset: csv, train: ${path.join(MULAN, 'emotions-train.arff')}, targets: [{ kind: binary, columns: [happy-pleased] }] }\n${TRAIN}`);
    const a = await mtl(['train', 'arff-as-csv.yaml', '--out', 'run-x']);
    expect(a.code, a.err).toBe(2);
    expect(a.err).toContain('mtl: error: emotions-train.arff:1: this is an ARFF file (it has an @relation header), not csv: use dataset: arff');
    write('bad.csv', ['a,b,y', ...Array.from({ length: 339 }, (_, i) => `${i},${i % 4},${i % 2}`), '5,1,maybe', '6,2,1'].join('\n'));
    write('bad.yaml', `data: { dataset: csv, train: bad.csv, targets: [{ kind: binary, columns: [y] }] }\n${TRAIN}`);
    const b = await mtl(['train', 'bad.yaml', '--out', 'run-y']);
    expect(b.code, b.err).toBe(2);
    // row 339 (0-based) of the data is line 341 of the file: the header is line 1
    expect(b.err).toContain("mtl: error: bad.csv:341: task 'y', column 'y': expected 0 or 1, found 'maybe'");
    expect(fs.existsSync(path.join(tmp, 'run-y'))).toBe(false);
  });
});
