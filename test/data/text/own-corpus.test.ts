/**
 * A sentence-classification + token-tagging corpus of the user's own (`data: { dataset: sequence }`):
 * SNIPS converted to CoNLL files, and copied as seq.in/seq.out/label folders under another name, must
 * load through the config path as exactly the built-in snips dataset; unknown dev/test labels are an
 * error naming file and line, or skipped, or mapped; and `mtl train` on the CoNLL copy gives the same
 * numbers as on the built-in dataset.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfigDataset } from '../../../src/config/dataset.js';
import { parseConfig } from '../../../src/config/load.js';
import { DataError } from '../../../src/data/errors.js';
import { loadSnips } from '../../../src/data/loaders/snips.js';
import { loadSequenceCorpus, orderTags, parseConll, UNKNOWN_CLASS } from '../../../src/data/loaders/sequence-corpus.js';
import type { Dataset } from '../../../src/data/types.js';
import type { TextSplit } from '../../../src/data/text/state.js';
import { formatAgentReport, runAgent } from '../../../src/run/agent.js';
import { DEFAULT_TEXT_SETTINGS } from '../../../src/run/text.js';
import { initBackend } from '../../../src/engine/backend.js';
import { runMtl, type MtlResult } from '../../helpers/cli.js';

const SHARED = path.resolve('../shared/data');
const SNIPS = path.join(SHARED, 'snips');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mtl-own-corpus-'));

/** The conversion script: SNIPS's seq.in / seq.out / label → CoNLL files with `# intent = X` before each sentence. */
function snipsToConll(src: string, out: string): void {
  fs.mkdirSync(out, { recursive: true });
  for (const split of ['train', 'dev', 'test']) {
    const read = (f: string) => fs.readFileSync(path.join(src, split, f), 'utf8').replace(/\n$/, '').split('\n');
    const words = read('seq.in'), tags = read('seq.out'), intents = read('label');
    const blocks = words.map((line, i) => {
      const w = line.trim().split(/\s+/), t = tags[i]!.trim().split(/\s+/);
      return [`# intent = ${intents[i]!.trim()}`, ...w.map((x, j) => `${x}\t${t[j]}`)].join('\n');
    });
    fs.writeFileSync(path.join(out, `${split}.conll`), blocks.join('\n\n') + '\n');
  }
}

function copySeqFolder(src: string, out: string): void {
  for (const split of ['train', 'dev', 'test']) {
    fs.mkdirSync(path.join(out, split), { recursive: true });
    for (const f of ['seq.in', 'seq.out', 'label']) fs.copyFileSync(path.join(src, split, f), path.join(out, split, f));
  }
}

const write = (rel: string, text: string) => {
  const p = path.join(tmp, rel);
  fs.mkdirSync(path.dirname(p), { recursive: true });
  fs.writeFileSync(p, text);
  return p;
};

function fromConfig(data: Record<string, unknown>): Promise<TextSplit> {
  return loadConfigDataset(parseConfig({ name: 'own', data }, 'test.yaml'), tmp) as Promise<TextSplit>;
}

/** Everything of a dataset but its name, comparable with toEqual (NaN = NaN). */
const content = (d: Dataset) => ({ n: d.n, inputShape: d.inputShape, x: Array.from(d.x), tasks: d.tasks, labels: Object.fromEntries(Object.entries(d.labels).map(([k, v]) => [k, Array.from(v)])) });

function expectSameAsSnips(a: TextSplit, snips: TextSplit): void {
  for (const part of ['train', 'dev', 'test'] as const) expect(content(a[part]!), part).toEqual(content(snips[part]!));
  expect({ ...a.text, sources: [] }).toEqual({ ...snips.text, sources: [] });
}

let snips: TextSplit;
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
beforeAll(async () => {
  snipsToConll(SNIPS, path.join(tmp, 'snips-conll'));
  copySeqFolder(SNIPS, path.join(tmp, 'my-assistant'));
  snips = await loadSnips({ dataDir: SHARED });
});

describe('a corpus of your own, through the config', () => {
  it('CoNLL files with # intent = X lines give exactly the built-in snips dataset (sentences, tags, intents, vocabulary)', async () => {
    const split = await fromConfig({ dataset: 'sequence', format: 'conll', dir: 'snips-conll', train: 'train.conll', dev: 'dev.conll', test: 'test.conll' });
    expectSameAsSnips(split, snips);
    expect(split.train.name).toBe('snips-conll-train');
    expect(split.text.sources).toEqual(['snips-conll/train']);
    expect(split.train.tasks.map((t) => [t.name, t.kind, t.outputSize])).toEqual([['intent', 'multiclass', 7], ['slots', 'sequence', 72]]);
    // the same with limits
    const small = await fromConfig({ dataset: 'sequence', format: 'conll', train: 'snips-conll/train.conll', test: 'snips-conll/test.conll', options: { limit: 400, testLimit: 100 } });
    const ref = await loadSnips({ dataDir: SHARED, limit: 400, testLimit: 100 });
    expect(content(small.train)).toEqual(content(ref.train));
    expect(content(small.test)).toEqual(content(ref.test));
    expect(small.dev).toBeUndefined();
    expect(small.text.vocabulary).toEqual(ref.text.vocabulary);
  });

  it('the seq.in / seq.out / label folders load from any folder, named by it', async () => {
    const split = await fromConfig({ dataset: 'sequence', format: 'seq', dir: 'my-assistant' });
    expectSameAsSnips(split, snips);
    expect([split.train.name, split.dev!.name, split.test.name]).toEqual(['my-assistant-train', 'my-assistant-dev', 'my-assistant-test']);
    expect(split.text.sources).toEqual(['my-assistant/train']);
    const renamed = await fromConfig({ dataset: 'sequence', format: 'seq', dir: 'my-assistant', name: 'assistant', labelTask: 'label', tagTask: 'tags', options: { limit: 50 } });
    expect(renamed.train.name).toBe('assistant-train');
    expect(renamed.train.tasks.map((t) => t.name)).toEqual(['label', 'tags']);
    expect(renamed.train.n).toBe(50);
  });

  it('a seq folder without dev/ and without label files: the tag task alone', async () => {
    for (const split of ['train', 'test']) {
      write(`tags-only/${split}/seq.in`, 'book a table\nplay jazz\n');
      write(`tags-only/${split}/seq.out`, 'O O B-thing\nO B-genre\n');
    }
    const split = await fromConfig({ dataset: 'sequence', format: 'seq', dir: 'tags-only' });
    expect(split.dev).toBeUndefined();
    expect(split.train.tasks.map((t) => t.name)).toEqual(['slots']);
    expect(split.train.tasks[0]!.labelNames).toEqual(['O', 'B-genre', 'B-thing']);
  });

  it('config mistakes are named', () => {
    const bad = (data: Record<string, unknown>) => () => parseConfig({ data }, 'c.yaml');
    expect(bad({ dataset: 'sequence', format: 'seq' })).toThrow(/data\.dir: format seq reads the folder in dir/);
    expect(bad({ dataset: 'sequence', format: 'conll', train: 'a' })).toThrow(/data\.test: format conll needs the test file/);
    expect(bad({ dataset: 'sequence', format: 'seq', dir: 'x', train: 'a' })).toThrow(/data\.train: train goes with format conll/);
    expect(bad({ dataset: 'sequence', format: 'json', dir: 'x' })).toThrow(/unknown format "json"/);
    expect(bad({ dataset: 'sequence', format: 'seq', dir: 'x', unknownLabel: 'drop' })).toThrow(/choose error, skip or map/);
    expect(bad({ dataset: 'sequence', format: 'seq', dir: 'x', labelTask: 'a', tagTask: 'a' })).toThrow(/different names/);
    expect(bad({ dataset: 'sequence', format: 'seq', dir: 'x', trian: 'a' })).toThrow(/unknown key "trian"/);
  });
});

describe('unknownLabel: labels of dev/test that training never saw', () => {
  const TRAIN = [
    '# intent = Play', 'play O', 'jazz B-genre', '',
    '# intent = Book', 'book O', 'a O', 'table B-thing', 'for O', 'two B-count', '',
    '# intent = Play', 'play O', 'some O', 'hip B-genre', 'hop I-genre', '',
  ].join('\n');
  // line 5: an unknown intent; line 9: an unknown tag
  const DEV = [
    '# intent = Play', 'play O', 'rock B-genre', '',
    '# intent = Weather', 'rain O', 'today B-date', '',
    '# intent = Book', 'book O', 'a O', 'room B-place', '',
    '# intent = Play', 'play O', 'jazz B-genre', '',
  ].join('\n');
  const files = (dev: string) => ({ dataset: 'sequence', format: 'conll', dir: 'unknown', train: 'train.conll', dev, test: 'train.conll' });
  beforeAll(() => {
    write('unknown/train.conll', TRAIN);
    write('unknown/dev.conll', DEV);
    write('unknown/dev-tag.conll', DEV.split('\n').slice(8).join('\n'));
  });

  it('error (default): one DataError naming the file, the 1-based line and the label', async () => {
    const e = await fromConfig(files('dev.conll')).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(DataError);
    expect((e as DataError).file).toBe(path.join(tmp, 'unknown', 'dev.conll'));
    expect((e as DataError).line).toBe(5);
    expect((e as DataError).message).toMatch(/dev\.conll:5: unknown sentence label 'Weather'/);
    const t = await fromConfig(files('dev-tag.conll')).catch((x: unknown) => x) as DataError;
    expect(t).toBeInstanceOf(DataError);
    expect([t.line, t.detail.slice(0, 23)]).toEqual([4, "unknown tag 'B-place' ("]);
  });

  it('error in the seq layout names the label file or seq.out and the line', async () => {
    for (const split of ['train', 'test']) {
      write(`seq-unknown/${split}/seq.in`, 'play jazz\nbook a table\n');
      write(`seq-unknown/${split}/seq.out`, 'O B-genre\nO O B-thing\n');
      write(`seq-unknown/${split}/label`, 'Play\nBook\n');
    }
    write('seq-unknown/dev/seq.in', 'play jazz\nbook a table\n');
    write('seq-unknown/dev/seq.out', 'O B-genre\nO O B-room\n');
    write('seq-unknown/dev/label', 'Play\nBook\n');
    await expect(fromConfig({ dataset: 'sequence', format: 'seq', dir: 'seq-unknown' })).rejects.toThrow(/seq-unknown\/dev\/seq\.out:2: unknown tag 'B-room'/);
    write('seq-unknown/dev/label', 'Play\nEat\n');
    await expect(fromConfig({ dataset: 'sequence', format: 'seq', dir: 'seq-unknown' })).rejects.toThrow(/seq-unknown\/dev\/label:2: unknown sentence label 'Eat'/);
  });

  it('skip: the sentence is dropped', async () => {
    const split = await fromConfig({ ...files('dev.conll'), unknownLabel: 'skip' });
    expect(split.dev!.n).toBe(2);
    const intents = split.dev!.tasks[0]!.labelNames!;
    expect(intents).toEqual(['Book', 'Play']);
    expect(Array.from(split.dev!.labels.intent!).map((k) => intents[k])).toEqual(['Play', 'Play']);
    expect(split.test.n).toBe(3);
  });

  it('map: an unknown label becomes the class UNK (added last), an unknown tag becomes O', async () => {
    const split = await fromConfig({ ...files('dev.conll'), unknownLabel: 'map' });
    expect(split.dev!.n).toBe(4);
    const [intent, slots] = split.train.tasks;
    expect(intent!.labelNames).toEqual(['Book', 'Play', UNKNOWN_CLASS]);
    expect(slots!.labelNames).toEqual(['O', 'B-count', 'B-genre', 'I-genre', 'B-thing']);
    expect(Array.from(split.dev!.labels.intent!).map((k) => intent!.labelNames![k])).toEqual(['Play', UNKNOWN_CLASS, 'Book', 'Play']);
    const L = split.train.inputShape[0]!;
    const tags = (i: number, n: number) => Array.from(split.dev!.labels.slots!.subarray(i * L, i * L + n)).map((k) => slots!.labelNames![k]);
    expect(tags(1, 2)).toEqual(['O', 'O']); // B-date → O
    expect(tags(2, 3)).toEqual(['O', 'O', 'O']); // B-place → O
    expect(tags(0, 2)).toEqual(['O', 'B-genre']);
  });
});

describe('the CoNLL reader', () => {
  it('reads comments, label lines, extra columns and -DOCSTART-; refuses what is ambiguous', () => {
    const raw = parseConll('\uFEFF-DOCSTART- -X- -X- O\n\n# sent_id = 1\n# label = greet\nHello NNP B-NP O\n# NN I-NP O\r\n\n\n# intent = ask\nwhy O\n', 'f.conll');
    expect(raw.tokens).toEqual([['Hello', '#'], ['why']]);
    expect(raw.tags).toEqual([['O', 'O'], ['O']]);
    expect(raw.labels).toEqual(['greet', 'ask']);
    expect(raw.labelLines).toEqual([4, 9]);
    expect(raw.tagLines).toEqual([[5, 6], [10]]);
    expect(() => parseConll('# label = a\nx O\n# label = b\ny O\n', 'f')).toThrow(/f:3: .*a blank line must end the sentence/);
    expect(() => parseConll('# label = a\nx O\n\ny O\n', 'f')).toThrow(/f:4: sentence 2 has no '# label = …' line/);
    expect(() => parseConll('x O\nlonely\n', 'f')).toThrow(/f:2: expected a token and its tag/);
    expect(() => parseConll('# label = a\n# label = b\nx O\n', 'f')).toThrow(/f:2: a second label/);
    expect(() => parseConll('# label = a\n\nx O\n', 'f')).toThrow(/f:1: label 'a' with no sentence/);
    expect(() => parseConll('# just a comment\n\n', 'f')).toThrow(/f: no sentences/);
    expect(() => loadSequenceCorpus({ format: 'conll', train: path.join(tmp, 'nope.conll'), test: path.join(tmp, 'nope.conll') })).toThrow(/nope\.conll: file not found/);
  });

  it('orders tags: O, then by type, B before I', () => {
    expect(orderTags(['I-b', 'B-b', 'O', 'B-a', 'E-a', 'S-a', 'PER'])).toEqual(['O', 'PER', 'B-a', 'E-a', 'S-a', 'B-b', 'I-b']);
  });
});

describe('the agent on a corpus of your own', () => {
  it('trains joint and single-task models on it and titles the report with its name', async () => {
    await initBackend('wasm');
    const corpus = await fromConfig({ dataset: 'sequence', format: 'conll', dir: 'snips-conll', train: 'train.conll', dev: 'dev.conll', test: 'test.conll', name: 'home-assistant', options: { limit: 64, testLimit: 32 } });
    const out = path.join(tmp, 'agent');
    const report = await runAgent({
      outDir: out, corpus: { name: 'home-assistant', split: { ...corpus, dev: undefined } },
      settings: { ...DEFAULT_TEXT_SETTINGS, epochs: 1, encoder: { type: 'bigru', dim: 8, units: 4 }, progress: 'silent' },
    });
    expect(report.rows.map((r) => r.model)).toEqual(['joint: intent + slots (one model)', 'single-task: intent', 'single-task: slots', 'two single-task models together']);
    expect(Object.keys(report.data)).toEqual(['home-assistant']);
    const md = formatAgentReport(report);
    expect(md).toMatch(/^home-assistant test set \(32 utterances\)/);
    expect(md).not.toMatch(/SNIPS/i);
    expect(fs.existsSync(path.join(out, 'home-assistant', 'model', 'text.json'))).toBe(true);
    expect(JSON.parse(fs.readFileSync(path.join(out, 'home-assistant', 'model', 'manifest.json'), 'utf8')).dataset.name).toBe('home-assistant');
  });
});

function mtl(args: string[]): Promise<MtlResult> {
  return runMtl(args, { cwd: tmp, env: { ...process.env, MTL_PROGRESS: 'silent' } });
}

describe('mtl train (text-hps) on the CoNLL copy', () => {
  it('gives the numbers of the built-in snips dataset (same data, same seed), and mtl predict reads the run', async () => {
    const config = (name: string, data: string) => write(`${name}.yaml`, [
      `name: ${name}`, 'seed: 0', `data: ${data}`, 'model: { architecture: text-hps }',
      'train: { epochs: 2, batchSize: 32, lr: 0.005 }', 'baselines: { stl: false }',
    ].join('\n'));
    const own = config('own-conll', '{ dataset: sequence, format: conll, dir: snips-conll, train: train.conll, dev: dev.conll, test: test.conll, options: { limit: 400 } }');
    const builtIn = config('builtin-snips', `{ dataset: snips, dir: ${SHARED}, options: { limit: 400 } }`);
    const a = await mtl(['train', own, '--out', path.join(tmp, 'run-own')]);
    expect(a.code, a.err).toBe(0);
    expect(a.err).toContain('data: snips-conll-train, 400 train');
    const b = await mtl(['train', builtIn, '--out', path.join(tmp, 'run-snips')]);
    expect(b.code, b.err).toBe(0);
    const report = (run: string) => JSON.parse(fs.readFileSync(path.join(tmp, run, 'report.json'), 'utf8'));
    const ra = report('run-own'), rb = report('run-snips');
    expect(ra.tasks.intent.mtl.accuracy).toBeGreaterThan(0.5); // 7 intents: chance is ~0.14
    expect(ra.tasks.intent.mtl).toEqual(rb.tasks.intent.mtl);
    expect(ra.tasks.slots.mtl).toEqual(rb.tasks.slots.mtl);
    const text = JSON.parse(fs.readFileSync(path.join(tmp, 'run-own', 'model', 'text.json'), 'utf8'));
    expect(text.sources).toEqual(['snips-conll/train']);
    const p = await mtl(['predict', path.join(tmp, 'run-own'), 'play some jazz music on spotify']);
    expect(p.code, p.err).toBe(0);
    expect(p.out).toMatch(/intent: \w+ \(p = 0\.\d+\)/);
  });

  it('an unknown dev label stops the run before the run folder is made: file:line and exit 2', async () => {
    const cfg = write('unknown.yaml', ['name: u', 'data: { dataset: sequence, format: conll, dir: unknown, train: train.conll, dev: dev.conll, test: train.conll }',
      'model: { architecture: text-hps }', 'train: { epochs: 1, earlyStopping: false, validationSplit: 0 }'].join('\n'));
    const r = await mtl(['train', cfg, '--out', path.join(tmp, 'run-unknown')]);
    expect(r.code).toBe(2);
    expect(r.err).toContain(`${path.join(tmp, 'unknown', 'dev.conll')}:5: unknown sentence label 'Weather'`);
    expect(fs.existsSync(path.join(tmp, 'run-unknown'))).toBe(false);
  });
});
