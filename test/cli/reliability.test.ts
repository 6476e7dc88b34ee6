/**
 * Regression tests of "never lose a user's work, never accept what is wrong", through the real `mtl`
 * command: each case is a mistake a user makes (a bad config or flag, a malformed or degenerate data
 * file, a model far too big, --overwrite / --resume pointed at the wrong thing). Every one must end with
 * exit 2 and one clear message, and leave every file the user had exactly as it was.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runMtl, type MtlResult } from '../helpers/cli.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mtl-reliability-'));

function mtl(args: string[], cwd = tmp): Promise<MtlResult> {
  return runMtl(args, { cwd, env: { ...process.env, MTL_PROGRESS: 'silent' } });
}

/** sha256 of every file under `dir` (path → hash): equal before and after = nothing lost or changed. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of fs.readdirSync(dir, { recursive: true }).map(String).sort()) {
    const p = path.join(dir, f);
    if (fs.statSync(p).isFile()) out[f] = createHash('sha256').update(fs.readFileSync(p)).digest('hex');
  }
  return out;
}

const write = (name: string, text: string) => {
  const p = path.join(tmp, name);
  fs.mkdirSync(path.dirname(p), { recursive: true });
  fs.writeFileSync(p, text);
  return p;
};

const GOOD_ROWS = Array.from({ length: 40 }, (_, i) => `${20 + i},${['a', 'b', 'c'][i % 3]},${i % 2},${(i * 0.37) % 5}`);
const csv = (rows: string[], header = 'age,city,y,z') => [header, ...rows].join('\n') + '\n';

/** A config over `file`; `extra` lines are YAML appended at the top level (or replace keys of train). */
function config(name: string, file: string, opts: { features?: string; targets?: string; train?: string; model?: string; extra?: string; separator?: string } = {}): string {
  return write(`${name}.yaml`, [
    `name: ${name}`,
    'seed: 0',
    `data: { dataset: csv, train: ${file}, testFraction: 0.25, separator: '${opts.separator ?? ','}',`,
    `  features: ${opts.features ?? '[{column: age, type: numeric}, {column: city, type: categorical}]'},`,
    `  targets: ${opts.targets ?? '[{task: y, kind: binary, columns: [y]}, {task: z, kind: regression, columns: [z]}]'} }`,
    `model: ${opts.model ?? '{ encoder: { type: mlp, hidden: [4] } }'}`,
    `train: ${opts.train ?? '{ epochs: 1, batchSize: 8, earlyStopping: false }'}`,
    'baselines: { stl: false }',
    opts.extra ?? '',
  ].join('\n'));
}

beforeAll(() => {
  write('good.csv', csv(GOOD_ROWS));
  config('good', 'good.csv');
});

describe('nothing a user owns is deleted or overwritten', () => {
  let thesis: string;
  let before: Record<string, string>;
  beforeAll(() => {
    thesis = path.join(tmp, 'thesis');
    fs.mkdirSync(path.join(thesis, 'chapters'), { recursive: true });
    fs.writeFileSync(path.join(thesis, 'chapters', 'one.tex'), '\\chapter{One}\n');
    fs.writeFileSync(path.join(thesis, 'notes.md'), 'precious\n');
    before = snapshot(thesis);
  });

  it('--overwrite with a config naming a missing CSV: exit 2, the folder untouched', async () => {
    const bad = config('missing-csv', 'nowhere.csv');
    const r = await mtl(['train', bad, '--out', thesis, '--overwrite']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/data file not found: .*nowhere\.csv/);
    expect(snapshot(thesis)).toEqual(before);
  });

  it('--overwrite with a good config on a folder that is not an mtljs run: refused, untouched', async () => {
    const r = await mtl(['train', path.join(tmp, 'good.yaml'), '--out', thesis, '--overwrite']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/thesis exists and is not an mtljs run folder: nothing was changed.*--overwrite only replaces mtljs runs/);
    expect(snapshot(thesis)).toEqual(before);
  });

  it('a new run into a non-empty folder that is not a run: refused, untouched', async () => {
    const r = await mtl(['train', path.join(tmp, 'good.yaml'), '--out', thesis]);
    expect(r.code).toBe(2);
    expect(snapshot(thesis)).toEqual(before);
  });

  describe('a finished run', () => {
    const run = path.join(tmp, 'finished-run');
    let runBefore: Record<string, string>;
    beforeAll(async () => {
      const r = await mtl(['train', path.join(tmp, 'good.yaml'), '--out', run]);
      expect(r.code, r.err).toBe(0);
      runBefore = snapshot(run);
      expect(Object.keys(runBefore)).toEqual(expect.arrayContaining(['run.json', 'config.json', 'report.json', 'model/weights.bin']));
    }, 120_000);

    it('--overwrite with a task-name typo: exit 2, the run untouched', async () => {
      const typo = config('typo', 'good.csv', { extra: 'tasks: { yy: { weight: 1 } }' });
      const r = await mtl(['train', typo, '--out', run, '--overwrite']);
      expect(r.code).toBe(2);
      expect(r.err).toMatch(/unknown task\(s\) yy/);
      expect(snapshot(run)).toEqual(runBefore);
    });

    it('a new run into it without --overwrite or --resume: refused', async () => {
      const r = await mtl(['train', path.join(tmp, 'good.yaml'), '--out', run]);
      expect(r.code).toBe(2);
      expect(r.err).toMatch(/already holds a run: pass --resume to continue it, --overwrite to replace it/);
      expect(snapshot(run)).toEqual(runBefore);
    });

    it('--resume with a changed config: refused naming the keys; config.json untouched', async () => {
      const changed = config('good', 'good.csv', { train: '{ epochs: 1, batchSize: 16, lr: 0.01, earlyStopping: false }' });
      const r = await mtl(['train', changed, '--out', run, '--resume']);
      expect(r.code).toBe(2);
      expect(r.err).toMatch(/differs from the run's stored config/);
      expect(r.err).toMatch(/train\.batchSize: 8 → 16/);
      expect(r.err).toMatch(/train\.lr: 0\.001 → 0\.01/);
      expect(snapshot(run)).toEqual(runBefore);
    });

    it('--resume whose data file is missing: exit 2, config.json untouched', async () => {
      const r = await mtl(['train', config('good-missing', 'gone.csv'), '--out', run, '--resume']);
      expect(r.code).toBe(2);
      expect(snapshot(run)).toEqual(runBefore);
    });

    it('--resume --allow-changes: continues and records the changes', async () => {
      const changed = config('good', 'good.csv', { train: '{ epochs: 2, batchSize: 8, earlyStopping: false }' });
      const r = await mtl(['train', changed, '--out', run, '--resume', '--allow-changes']);
      expect(r.code, r.err).toBe(0);
      const log = fs.readFileSync(path.join(run, 'changes.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
      expect(log).toHaveLength(1);
      expect(log[0].changes).toEqual(['train.epochs: 1 → 2']);
      expect(JSON.parse(fs.readFileSync(path.join(run, 'config.json'), 'utf8')).train.epochs).toBe(2);
    });
  });
});

describe('every mistake is refused with one clear message and exit 2', () => {
  beforeAll(() => {
    write('nonnum.csv', csv([...GOOD_ROWS.slice(0, 10), '40,b,0,x', ...GOOD_ROWS.slice(10)]));
    write('semi.csv', csv(GOOD_ROWS.map((r) => r.replaceAll(',', ';')), 'age;city;y;z'));
    write('nohead.csv', GOOD_ROWS.join('\n') + '\n');
    write('inf.csv', csv([...GOOD_ROWS, 'Infinity,a,1,2']));
    write('label2.csv', csv([...GOOD_ROWS, '30,a,2,2']));
    write('empty.csv', 'age,city,y,z\n');
    write('one.csv', csv(GOOD_ROWS.slice(0, 1)));
    write('nolabel.csv', csv(GOOD_ROWS.map((r) => r.replace(/,[01],/, ',,'))));
    write('oneclass.csv', csv(GOOD_ROWS.map((r) => r.replace(/,[01],/, ',1,'))));
    write('huge.csv', csv([...GOOD_ROWS, '1e300,a,1,2']));
    write('ids.csv', csv(Array.from({ length: 50_000 }, (_, i) => `${i % 90},u${i},${i % 2},${i % 5}`), 'age,user_id,y,z'));
    fs.mkdirSync(path.join(tmp, 'a-folder'), { recursive: true });
    fs.writeFileSync(path.join(tmp, 'binary.yaml'), Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0x02, 0x01, 0x01, 0x00, 0xff, 0xfe]));
  });

  const cases: { name: string; args: () => string[]; message: RegExp }[] = [
    { name: '--epochs abc', args: () => ['train', 'good.yaml', '--epochs', 'abc'], message: /--epochs: expected a positive integer, got 'abc'/ },
    { name: '--epochs 0', args: () => ['train', 'good.yaml', '--epochs', '0'], message: /--epochs: expected a positive integer, got '0'/ },
    { name: '--epochs -3', args: () => ['train', 'good.yaml', '--epochs=-3'], message: /--epochs: expected a positive integer, got '-3'/ },
    { name: '--epochs 1.5', args: () => ['train', 'good.yaml', '--epochs', '1.5'], message: /--epochs: expected a positive integer, got '1\.5'/ },
    { name: '--progress foo', args: () => ['train', 'good.yaml', '--progress', 'foo'], message: /--progress: expected one of auto, bar, lines, silent, got 'foo'/ },
    { name: '--backend foo', args: () => ['train', 'good.yaml', '--backend', 'foo'], message: /--backend: expected one of wasm, cpu, tensorflow, got 'foo'/ },
    { name: 'a folder as config', args: () => ['train', 'a-folder'], message: /a-folder is a folder, not a config file/ },
    { name: 'a binary file as config', args: () => ['train', 'binary.yaml'], message: /binary\.yaml: not a text file/ },
    { name: 'an unknown column', args: () => [config('unknown-col', 'good.csv', { features: '[{column: town, type: categorical}]' })], message: /good\.csv: feature: unknown column 'town'/ },
    { name: 'a non-numeric cell', args: () => [config('nonnum', 'nonnum.csv')], message: /nonnum\.csv:12: task 'z', column 'z': expected a number, found 'x'/ },
    { name: 'the wrong separator', args: () => [config('semi', 'semi.csv')], message: /semi\.csv: .*is the separator ';'\?/ },
    { name: 'no header row', args: () => [config('nohead', 'nohead.csv')], message: /nohead\.csv(:1)?: .*the first row looks like data, not a header/ },
    { name: 'Infinity in a feature', args: () => [config('inf', 'inf.csv')], message: /inf\.csv:42: column 'age': not a number: 'Infinity'/ },
    { name: 'a binary label that is not 0/1', args: () => [config('label2', 'label2.csv')], message: /label2\.csv:42: task 'y', column 'y': expected 0 or 1, found '2'/ },
    { name: '0 training rows', args: () => [config('empty', 'empty.csv')], message: /the training split has no rows|no rows/ },
    { name: '1 training row', args: () => [config('one', 'one.csv', { extra: '' }), '--no-stl'], message: /1 row|no rows/ },
    { name: 'an all-missing target', args: () => [config('nolabel', 'nolabel.csv')], message: /task 'y': no training row has a label/ },
    { name: 'a one-class target', args: () => [config('oneclass', 'oneclass.csv')], message: /task 'y': every training label is the same class/ },
    { name: 'a feature of 1e300', args: () => [config('huge', 'huge.csv')], message: /feature 'age', (training|test) row \d+: encodes to Infinity/ },
    { name: 'a 50,000-value categorical column', args: () => [config('ids', 'ids.csv', { features: '[{column: age, type: numeric}, {column: user_id, type: categorical}]' })], message: /over the limit of 20,000; the widest categorical columns: 'user_id' \(\d{2},\d{3} categories\)/ },
    { name: 'a layer of ten million units', args: () => [config('wide', 'good.csv', { model: '{ encoder: { type: mlp, hidden: [10000000] } }' })], message: /about [\d,]+ parameters, over limits\.maxParameters \(50,000,000\); the largest layer is encoder layer 1 \(4 → 10000000\)/ },
    { name: 'momentum with adam', args: () => [config('mom', 'good.csv', { train: '{ epochs: 1, optimizer: adam, momentum: 0.9, earlyStopping: false }' })], message: /train\.momentum is only used by optimizer: momentum/ },
    { name: 'loss: mse on a binary task', args: () => [config('mse', 'good.csv', { extra: 'tasks: { y: { loss: mse }, z: {} }' })], message: /tasks\.y\.loss: mse applies to regression tasks; 'y' is binary/ },
    { name: 'early stopping without a validation split', args: () => [config('es', 'good.csv', { train: '{ epochs: 1, validationSplit: 0, earlyStopping: { patience: 2 } }' })], message: /train\.earlyStopping needs a validation split/ },
    { name: 'a misspelt method option', args: () => [config('typo-opt', 'good.csv', { train: '{ epochs: 1, earlyStopping: false, weighting: { method: dwa, temprature: 5 } }' })], message: /weighting "dwa": unknown option "temprature" \(allowed: temperature\)/ },
  ];

  for (const c of cases) {
    it(c.name, async () => {
      const args = c.args();
      const full = args[0] === 'train' ? args : ['train', ...args];
      const out = path.join(tmp, `out-${c.name.replace(/[^a-z0-9]+/gi, '-')}`);
      const r = await mtl([...full, '--out', out]);
      expect(r.code, r.err).toBe(2);
      const lines = r.err.split('\n').filter((l) => l.startsWith('mtl: error:'));
      expect(lines, r.err).toHaveLength(1);
      expect(r.err).toMatch(c.message);
      expect(r.err).not.toMatch(/\n\s+at /); // no stack trace
      expect(fs.existsSync(out), 'nothing written for a refused run').toBe(false);
    });
  }
});

describe('divergence is detected, and the last good checkpoint kept', () => {
  it('lr 1e6 with SGD: exit 2 naming the divergence; nothing saved as a finished model', async () => {
    const cfg = config('diverge', 'good.csv', { train: '{ epochs: 3, batchSize: 8, optimizer: sgd, lr: 1000000, earlyStopping: false }' });
    const out = path.join(tmp, 'diverged');
    const r = await mtl(['train', cfg, '--out', out]);
    expect(r.code, r.err).toBe(2);
    expect(r.err).toMatch(/training diverged at mtl:hps, epoch 1, step \d+: (the loss of task '(y|z)' is (NaN|Infinity)|the loss exploded)/);
    expect(r.err).toMatch(/lower train\.lr, or set train\.onDivergence: skip-batch \| reduce-lr/);
    expect(fs.existsSync(path.join(out, 'model'))).toBe(false);
    expect(fs.existsSync(path.join(out, 'report.json'))).toBe(false);
  });

  it('a run that diverges after a good epoch keeps that epoch\'s checkpoint byte for byte', async () => {
    const out = path.join(tmp, 'diverge-later');
    const first = await mtl(['train', config('later', 'good.csv', { train: '{ epochs: 1, batchSize: 8, optimizer: sgd, lr: 0.01, earlyStopping: false }' }), '--out', out]);
    expect(first.code, first.err).toBe(0);
    const checkpoint = snapshot(path.join(out, 'checkpoint'));
    const r = await mtl(['train', config('later', 'good.csv', { train: '{ epochs: 3, batchSize: 8, optimizer: sgd, lr: 1000000, earlyStopping: false }' }), '--out', out, '--resume', '--allow-changes']);
    expect(r.code, r.err).toBe(2);
    expect(r.err).toMatch(/training diverged at mtl:hps, epoch 2/);
    expect(snapshot(path.join(out, 'checkpoint'))).toEqual(checkpoint);
  });

  it('onDivergence: reduce-lr skips the diverged batches, halves the lr, and finishes with finite weights', async () => {
    const cfg = config('reduce', 'good.csv', { train: '{ epochs: 2, batchSize: 8, optimizer: sgd, lr: 1000000, earlyStopping: false, onDivergence: reduce-lr }' });
    const out = path.join(tmp, 'reduced');
    const r = await mtl(['train', cfg, '--out', out]);
    expect(r.code, r.err).toBe(0);
    const history = fs.readFileSync(path.join(out, 'history.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(history[0].skippedBatches).toBeGreaterThan(0);
    expect(history.every((h: { train: Record<string, { loss: number }> }) => Object.values(h.train).every((t) => Number.isFinite(t.loss)))).toBe(true);
    const bytes = fs.readFileSync(path.join(out, 'model/weights.bin'));
    const weights = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4);
    expect(weights.every((v) => Number.isFinite(v))).toBe(true);
  });
});
