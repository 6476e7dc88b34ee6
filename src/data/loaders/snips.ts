/**
 * SNIPS (Coucke et al. 2018) in snips/: the official train / dev / test splits (13,084 / 700 / 700
 * utterances), each as three line-parallel files: `seq.in` (lower-cased tokens), `seq.out` (one BIO slot
 * tag per token) and `label` (the intent). Lines are split on whitespace (they end with a trailing space);
 * a line with a different number of tokens and tags is an error. Tag and intent lists come from
 * slot_label.txt (72 tags after its PAD and UNK entries) and intent_label.txt (7 intents after UNK).
 *
 * Tasks: `intent` (multiclass, 7) and `slots` (sequence: a tag per token, width L, NaN at padding);
 * with `frame: true` also `frame` (generate: the frame `Intent(slot=value; …)`, ./snips-frame.ts).
 * Input: token ids [L] with the vocabulary of the training split only (minCount 2 by default: words seen
 * once map to `<unk>`, so `<unk>` is trained). L defaults to the longest training utterance (35).
 * The split carries the dev set (`dev`, for validation / early stopping) and the TextState.
 */
import { DataError } from '../errors.js';
import type { TaskSpec } from '../types.js';
import { applyLimit, readDataFile } from './common.js';
import { textDataset, textState, type TextLoadOptions, type TextSplit } from '../text/state.js';
import { Vocabulary } from '../text/tokenizer.js';
import { withFrameTask } from './snips-frame.js';

export interface SnipsSplitRaw {
  tokens: string[][];
  tags: string[][];
  intents: string[];
}

export interface SnipsRaw {
  train: SnipsSplitRaw;
  dev: SnipsSplitRaw;
  test: SnipsSplitRaw;
  tagNames: string[];
  intentNames: string[];
}

/** SNIPS is pre-tokenized and lower-cased; raw text at prediction time is tokenized like this. */
export const SNIPS_TOKENIZER = { lowercase: true } as const;

function lines(text: string): string[] {
  const out = text.split('\n').map((l) => l.replace(/\r$/, ''));
  if (out.length && out[out.length - 1]!.trim() === '') out.pop();
  return out;
}

const words = (line: string) => line.split(/\s+/).filter((w) => w.length > 0);

function labelList(text: string): string[] {
  return lines(text).map((l) => l.trim()).filter((l) => l && l !== 'PAD' && l !== 'UNK');
}

async function readSplit(dataDir: string | undefined, split: string): Promise<SnipsSplitRaw> {
  const [seqIn, seqOut, label] = await Promise.all(['seq.in', 'seq.out', 'label'].map((f) => readDataFile(`snips/${split}/${f}`, dataDir)));
  const a = lines(seqIn!), b = lines(seqOut!), c = lines(label!);
  if (a.length !== b.length || a.length !== c.length) {
    throw new DataError(`seq.in, seq.out and label have ${a.length}, ${b.length} and ${c.length} lines`, `snips/${split}`);
  }
  const raw: SnipsSplitRaw = { tokens: [], tags: [], intents: [] };
  a.forEach((line, i) => {
    const t = words(line), o = words(b[i]!);
    if (t.length === 0) throw new DataError('empty utterance', `snips/${split}/seq.in`, i + 1);
    if (t.length !== o.length) throw new DataError(`${t.length} tokens but ${o.length} tags`, `snips/${split}/seq.out`, i + 1);
    raw.tokens.push(t);
    raw.tags.push(o);
    raw.intents.push(c[i]!.trim());
  });
  return raw;
}

export async function readSnips(dataDir?: string): Promise<SnipsRaw> {
  const [train, dev, test, slotText, intentText] = await Promise.all([
    readSplit(dataDir, 'train'), readSplit(dataDir, 'dev'), readSplit(dataDir, 'test'),
    readDataFile('snips/slot_label.txt', dataDir), readDataFile('snips/intent_label.txt', dataDir),
  ]);
  return { train, dev, test, tagNames: labelList(slotText), intentNames: labelList(intentText) };
}

export function snipsTaskSpecs(raw: SnipsRaw, maxLength: number): { intent: TaskSpec; slots: TaskSpec } {
  return {
    intent: { name: 'intent', kind: 'multiclass', width: 1, outputSize: raw.intentNames.length, labelNames: [...raw.intentNames] },
    slots: { name: 'slots', kind: 'sequence', width: maxLength, outputSize: raw.tagNames.length, labelNames: [...raw.tagNames] },
  };
}

/** The Dataset of one SNIPS split with a given vocabulary and length. */
export function snipsDataset(raw: SnipsRaw, split: 'train' | 'dev' | 'test', vocab: Vocabulary, maxLength: number, limit?: number): import('../types.js').Dataset {
  const s = raw[split];
  const n = applyLimit(s.tokens, limit).length;
  const tagIndex = new Map(raw.tagNames.map((t, i) => [t, i]));
  const intentIndex = new Map(raw.intentNames.map((t, i) => [t, i]));
  const specs = snipsTaskSpecs(raw, maxLength);
  const intents = s.intents.slice(0, n).map((v, i) => {
    const k = intentIndex.get(v);
    if (k === undefined) throw new DataError(`unknown intent '${v}' (intent_label.txt lists ${raw.intentNames.join(', ')})`, `snips/${split}/label`, i + 1);
    return k;
  });
  const tags = s.tags.slice(0, n).map((row, i) => row.map((t) => {
    const k = tagIndex.get(t);
    if (k === undefined) throw new DataError(`unknown slot tag '${t}' (not in slot_label.txt)`, `snips/${split}/seq.out`, i + 1);
    return k;
  }));
  return textDataset(`snips-${split}`, s.tokens.slice(0, n), vocab, maxLength, [
    { spec: specs.intent, values: intents },
    { spec: specs.slots, values: tags },
  ]);
}

export function longest(sentences: string[][]): number {
  return sentences.reduce((m, s) => Math.max(m, s.length), 0);
}

/** `frame: true` adds the `frame` task: intent + slots as a generated frame string (./snips-frame.ts). */
export async function loadSnips(options: TextLoadOptions & { frame?: boolean } = {}): Promise<TextSplit> {
  const raw = await readSnips(options.dataDir);
  const minCount = options.minCount ?? 2;
  const trainTokens = applyLimit(raw.train.tokens, options.limit);
  const vocab = options.vocabulary ? Vocabulary.fromTokens(options.vocabulary) : Vocabulary.build(trainTokens, { minCount });
  const maxLength = options.maxLength ?? longest(raw.train.tokens);
  const split: TextSplit = {
    train: snipsDataset(raw, 'train', vocab, maxLength, options.limit),
    dev: snipsDataset(raw, 'dev', vocab, maxLength),
    test: snipsDataset(raw, 'test', vocab, maxLength, options.testLimit),
    text: textState({ tokenizer: SNIPS_TOKENIZER, vocabulary: vocab, maxLength, minCount, sources: ['snips/train'] }),
  };
  return options.frame ? withFrameTask(split, raw, options) : split;
}
