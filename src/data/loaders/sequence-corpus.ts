/**
 * A sentence-classification + token-tagging corpus of the user's own (config `data: { dataset: sequence }`),
 * in either of two forms, with no dataset name wired in:
 *
 * - `seq`: a folder (any name) with train/, test/ and optionally dev/ subfolders, each holding three
 *   line-parallel files as SNIPS / ATIS are distributed: `seq.in` (the tokens of one sentence per line,
 *   split on whitespace), `seq.out` (one tag per token) and `label` (the sentence's label). `label` is
 *   optional: without train/label the corpus has the tag task only.
 * - `conll`: files of one `token<whitespace>tag` per line (more columns are allowed: the first is the
 *   token, the last the tag, as in CoNLL-2003), a blank line between sentences. A sentence label is a
 *   comment line `# label = X` or `# intent = X` before the sentence's first token; other `#` lines
 *   there are comments and ignored (as in CoNLL-U). Once a sentence has begun, a line starting with `#`
 *   is a token (`# label = …` there is an error: a blank line is missing). A sentence that is only
 *   `-DOCSTART-` (CoNLL-2003 document marks) is skipped. Either every sentence of a file has a label or
 *   none has.
 *
 * Both give the DatasetSplit / TextSplit the SNIPS loader gives: a multiclass task of the sentence
 * labels (default name `intent`, absent when the corpus has no labels) and a `sequence` task of the tags
 * (default `slots`), token ids [L] as input. Label and tag inventories come from the training file
 * (all of it, `limit` or not): labels in code-point order; tags with `O` first, then grouped by type (the
 * part after `B-` / `I-` / `E-` / `S-` / `L-` / `U-`) in code-point order, B before I before E, S, L, U
 * (SNIPS's slot_label.txt is in this order, so a converted SNIPS gives the built-in loader's indices).
 * The vocabulary is built from the (limited) training sentences, minCount 2; L defaults to the longest
 * training sentence. Tokens are lower-cased unless `lowercase: false` (raw text at prediction time is
 * tokenized the same way, text.json says how).
 *
 * A label or tag in dev/test that the training file never has: `unknownLabel` `error` (default: one
 * DataError naming the file, the 1-based line and the label), `skip` (the sentence is dropped from that
 * split) or `map` (a sentence label becomes the class `UNK` — appended as the last class whenever
 * `map` is set, unless training has a label `UNK` itself — and a tag becomes `O`; such sentences then
 * count as the model's errors, since it cannot know them).
 */
import fs from 'node:fs';
import path from 'node:path';
import { DataError } from '../errors.js';
import type { Dataset, TaskSpec } from '../types.js';
import { applyLimit } from './common.js';
import { textDataset, textState, type TextLoadOptions, type TextSplit, type TextTaskLabels } from '../text/state.js';
import { Vocabulary } from '../text/tokenizer.js';

export const SEQUENCE_FORMATS = ['seq', 'conll'] as const;
export type SequenceFormat = (typeof SEQUENCE_FORMATS)[number];
export const UNKNOWN_LABEL_POLICIES = ['error', 'skip', 'map'] as const;
export type UnknownLabelPolicy = (typeof UNKNOWN_LABEL_POLICIES)[number];
/** The class an unknown sentence label maps to with `unknownLabel: map`. */
export const UNKNOWN_CLASS = 'UNK';
/** The tag an unknown tag maps to with `unknownLabel: map`. */
export const OUTSIDE_TAG = 'O';

/** One split of a corpus as read, with where every label and tag came from (for messages). */
export interface SequenceCorpusSplitRaw {
  tokens: string[][];
  tags: string[][];
  /** The file the tags were read from, and the 1-based line of every tag. */
  tagFile: string;
  tagLines: number[][];
  /** Sentence labels; absent when the corpus has none. */
  labels?: string[];
  /** The file the labels were read from, and the 1-based line of every sentence's label. */
  labelFile?: string;
  labelLines?: number[];
}

export interface SequenceCorpusRaw {
  /** The dataset's own name (folder or config name): dataset names `<name>-train`, …, text.json sources. */
  name: string;
  train: SequenceCorpusSplitRaw;
  dev?: SequenceCorpusSplitRaw;
  test: SequenceCorpusSplitRaw;
}

export interface SequenceCorpusOptions extends Pick<TextLoadOptions, 'limit' | 'testLimit' | 'maxLength' | 'minCount' | 'vocabulary'> {
  /** Name of the sentence-label task (default `intent`). */
  labelTask?: string;
  /** Name of the tag task (default `slots`). */
  tagTask?: string;
  /** Labels / tags of dev or test that the training file does not have (default `error`). */
  unknownLabel?: UnknownLabelPolicy;
  /** Lower-case the tokens, here and at prediction time (default true). */
  lowercase?: boolean;
}

export type SequenceCorpusSource =
  | { format: 'seq'; dir: string; name?: string }
  | { format: 'conll'; train: string; dev?: string; test: string; name?: string };

// ---------------------------------------------------------------------------------------------- reading

function textLines(text: string): string[] {
  const out = text.replace(/^\uFEFF/, '').split('\n').map((l) => l.replace(/\r$/, ''));
  if (out.length && out[out.length - 1]!.trim() === '') out.pop();
  return out;
}

const words = (line: string) => line.split(/\s+/).filter((w) => w.length > 0);

function readText(file: string): string {
  if (!fs.existsSync(file)) throw new DataError('file not found', file);
  if (!fs.statSync(file).isFile()) throw new DataError('not a file', file);
  return fs.readFileSync(file, 'utf8');
}

/** One split folder of the seq.in / seq.out / label layout; `withLabels` undefined: labels if `label` exists. */
function readSeqSplit(folder: string, withLabels: boolean | undefined): SequenceCorpusSplitRaw {
  const [inFile, outFile, labelFile] = ['seq.in', 'seq.out', 'label'].map((f) => path.join(folder, f)) as [string, string, string];
  const hasLabels = fs.existsSync(labelFile);
  if (withLabels === true && !hasLabels) throw new DataError('file not found (train/label exists, so every split needs its sentence labels)', labelFile);
  if (withLabels === false && hasLabels) throw new DataError('sentence labels here but none for training (no train/label)', labelFile);
  const a = textLines(readText(inFile)), b = textLines(readText(outFile));
  const c = hasLabels ? textLines(readText(labelFile)) : undefined;
  if (a.length !== b.length || (c && a.length !== c.length)) {
    throw new DataError(c ? `seq.in, seq.out and label have ${a.length}, ${b.length} and ${c.length} lines` : `seq.in and seq.out have ${a.length} and ${b.length} lines`, folder);
  }
  if (a.length === 0) throw new DataError('no sentences', inFile);
  const raw: SequenceCorpusSplitRaw = { tokens: [], tags: [], tagFile: outFile, tagLines: [] };
  if (c) Object.assign(raw, { labels: [], labelFile, labelLines: [] });
  a.forEach((line, i) => {
    const t = words(line), o = words(b[i]!);
    if (t.length === 0) throw new DataError('empty sentence', inFile, i + 1);
    if (t.length !== o.length) throw new DataError(`${t.length} tokens but ${o.length} tags`, outFile, i + 1);
    raw.tokens.push(t);
    raw.tags.push(o);
    raw.tagLines.push(t.map(() => i + 1));
    if (c) {
      const label = c[i]!.trim();
      if (!label) throw new DataError('empty label', labelFile, i + 1);
      raw.labels!.push(label);
      raw.labelLines!.push(i + 1);
    }
  });
  return raw;
}

/** The seq.in / seq.out / label layout: `dir`/train, `dir`/test and, when it exists, `dir`/dev. */
export function readSeqFolder(dir: string, name?: string): SequenceCorpusRaw {
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new DataError('not a folder (expected train/, test/ and optionally dev/ with seq.in, seq.out, label)', dir);
  const train = readSeqSplit(path.join(dir, 'train'), undefined);
  const withLabels = train.labels !== undefined;
  const devDir = path.join(dir, 'dev');
  return {
    name: name ?? sequenceCorpusName({ format: 'seq', dir }),
    train,
    dev: fs.existsSync(devDir) ? readSeqSplit(devDir, withLabels) : undefined,
    test: readSeqSplit(path.join(dir, 'test'), withLabels),
  };
}

const LABEL_COMMENT = /^#\s*(?:label|intent)\s*=\s*(.*)$/;

/** One CoNLL-style file (see the header for the exact form); `file` names it in messages. */
export function parseConll(text: string, file: string): SequenceCorpusSplitRaw {
  const raw: SequenceCorpusSplitRaw = { tokens: [], tags: [], tagFile: file, tagLines: [] };
  const labels: (string | undefined)[] = [], labelLines: number[] = [];
  let tokens: string[] = [], tags: string[] = [], lines: number[] = [];
  let label: string | undefined, labelLine = 0;
  const flush = () => {
    if (tokens.length === 0) {
      if (label !== undefined) throw new DataError(`label '${label}' with no sentence after it`, file, labelLine);
      return;
    }
    if (!(tokens.length === 1 && tokens[0] === '-DOCSTART-')) {
      raw.tokens.push(tokens);
      raw.tags.push(tags);
      raw.tagLines.push(lines);
      labels.push(label);
      labelLines.push(label === undefined ? lines[0]! : labelLine);
    }
    tokens = []; tags = []; lines = []; label = undefined;
  };
  textLines(text).forEach((line, i) => {
    const s = line.trim();
    if (s === '') return flush();
    if (s.startsWith('#')) {
      const m = LABEL_COMMENT.exec(s);
      if (tokens.length === 0) {
        if (!m) return; // a comment before the sentence
        const value = m[1]!.trim();
        if (!value) throw new DataError('empty sentence label', file, i + 1);
        if (label !== undefined) throw new DataError(`a second label for one sentence ('${value}'; '${label}' on line ${labelLine})`, file, i + 1);
        label = value;
        labelLine = i + 1;
        return;
      }
      if (m) throw new DataError(`'${s.slice(0, 60)}' inside a sentence: a blank line must end the sentence before it`, file, i + 1);
    }
    const f = words(s);
    if (f.length < 2) throw new DataError(`expected a token and its tag separated by whitespace, found '${s.slice(0, 60)}'`, file, i + 1);
    tokens.push(f[0]!);
    tags.push(f[f.length - 1]!);
    lines.push(i + 1);
  });
  flush();
  if (raw.tokens.length === 0) throw new DataError('no sentences (one `token tag` per line, a blank line between sentences)', file);
  const labelled = labels.filter((l) => l !== undefined).length;
  if (labelled > 0 && labelled < labels.length) {
    const i = labels.indexOf(undefined);
    throw new DataError(`sentence ${i + 1} has no '# label = …' line, but ${labelled} other sentences of this file have one: give every sentence its label, or none`, file, raw.tagLines[i]![0]!);
  }
  if (labelled > 0) Object.assign(raw, { labels: labels as string[], labelFile: file, labelLines });
  return raw;
}

function readConllFile(file: string, trainFile?: string, trainLabelled?: boolean): SequenceCorpusSplitRaw {
  const raw = parseConll(readText(file), file);
  if (trainLabelled === true && !raw.labels) throw new DataError(`no sentence labels ('# label = …' lines), but the training file ${trainFile} has them`, file);
  if (trainLabelled === false && raw.labels) throw new DataError(`sentence labels here, but the training file ${trainFile} has none`, file, raw.labelLines![0]);
  return raw;
}

/** CoNLL-style train / (dev) / test files. */
export function readConllFiles(files: { train: string; dev?: string; test: string; name?: string }): SequenceCorpusRaw {
  const train = readConllFile(files.train);
  const labelled = train.labels !== undefined;
  return {
    name: files.name ?? sequenceCorpusName({ format: 'conll', ...files }),
    train,
    dev: files.dev === undefined ? undefined : readConllFile(files.dev, files.train, labelled),
    test: readConllFile(files.test, files.train, labelled),
  };
}

/** The dataset's own name: `name` if given, else the folder (seq) or the folder holding the training file (conll). */
export function sequenceCorpusName(source: SequenceCorpusSource): string {
  if (source.name) return source.name;
  return path.basename(path.resolve(source.format === 'seq' ? source.dir : path.dirname(source.train)));
}

export function readSequenceCorpus(source: SequenceCorpusSource): SequenceCorpusRaw {
  return source.format === 'seq' ? readSeqFolder(source.dir, source.name) : readConllFiles(source);
}

// ----------------------------------------------------------------------------------------- the dataset

const PREFIXES = ['B', 'I', 'E', 'S', 'L', 'U'];

/** O first, then by type (code-point order), B before I before E, S, L, U; a tag without a prefix is its own type. */
export function orderTags(tags: Iterable<string>): string[] {
  const key = (t: string): [number, string, number] => {
    if (t === OUTSIDE_TAG) return [0, '', 0];
    const m = /^([A-Z])-(.+)$/.exec(t);
    const rank = m ? PREFIXES.indexOf(m[1]!) : -1;
    return rank >= 0 ? [1, m![2]!, rank + 1] : [1, t, 0];
  };
  const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  return [...new Set(tags)].sort((a, b) => {
    const ka = key(a), kb = key(b);
    return ka[0] - kb[0] || cmp(ka[1], kb[1]) || ka[2] - kb[2] || cmp(a, b);
  });
}

export function sequenceCorpusTaskSpecs(raw: SequenceCorpusRaw, maxLength: number, options: SequenceCorpusOptions = {}): { label?: TaskSpec; tags: TaskSpec } {
  const { labelNames, tagNames } = inventories(raw, options.unknownLabel ?? 'error');
  const tags: TaskSpec = { name: options.tagTask ?? 'slots', kind: 'sequence', width: maxLength, outputSize: tagNames.length, labelNames: tagNames };
  if (!labelNames) return { tags };
  return { label: { name: options.labelTask ?? 'intent', kind: 'multiclass', width: 1, outputSize: labelNames.length, labelNames }, tags };
}

function inventories(raw: SequenceCorpusRaw, policy: UnknownLabelPolicy): { labelNames?: string[]; tagNames: string[] } {
  const tags = new Set(raw.train.tags.flat());
  if (policy === 'map') tags.add(OUTSIDE_TAG);
  let labelNames: string[] | undefined;
  if (raw.train.labels) {
    labelNames = [...new Set(raw.train.labels)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    if (policy === 'map' && !labelNames.includes(UNKNOWN_CLASS)) labelNames.push(UNKNOWN_CLASS);
  }
  return { labelNames, tagNames: orderTags(tags) };
}

/** A split's sentences as class and tag indices, with the unknown-label policy applied. */
function resolve(s: SequenceCorpusSplitRaw, labelNames: string[] | undefined, tagNames: string[], policy: UnknownLabelPolicy, trainFile: string) {
  const labelIndex = new Map((labelNames ?? []).map((t, i) => [t, i]));
  const tagIndex = new Map(tagNames.map((t, i) => [t, i]));
  const hint = `(the training file ${trainFile} never has it; unknownLabel: skip drops such sentences, map maps them to ${UNKNOWN_CLASS} / ${OUTSIDE_TAG})`;
  const rows: number[] = [], labels: number[] = [], tags: number[][] = [];
  sentences: for (let i = 0; i < s.tokens.length; i++) {
    let label = -1;
    if (labelNames) {
      const k = labelIndex.get(s.labels![i]!);
      if (k !== undefined) label = k;
      else if (policy === 'error') throw new DataError(`unknown sentence label '${s.labels![i]}' ${hint}`, s.labelFile!, s.labelLines![i]);
      else if (policy === 'skip') continue;
      else label = labelIndex.get(UNKNOWN_CLASS)!;
    }
    const ids: number[] = [];
    for (let j = 0; j < s.tags[i]!.length; j++) {
      const k = tagIndex.get(s.tags[i]![j]!);
      if (k !== undefined) ids.push(k);
      else if (policy === 'error') throw new DataError(`unknown tag '${s.tags[i]![j]}' ${hint}`, s.tagFile, s.tagLines[i]![j]);
      else if (policy === 'skip') continue sentences;
      else ids.push(tagIndex.get(OUTSIDE_TAG)!);
    }
    rows.push(i);
    labels.push(label);
    tags.push(ids);
  }
  return { rows, labels, tags };
}

export function longestSentence(sentences: string[][]): number {
  return sentences.reduce((m, s) => Math.max(m, s.length), 0);
}

/** The TextSplit of a corpus read by readSeqFolder / readConllFiles (see the header for the rules). */
export function sequenceCorpusSplit(raw: SequenceCorpusRaw, options: SequenceCorpusOptions = {}): TextSplit {
  const policy = options.unknownLabel ?? 'error';
  const lowercase = options.lowercase ?? true;
  const minCount = options.minCount ?? 2;
  const specsFor = (L: number) => sequenceCorpusTaskSpecs(raw, L, options);
  if (raw.train.labels && (options.labelTask ?? 'intent') === (options.tagTask ?? 'slots')) {
    throw new Error(`the label task and the tag task need different names (both are '${options.tagTask ?? 'slots'}')`);
  }
  const lower = (ts: string[][]) => (lowercase ? ts.map((t) => t.map((w) => w.toLowerCase())) : ts);
  const maxLength = options.maxLength ?? longestSentence(raw.train.tokens);
  const specs = specsFor(maxLength);
  const labelNames = specs.label?.labelNames, tagNames = specs.tags.labelNames!;
  const trainTokens = lower(applyLimit(raw.train.tokens, options.limit));
  const vocab = options.vocabulary ? Vocabulary.fromTokens(options.vocabulary) : Vocabulary.build(trainTokens, { minCount });
  const build = (part: 'train' | 'dev' | 'test', s: SequenceCorpusSplitRaw, limit: number | undefined, what: string): Dataset => {
    const r = resolve(s, labelNames, tagNames, policy, raw.train.tagFile);
    const rows = applyLimit(r.rows, limit, what);
    const n = rows.length;
    const tasks: TextTaskLabels[] = [];
    if (specs.label) tasks.push({ spec: specs.label, values: r.labels.slice(0, n) });
    tasks.push({ spec: specs.tags, values: r.tags.slice(0, n) });
    return textDataset(`${raw.name}-${part}`, lower(rows.map((i) => s.tokens[i]!)), vocab, maxLength, tasks);
  };
  return {
    train: build('train', raw.train, options.limit, 'limit'),
    dev: raw.dev ? build('dev', raw.dev, undefined, 'limit') : undefined,
    test: build('test', raw.test, options.testLimit, 'testLimit'),
    text: textState({ tokenizer: { lowercase }, vocabulary: vocab, maxLength, minCount, sources: [`${raw.name}/train`] }),
  };
}

/** Reads a corpus of the user's own and returns its TextSplit: `loadSequenceCorpus({ format: 'conll', train, test }, { unknownLabel: 'skip' })`. */
export function loadSequenceCorpus(source: SequenceCorpusSource, options: SequenceCorpusOptions = {}): TextSplit {
  return sequenceCorpusSplit(readSequenceCorpus(source), options);
}
