import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mtl-cli-'));
const bin = path.resolve('bin/mtl.js');

function mtl(...args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', env: { ...process.env, MTL_BACKEND: 'cpu' } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

function writeConfig(name: string, text: string): string {
  const file = path.join(tmp, name);
  fs.writeFileSync(file, text);
  return file;
}

/** A config error: exit code 2, one message naming the problem, no stack trace. */
function expectUsageError(r: ReturnType<typeof mtl>, ...needles: string[]) {
  expect(r.code).toBe(2);
  for (const n of needles) expect(r.err).toContain(n);
  expect(r.err).not.toMatch(/\n\s+at /);
}

describe('mtl CLI: config errors', () => {
  it('--help lists every command', () => {
    const r = mtl('--help');
    expect(r.code).toBe(0);
    for (const c of ['train', 'eval']) expect(r.out).toMatch(new RegExp(`^\\s+${c}\\b`, 'm'));
  });

  it('a missing config file', () => {
    expectUsageError(mtl('train', path.join(tmp, 'nope.yaml')), 'config file not found');
  });

  it('an unknown task kind', () => {
    const csv = path.join(tmp, 'd.csv');
    fs.writeFileSync(csv, 'a,b\n1,0\n2,1\n');
    const f = writeConfig('kind.yaml', `data:\n  dataset: csv\n  train: d.csv\n  features: [{column: a, type: numeric}]\n  targets: [{task: t, kind: ranking, columns: [b]}]\n`);
    expectUsageError(mtl('train', f), 'unknown task kind "ranking"');
  });

  it('an unknown method', () => {
    const f = writeConfig('method.yaml', 'data: {dataset: adult}\ntrain: {weighting: {method: magic}}\n');
    expectUsageError(mtl('train', f), 'train.weighting.method', 'unknown weighting method "magic"');
  });

  it('an unknown architecture and a misspelt key', () => {
    const f = writeConfig('arch.yaml', 'data: {dataset: adult}\nmodel: {architecture: transformer}\ntrain: {epoch: 3}\n');
    const r = mtl('train', f);
    expectUsageError(r, 'unknown architecture "transformer"', 'epoch');
  });

  it('a misspelt method option names the key, the method and the allowed keys', () => {
    const f = writeConfig('option.yaml', 'data: {dataset: adult}\ntrain: {weighting: {method: dwa, temprature: 5}, aggregator: {method: cagrad, cc: 0.9}}\n');
    expectUsageError(mtl('train', f),
      'train.weighting: weighting "dwa": unknown option "temprature" (allowed: temperature)',
      'train.aggregator: aggregator "cagrad": unknown option "cc" (allowed: c, mode)');
  });

  it('a bad number', () => {
    const f = writeConfig('num.json', JSON.stringify({ data: { dataset: 'adult' }, train: { lr: -0.1, batchSize: 2.5 } }));
    expectUsageError(mtl('train', f), 'train.lr', 'train.batchSize');
  });

  it('a missing data file', () => {
    const f = writeConfig('nofile.yaml', 'data:\n  dataset: csv\n  train: missing.csv\n  features: [{column: a, type: numeric}]\n  targets: [{task: t, kind: binary, columns: [b]}]\n');
    expectUsageError(mtl('train', f), 'data file not found', 'missing.csv');
  });

  it('a malformed data file names the file and line', () => {
    fs.writeFileSync(path.join(tmp, 'bad.csv'), 'a,b\n1,0\n2\n');
    const f = writeConfig('bad.yaml', 'data:\n  dataset: csv\n  train: bad.csv\n  features: [{column: a, type: numeric}]\n  targets: [{task: t, kind: binary, columns: [b]}]\n');
    expectUsageError(mtl('train', f), 'bad.csv:3');
  });

  it('unparseable YAML', () => {
    expectUsageError(mtl('train', writeConfig('broken.yaml', 'data: [unclosed\n')), 'broken.yaml', 'cannot parse');
  });
});
