/**
 * UCI Sentiment Labelled Sentences (Kotzias et al. 2015) in uci_sentiment/: amazon_cells_labelled.txt,
 * imdb_labelled.txt, yelp_labelled.txt, 1,000 sentences each (500 negative, 500 positive), one
 * `sentence<TAB>label` per line. Read exactly as the data README says: lines are split on `\n` only
 * (imdb sentences contain U+0085, which other splitters take for a line break), each line at its LAST
 * tab, and there is no CSV quoting (stray `"` are part of the sentence). A label other than 0 / 1 is an
 * error naming the file and line.
 *
 * Tasks: `sentiment` (binary: negative / positive) and `domain` (multiclass: amazon / imdb / yelp).
 * No official split: a seeded split stratified by source × label (each of the 6 strata of 500 gives 20%
 * to test and 10% to dev), so every split has the same mix. Tokens: whitespace, lower-cased, leading /
 * trailing punctuation split off (`movie.` → `movie` `.`); vocabulary from the training split only
 * (minCount 2). L defaults to 64 (longer sentences — a handful — are truncated).
 */
import { DataError } from '../errors.js';
import type { Dataset, TaskSpec } from '../types.js';
import { shuffleIndices } from '../split.js';
import { applyLimit, readDataFile } from './common.js';
import { textDataset, textState, type TextLoadOptions, type TextSplit } from '../text/state.js';
import { tokenize, Vocabulary } from '../text/tokenizer.js';

export const SENTIMENT_SOURCES = ['amazon', 'imdb', 'yelp'] as const;
const FILES: Record<(typeof SENTIMENT_SOURCES)[number], string> = {
  amazon: 'uci_sentiment/amazon_cells_labelled.txt',
  imdb: 'uci_sentiment/imdb_labelled.txt',
  yelp: 'uci_sentiment/yelp_labelled.txt',
};

export const SENTIMENT_TOKENIZER = { lowercase: true, punctuation: 'split' } as const;

export interface SentimentRecord {
  sentence: string;
  label: 0 | 1;
  /** Index into SENTIMENT_SOURCES. */
  source: number;
}

/** One file's records: lines split on '\n' only, each at its last tab, no quoting. */
export function parseSentimentFile(text: string, source: number, file: string): SentimentRecord[] {
  const out: SentimentRecord[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line.trim() === '') return;
    const tab = line.lastIndexOf('\t');
    if (tab < 0) throw new DataError('no tab between sentence and label', file, i + 1);
    const label = line.slice(tab + 1).trim();
    if (label !== '0' && label !== '1') throw new DataError(`label must be 0 or 1, found '${label}'`, file, i + 1);
    out.push({ sentence: line.slice(0, tab), label: label === '1' ? 1 : 0, source });
  });
  return out;
}

export async function readUciSentiment(dataDir?: string): Promise<SentimentRecord[]> {
  const texts = await Promise.all(SENTIMENT_SOURCES.map((s) => readDataFile(FILES[s], dataDir)));
  return texts.flatMap((t, k) => parseSentimentFile(t, k, FILES[SENTIMENT_SOURCES[k]!]));
}

/**
 * Seeded split stratified by source × label: in each stratum, a seeded permutation gives the first
 * round(size × testFraction) records to test, the next round(size × devFraction) to dev, the rest to
 * train; each split's indices are then shuffled (seeded), so a `limit` takes a random sample.
 */
export function stratifiedSentimentSplit(records: SentimentRecord[], seed = 0, testFraction = 0.2, devFraction = 0.1): { train: number[]; dev: number[]; test: number[] } {
  const strata = new Map<number, number[]>();
  records.forEach((r, i) => {
    const key = r.source * 2 + r.label;
    if (!strata.has(key)) strata.set(key, []);
    strata.get(key)!.push(i);
  });
  const train: number[] = [], dev: number[] = [], test: number[] = [];
  for (const key of [...strata.keys()].sort((a, b) => a - b)) {
    const rows = strata.get(key)!;
    const perm = shuffleIndices(rows.length, seed * 7919 + key + 1).map((j) => rows[j]!);
    const nTest = Math.round(rows.length * testFraction), nDev = Math.round(rows.length * devFraction);
    test.push(...perm.slice(0, nTest));
    dev.push(...perm.slice(nTest, nTest + nDev));
    train.push(...perm.slice(nTest + nDev));
  }
  const mix = (ix: number[], k: number) => shuffleIndices(ix.length, seed * 7919 + 100 + k).map((j) => ix[j]!);
  return { train: mix(train, 0), dev: mix(dev, 1), test: mix(test, 2) };
}

export function sentimentTaskSpecs(): { sentiment: TaskSpec; domain: TaskSpec } {
  return {
    sentiment: { name: 'sentiment', kind: 'binary', width: 1, outputSize: 1, labelNames: ['negative', 'positive'] },
    domain: { name: 'domain', kind: 'multiclass', width: 1, outputSize: 3, labelNames: [...SENTIMENT_SOURCES] },
  };
}

export function sentimentDataset(name: string, records: SentimentRecord[], rows: number[], vocab: Vocabulary, maxLength: number): Dataset {
  const specs = sentimentTaskSpecs();
  const picked = rows.map((i) => records[i]!);
  return textDataset(name, picked.map((r) => tokenize(r.sentence, SENTIMENT_TOKENIZER)), vocab, maxLength, [
    { spec: specs.sentiment, values: picked.map((r) => r.label) },
    { spec: specs.domain, values: picked.map((r) => r.source) },
  ]);
}

export async function loadUciSentiment(options: TextLoadOptions = {}): Promise<TextSplit> {
  const records = await readUciSentiment(options.dataDir);
  const split = stratifiedSentimentSplit(records, options.seed ?? 0);
  const train = applyLimit(split.train, options.limit);
  const test = applyLimit(split.test, options.testLimit, 'testLimit');
  const minCount = options.minCount ?? 2;
  const maxLength = options.maxLength ?? 64;
  const vocab = options.vocabulary
    ? Vocabulary.fromTokens(options.vocabulary)
    : Vocabulary.build(train.map((i) => tokenize(records[i]!.sentence, SENTIMENT_TOKENIZER)), { minCount });
  return {
    train: sentimentDataset('uci-sentiment-train', records, train, vocab, maxLength),
    dev: sentimentDataset('uci-sentiment-dev', records, split.dev, vocab, maxLength),
    test: sentimentDataset('uci-sentiment-test', records, test, vocab, maxLength),
    text: textState({ tokenizer: SENTIMENT_TOKENIZER, vocabulary: vocab, maxLength, minCount, sources: ['uci-sentiment/train'] }),
  };
}
