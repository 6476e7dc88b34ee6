/**
 * The texts a spoken corpus speaks, per split, in the seeded order in which they are generated (so the
 * first n of a split are a random sample and a larger generation extends a smaller one):
 *   snips: the official SNIPS train / dev / test utterances (src/data/loaders/snips.ts), tokens joined by
 *     spaces (SNIPS is lower-cased and tokenized), with their BIO tags and intent; each split in a seeded
 *     permutation;
 *   sentiment: the UCI review sentences with their label and source, split as the sentiment loader splits
 *     them (src/data/loaders/sentiment.ts: seeded, stratified, each split already shuffled); U+0085 and
 *     runs of whitespace become one space.
 * Node only (the data files are located by src/data/store).
 */
import { createHash } from 'node:crypto';
import { readSnips } from '../loaders/snips.js';
import { readUciSentiment, SENTIMENT_SOURCES, SENTIMENT_TOKENIZER, stratifiedSentimentSplit } from '../loaders/sentiment.js';
import { shuffleIndices } from '../split.js';
import { explicitDataDir } from '../store/paths.js';
import { tokenize } from '../text/tokenizer.js';
import { fnv1a, SPOKEN_SPLITS, type SpokenCorpusName, type SpokenIndexEntry, type SpokenSplit } from '../speech/plan.js';

export type SpokenText = Omit<SpokenIndexEntry, 'voice' | 'rate' | 'pitch' | 'offset' | 'length'>;

export interface SpokenTexts {
  splits: Record<SpokenSplit, SpokenText[]>;
  /** sha256 over every split's ordered texts and labels. */
  digest: string;
}

const spokenForm = (s: string) => s.replace(/[\s\u0085]+/gu, ' ').trim();

/** Recent results, by corpus, seed and data folder (a loader asked for train, dev and test reads once). */
const memo = new Map<string, Promise<SpokenTexts>>();

/** The texts of every split, in generation order (see the module comment). Do not modify the result. */
export function readSpokenTexts(corpus: SpokenCorpusName, seed: number, dataDir?: string): Promise<SpokenTexts> {
  const key = `${corpus}|${seed}|${explicitDataDir(dataDir) ?? ''}|${process.env['MTL_CACHE_DIR'] ?? ''}`;
  let p = memo.get(key);
  if (!p) {
    p = readTexts(corpus, seed, dataDir);
    p.catch(() => memo.delete(key));
    memo.set(key, p);
    while (memo.size > 4) memo.delete(memo.keys().next().value!);
  }
  return p;
}

async function readTexts(corpus: SpokenCorpusName, seed: number, dataDir?: string): Promise<SpokenTexts> {
  let splits: Record<SpokenSplit, SpokenText[]>;
  if (corpus === 'snips') {
    const raw = await readSnips(dataDir);
    const part = (split: SpokenSplit): SpokenText[] => {
      const s = raw[split];
      return shuffleIndices(s.tokens.length, fnv1a(`${seed}|snips|${split}|order`)).map((i) => ({
        id: `snips/${split}/${i}`,
        text: s.tokens[i]!.join(' '),
        tokens: [...s.tokens[i]!],
        tags: [...s.tags[i]!],
        intent: s.intents[i]!,
      }));
    };
    splits = { train: part('train'), dev: part('dev'), test: part('test') };
  } else if (corpus === 'sentiment') {
    const records = await readUciSentiment(dataDir);
    const split = stratifiedSentimentSplit(records, seed);
    const perSource = new Map<number, number>();
    const local = records.map((r) => {
      const k = perSource.get(r.source) ?? 0;
      perSource.set(r.source, k + 1);
      return k;
    });
    const part = (split: number[]): SpokenText[] => split.map((i) => {
      const r = records[i]!;
      const text = spokenForm(r.sentence);
      return { id: `uci_sentiment/${SENTIMENT_SOURCES[r.source]}/${local[i]}`, text, tokens: tokenize(text, SENTIMENT_TOKENIZER), sentiment: r.label, domain: SENTIMENT_SOURCES[r.source]! };
    });
    splits = { train: part(split.train), dev: part(split.dev), test: part(split.test) };
  } else {
    throw new Error(`unknown spoken corpus '${String(corpus)}' (snips or sentiment)`);
  }
  const hash = createHash('sha256');
  for (const s of SPOKEN_SPLITS) hash.update(`${s}\n${JSON.stringify(splits[s])}\n`);
  return { splits, digest: hash.digest('hex') };
}
