/**
 * Seeded fuzzing of the two places where users' bytes enter: the config schema and the CSV reader.
 * Properties: parseConfig either returns a config or throws a UsageError (one message, naming a setting)
 * — never another error, never a config with a non-finite number; parseCsv either returns a rectangular
 * table or throws a DataError naming the source and a line — never anything else, never a hang.
 * A few thousand cases each, seeded (mulberry32), in well under a minute.
 */
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/config/errors.js';
import { parseConfig } from '../../src/config/load.js';
import { parseCsv } from '../../src/data/csv.js';
import { DataError } from '../../src/data/errors.js';
import { mulberry32 } from '../../src/data/split.js';

type Rand = () => number;
const pick = <T>(r: Rand, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;

const KEYS = ['name', 'seed', 'data', 'tasks', 'model', 'train', 'baselines', 'limits', 'backend', 'dataset', 'epochs', 'lr', 'method', 'options', 'encoder', 'hidden', 'weighting', 'aggregator', 'mode', 'patience', '__proto__', 'constructor', 'toString', 'temprature', 'features', 'targets', 'train', 'test', 'columns', 'kind', 'type', 'onDivergence'];
const STRINGS = ['adult', 'csv', 'hps', 'mmoe', 'pcgrad', 'dwa', 'ew', 'mlp', 'cnn', 'binary', 'regression', 'x.csv', '', ' ', 'rep', 'param', 'stop', 'a'.repeat(300), '\u0000', '💥', 'constructor', '__proto__'];
const NUMBERS = [0, 1, -1, 0.5, 2, 1e300, -1e300, Number.NaN, Infinity, -Infinity, 1e-300, 3.7, 2 ** 53, -0];

function value(r: Rand, depth: number): unknown {
  const k = r();
  if (depth > 3 || k < 0.3) return pick(r, NUMBERS);
  if (k < 0.55) return pick(r, STRINGS);
  if (k < 0.62) return pick(r, [true, false, null, undefined]);
  if (k < 0.75) return Array.from({ length: Math.floor(r() * 4) }, () => value(r, depth + 1));
  return object(r, depth + 1);
}

function object(r: Rand, depth: number): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  const n = Math.floor(r() * 5);
  for (let i = 0; i < n; i++) Object.defineProperty(o, pick(r, KEYS), { value: value(r, depth), enumerable: true, configurable: true, writable: true });
  return o;
}

/** A config near a valid one, with one to three mutations, so that the fuzzer reaches deep settings. */
function nearValid(r: Rand): unknown {
  const base: Record<string, any> = {
    name: 'f', seed: 0,
    data: { dataset: pick(r, ['adult', 'energy', 'csv', 'mulan-emotions']), options: { limit: 100 } },
    model: { architecture: pick(r, ['hps', 'mmoe', 'ple', 'cross-stitch']), encoder: { type: 'mlp', hidden: [8] }, options: {} },
    train: { epochs: 2, lr: 0.01, weighting: { method: pick(r, ['ew', 'dwa', 'uw', 'gradnorm']) } },
  };
  const paths = [['seed'], ['data', 'options', 'limit'], ['model', 'encoder', 'hidden'], ['model', 'options'], ['train', 'epochs'], ['train', 'lr'], ['train', 'weighting'], ['train', 'aggregator'], ['train', 'onDivergence'], ['limits'], ['tasks'], ['data']];
  const mutations = 1 + Math.floor(r() * 3);
  for (let m = 0; m < mutations; m++) {
    const p = pick(r, paths);
    let o = base;
    for (const k of p.slice(0, -1)) {
      if (!o[k] || typeof o[k] !== 'object') o[k] = {};
      o = o[k];
    }
    o[p.at(-1)!] = r() < 0.5 ? value(r, 1) : { method: pick(r, STRINGS), ...object(r, 2) };
  }
  return base;
}

function finiteEverywhere(v: unknown): boolean {
  if (typeof v === 'number') return Number.isFinite(v);
  if (Array.isArray(v)) return v.every(finiteEverywhere);
  if (v && typeof v === 'object') return Object.values(v).every(finiteEverywhere);
  return true;
}

describe('fuzz: the config schema', () => {
  it('accepts or refuses with one UsageError, over 3,000 seeded configs', () => {
    const r = mulberry32(20261206);
    let accepted = 0;
    let refused = 0;
    for (let i = 0; i < 3000; i++) {
      const raw = i % 3 === 0 ? value(r, 0) : nearValid(r);
      try {
        const c = parseConfig(raw, 'fuzz.yaml');
        expect(finiteEverywhere(c), `case ${i}: a non-finite number was accepted`).toBe(true);
        expect(c.train.epochs).toBeGreaterThan(0);
        accepted++;
      } catch (e) {
        if (!(e instanceof UsageError)) throw new Error(`case ${i}: ${String(e)} for ${JSON.stringify(raw)?.slice(0, 300)}`);
        expect(e.message.startsWith('fuzz.yaml: invalid config\n')).toBe(true);
        expect(e.message.length).toBeLessThan(5000);
        refused++;
      }
    }
    expect(accepted + refused).toBe(3000);
    expect(accepted).toBeGreaterThan(10); // some near-valid ones do get through
    expect(refused).toBeGreaterThan(1000);
    console.log(`config fuzz: ${accepted} accepted, ${refused} refused with one message`);
  });
});

describe('fuzz: the CSV reader', () => {
  const ALPHABET = ['a', 'b', '1', '2.5', '-', ',', ';', '\t', '"', '""', '\n', '\r\n', '\r', ' ', '?', 'x y', 'é', '\u0000', 'NaN', '1e309'];

  it('returns a rectangular table or throws one DataError with a line, over 3,000 seeded files', () => {
    const r = mulberry32(7);
    let ok = 0;
    let refused = 0;
    for (let i = 0; i < 3000; i++) {
      const text = Array.from({ length: Math.floor(r() * 60) }, () => pick(r, ALPHABET)).join('');
      const options = { separator: pick(r, [',', ';', '\t', '|']), header: r() < 0.5, source: 'fuzz.csv', trim: r() < 0.3 };
      try {
        const t = parseCsv(text, options);
        const width = t.columns?.length ?? t.rows[0]?.length ?? 0;
        for (const row of t.rows) expect(row.length, `case ${i}`).toBe(width);
        ok++;
      } catch (e) {
        if (!(e instanceof DataError)) throw new Error(`case ${i}: ${String(e)} for ${JSON.stringify(text)}`);
        expect(e.file).toBe('fuzz.csv');
        expect(e.line === undefined || e.line >= 1).toBe(true);
        refused++;
      }
    }
    expect(ok + refused).toBe(3000);
    expect(ok).toBeGreaterThan(100);
    expect(refused).toBeGreaterThan(100);
    console.log(`csv fuzz: ${ok} parsed, ${refused} refused with a DataError`);
  });
});
