/**
 * Real run folders for the server, dashboard and browser tests, trained by the `mtl` command itself:
 * UCI Adult (2 binary tasks; a few thousand rows, 2 epochs), a synthetic CSV with every table task kind
 * (binary, multiclass, multilabel, 2-output regression) and a small MNIST CNN (multiclass + box).
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ADULT_COLUMNS } from '../../src/data/loaders/adult.js';
import type { RawRecord } from '../../src/data/types.js';

export const BIN = path.resolve('bin/mtl.js');
export const DATA_DIR = path.resolve('../shared/data');

export function tmpDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `mtl-${prefix}-`));
}

export interface CommandResult {
  code: number | null;
  out: string;
  err: string;
}

/** Runs `mtl <args>` to the end. */
export function mtl(args: string[], timeoutMs = 120_000): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`mtl ${args.join(' ')}: timed out\n${err}`));
    }, timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out, err });
    });
  });
}

/** Writes the config, trains, and returns the run folder (throws with the command's stderr on failure). */
export async function trainRun(dir: string, name: string, configLines: string[], extra: string[] = ['--no-stl']): Promise<string> {
  const config = path.join(dir, `${name}.yaml`);
  fs.writeFileSync(config, configLines.join('\n') + '\n');
  const out = path.join(dir, name);
  const r = await mtl(['train', config, '--out', out, '--progress', 'silent', ...extra]);
  if (r.code !== 0) throw new Error(`mtl train ${name} failed (${r.code}):\n${r.err}`);
  return out;
}

export function adultConfig(name: string, options = '{ limit: 2000, testLimit: 500 }', train = '{ epochs: 2, batchSize: 128, lr: 0.003, earlyStopping: false }'): string[] {
  return [
    `name: ${name}`,
    'seed: 0',
    `data: { dataset: adult, dir: ${JSON.stringify(DATA_DIR)}, options: ${options} }`,
    'model: { encoder: { type: mlp, hidden: [32] }, head: { hidden: [16] } }',
    `train: ${train}`,
  ];
}

/** A synthetic CSV with numeric and categorical features (some missing) and every table task kind. */
export function writeKindsCsv(dir: string, n = 600): string {
  let seed = 7;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  const colors = ['red', 'green', 'blue'];
  const lines = ['x1,x2,color,size,cls,tag_a,tag_b,price,weight,flag'];
  for (let i = 0; i < n; i++) {
    const x1 = rnd() * 4 - 2;
    const x2 = rnd() * 10;
    const color = colors[Math.floor(rnd() * 3)]!;
    const size = rnd() < 0.5 ? 'S' : 'L';
    const cls = x1 > 0.7 ? 'c' : x1 > -0.7 ? 'b' : 'a';
    const tagA = x2 > 5 ? 1 : 0;
    const tagB = color === 'red' || size === 'L' ? 1 : 0;
    const price = 100 + 20 * x1 + 3 * x2 + (color === 'blue' ? 15 : 0) + rnd() * 4;
    const weight = 2 + 0.5 * x2 + (size === 'L' ? 1 : 0);
    const flag = x1 + (color === 'green' ? 1 : 0) > 0.5 ? 'yes' : 'no';
    lines.push([i % 17 === 0 ? '?' : x1.toFixed(3), x2.toFixed(3), color, size, cls, tagA, tagB, price.toFixed(2), weight.toFixed(3), flag].join(','));
  }
  const file = path.join(dir, 'kinds.csv');
  fs.writeFileSync(file, lines.join('\n') + '\n');
  return file;
}

/**
 * A synthetic click → purchase funnel (purchase only after a click) with ID features: `user` (400
 * values, a vocabulary), `item` (60, hashed), `device` (one-hot), `price` and `history` (up to 4 item
 * ids joined by '|'). Clicks depend on user and item biases and the history, purchases on a second
 * user effect and the price; mulberry32-seeded.
 */
export function writeFunnelCsv(dir: string, n = 3000, seed = 42): string {
  let s = seed;
  const rnd = () => {
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const gauss = () => Math.sqrt(-2 * Math.log(rnd() + 1e-12)) * Math.cos(2 * Math.PI * rnd());
  const sig = (z: number) => 1 / (1 + Math.exp(-z));
  const userBias = Array.from({ length: 400 }, gauss);
  const userBuys = Array.from({ length: 400 }, gauss);
  const itemBias = Array.from({ length: 60 }, gauss);
  const lines = ['user,item,device,price,history,click,purchase'];
  for (let r = 0; r < n; r++) {
    const u = Math.floor(rnd() * 400);
    const i = Math.floor(rnd() * 60);
    const device = ['ios', 'android', 'web'][Math.floor(rnd() * 3)]!;
    const price = rnd() * 3;
    const history = Array.from({ length: Math.floor(rnd() * 5) }, () => Math.floor(rnd() * 60));
    const h = history.reduce((a, x) => a + itemBias[x]!, 0) / Math.max(1, history.length);
    const click = rnd() < sig(1.5 * userBias[u]! + itemBias[i]! - 0.5 + 0.5 * h) ? 1 : 0;
    const purchase = click && rnd() < sig(1.5 * userBuys[u]! - price + 0.5) ? 1 : 0;
    lines.push(`u${u},i${i},${device},${price.toFixed(3)},${history.map((x) => `i${x}`).join('|')},${click},${purchase}`);
  }
  const file = path.join(dir, 'funnel.csv');
  fs.writeFileSync(file, lines.join('\n') + '\n');
  return file;
}

/** ESMM (or `architecture`) on the funnel, with embedded user, item and history features. */
export function funnelConfig(csv: string, architecture = 'esmm', train = '{ epochs: 3, batchSize: 128, lr: 0.01, earlyStopping: false }'): string[] {
  return [
    `name: funnel-${architecture}`,
    'seed: 0',
    'data:',
    '  dataset: csv',
    `  train: ${JSON.stringify(csv)}`,
    '  features:',
    '    - { column: user, type: categorical, embedding: 8 }',
    '    - { column: item, type: categorical, hash: 1000, embedding: 8 }',
    '    - { column: device, type: categorical }',
    '    - { column: price, type: numeric }',
    '    - { column: history, type: ids, embedding: 8, maxLength: 4 }',
    '  targets:',
    '    - { task: click, kind: binary, columns: [click] }',
    '    - { task: purchase, kind: binary, columns: [purchase] }',
    `model: { architecture: ${architecture}, encoder: { type: mlp, hidden: [32] } }`,
    `train: ${train}`,
  ];
}

export function kindsConfig(csv: string): string[] {
  return [
    'name: kinds',
    'seed: 0',
    'data:',
    '  dataset: csv',
    `  train: ${JSON.stringify(csv)}`,
    '  testFraction: 0.2',
    '  features: [{ column: x1, type: numeric }, { column: x2, type: numeric }, { column: color, type: categorical }, { column: size, type: categorical }]',
    '  targets:',
    '    - { task: cls, kind: multiclass, columns: [cls] }',
    '    - { task: tags, kind: multilabel, columns: [tag_a, tag_b] }',
    '    - { task: amount, kind: regression, columns: [price, weight] }',
    "    - { task: flag, kind: binary, columns: [flag], positive: ['yes'], labelNames: ['no', 'yes'] }",
    'model: { encoder: { type: mlp, hidden: [32] } }',
    'train: { epochs: 3, batchSize: 64, lr: 0.01, earlyStopping: false }',
  ];
}

export function mnistConfig(): string[] {
  return [
    'name: mnist-small',
    'seed: 0',
    'data: { dataset: mnist, options: { limit: 1200, testLimit: 200 } }',
    'tasks: { digit: { weight: 1 }, box: { weight: 10 } }',
    'model:',
    '  architecture: hps',
    '  encoder: { type: cnn, conv: [{ filters: 8, kernel: 3, pool: true }, { filters: 16, kernel: 3, pool: true }], dense: [64] }',
    'train: { epochs: 1, batchSize: 64, lr: 0.003, earlyStopping: false }',
  ];
}

/** Raw adult.test records: the model's feature columns only, and the two label columns apart. */
export function adultTestRecords(count: number, offset = 0): { rows: RawRecord[]; labels: { income: string; marital: string }[] } {
  const text = fs.readFileSync(path.join(DATA_DIR, 'adult', 'adult.test'), 'utf8');
  const lines = text.split('\n').filter((l) => l.trim() && !l.startsWith('|')).slice(offset, offset + count);
  const numeric = new Set(['age', 'fnlwgt', 'education-num', 'capital-gain', 'capital-loss', 'hours-per-week']);
  const rows: RawRecord[] = [];
  const labels: { income: string; marital: string }[] = [];
  for (const line of lines) {
    const cells = line.split(',').map((c) => c.trim());
    const rec: RawRecord = {};
    ADULT_COLUMNS.forEach((c, j) => {
      if (c === 'income' || c === 'marital-status') return;
      const v = cells[j]!;
      // As a JSON client would send them: numbers as numbers, '?' as null.
      rec[c] = v === '?' ? null : numeric.has(c) ? Number(v) : v;
    });
    rows.push(rec);
    labels.push({ income: cells[14]!.replace(/\.$/, ''), marital: cells[5]! });
  }
  return { rows, labels };
}
