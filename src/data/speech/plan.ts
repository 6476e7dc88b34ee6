/**
 * What a spoken corpus is made of, before any audio: the voice split, the per-utterance voice / rate /
 * pitch draws, the default sizes and the types of the packed cache (index entries, manifest). Pure and
 * browser-safe; the generator that runs espeak-ng is Node-only (src/data/node/speech-corpus.ts).
 *
 * Voices are eSpeak NG voice files with a variant, `<voice>+<variant>` (`en-us+f1`): the voice gives the
 * accent's phoneme rules, the variant the speaker (formants, pitch base, breathiness). Voice split by
 * default — no voice file and no variant of the test set is heard in training or dev, and dev has its own:
 *   train (8): en-us+m1 en-us+f1 en+m2 en+f2 en-gb-scotland+m3 en-029+f3 en-gb-x-rp+m1 en-gb-x-rp+f2
 *   dev   (2): en-gb-x-gbclan+m4 en-gb-x-gbclan+f4             (Lancashire; held out from train and test)
 *   test  (3): en-gb-x-gbcwmd+m5 en-us-nyc+f5 en-us-nyc+m6      (West Midlands, New York City)
 * so dev scores (early stopping) already measure unseen speakers, as test does, without touching test's.
 * A voice split whose test voices appear in train or dev is refused.
 *
 * Per utterance i of a split, one seeded draw (mulberry32 seeded by an FNV-1a hash of
 * `seed|corpus|split|i`) picks the voice uniformly from the split's list, the rate uniformly from the
 * integer range `rates` (words per minute, default 150..200; espeak's default is 175) and the pitch from
 * `pitches` (0..99, default 35..65). The draw depends only on (seed, corpus, split, i), never on how
 * many utterances are made, so the first n utterances of a larger generation are those of a smaller one.
 */
import { mulberry32 } from '../split.js';

export const SPOKEN_SPLITS = ['train', 'dev', 'test'] as const;
export type SpokenSplit = (typeof SPOKEN_SPLITS)[number];

export const SPOKEN_CORPORA = ['snips', 'sentiment'] as const;
export type SpokenCorpusName = (typeof SPOKEN_CORPORA)[number];

export type VoiceSplit = Record<SpokenSplit, string[]>;

export const DEFAULT_VOICES: Readonly<VoiceSplit> = {
  train: ['en-us+m1', 'en-us+f1', 'en+m2', 'en+f2', 'en-gb-scotland+m3', 'en-029+f3', 'en-gb-x-rp+m1', 'en-gb-x-rp+f2'],
  dev: ['en-gb-x-gbclan+m4', 'en-gb-x-gbclan+f4'],
  test: ['en-gb-x-gbcwmd+m5', 'en-us-nyc+f5', 'en-us-nyc+m6'],
};

/** Words per minute, inclusive range. */
export const DEFAULT_RATES: readonly [number, number] = [150, 200];
/** eSpeak pitch 0..99, inclusive range. */
export const DEFAULT_PITCHES: readonly [number, number] = [35, 65];

/**
 * Utterances per split by default. At 16 kHz int16 a SNIPS utterance (9 words) came out at ≈ 84 kB
 * (≈ 2.6 s) and a review sentence (12 words) at ≈ 114 kB (300 of each measured), so these keep both
 * caches together at ≈ 250 + 130 MB: SNIPS test is the whole official test set; the others are seeded
 * random samples. `sizes` raises them (up to the whole split: 13,084 SNIPS training utterances ≈ 1.1 GB);
 * `limit` caps every split.
 */
export const DEFAULT_SIZES: Readonly<Record<SpokenCorpusName, Record<SpokenSplit, number>>> = {
  snips: { train: 2000, dev: 300, test: 700 },
  sentiment: { train: 700, dev: 150, test: 300 },
};

/** The sample rate of every spoken corpus. */
export const SPOKEN_SAMPLE_RATE = 16000;

/** `<voice>[+<variant>]`: letters, digits, `-` and `_`. */
const VOICE_NAME = /^[A-Za-z0-9_-]+(\+[A-Za-z0-9_-]+)?$/;

/** Checks voice names and the voice split (no test voice in train or dev); returns a copy. */
export function checkVoiceSplit(voices: Partial<VoiceSplit> = {}): VoiceSplit {
  const v: VoiceSplit = { train: [...(voices.train ?? DEFAULT_VOICES.train)], dev: [...(voices.dev ?? DEFAULT_VOICES.dev)], test: [...(voices.test ?? DEFAULT_VOICES.test)] };
  for (const split of SPOKEN_SPLITS) {
    if (v[split].length === 0) throw new Error(`spoken corpus: no ${split} voices`);
    for (const name of v[split]) if (!VOICE_NAME.test(name)) throw new Error(`spoken corpus: bad voice name ${JSON.stringify(name)} (expected <voice>+<variant>, e.g. en-us+f1)`);
    if (new Set(v[split]).size !== v[split].length) throw new Error(`spoken corpus: the ${split} voices list one voice twice`);
  }
  const heard = new Set([...v.train, ...v.dev]);
  const leaked = v.test.filter((x) => heard.has(x));
  if (leaked.length) throw new Error(`spoken corpus: test voice(s) ${leaked.join(', ')} also speak train or dev; the test set must be spoken by voices never heard before`);
  return v;
}

/** Checks an inclusive integer range within [lo, hi]. */
export function checkRange(r: readonly number[] | undefined, fallback: readonly [number, number], what: string, lo: number, hi: number): [number, number] {
  const [a, b] = r ?? fallback;
  if (r && r.length !== 2) throw new Error(`spoken corpus: ${what} must be [min, max]`);
  if (!Number.isInteger(a) || !Number.isInteger(b) || a! > b! || a! < lo || b! > hi) throw new Error(`spoken corpus: ${what} must be integers ${lo} ≤ min ≤ max ≤ ${hi}, got [${a}, ${b}]`);
  return [a!, b!];
}

/** FNV-1a, 32 bits, over the UTF-16 code units of `s`. */
export function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

export interface UtterancePlan {
  voice: string;
  rate: number;
  pitch: number;
}

/** The voice, rate and pitch of utterance i of a split (see the module comment). */
export function planUtterance(seed: number, corpus: string, split: SpokenSplit, i: number, voices: VoiceSplit, rates: readonly [number, number], pitches: readonly [number, number]): UtterancePlan {
  const rand = mulberry32(fnv1a(`${seed}|${corpus}|${split}|${i}`));
  const pick = (n: number) => Math.min(n - 1, Math.floor(rand() * n));
  const list = voices[split];
  return { voice: list[pick(list.length)]!, rate: rates[0] + pick(rates[1] - rates[0] + 1), pitch: pitches[0] + pick(pitches[1] - pitches[0] + 1) };
}

/** One utterance in a split's index (`<split>.json`); its samples are pcm[offset, offset + length). */
export interface SpokenIndexEntry extends UtterancePlan {
  /** Where the text came from: `snips/train/412` (0-based line), `uci_sentiment/imdb/17` (0-based record). */
  id: string;
  /** The text as spoken. */
  text: string;
  tokens: string[];
  /** SNIPS: BIO slot tags, one per token, and the intent. */
  tags?: string[];
  intent?: string;
  /** Sentiment: 0 negative / 1 positive, and the review's source (amazon, imdb, yelp). */
  sentiment?: 0 | 1;
  domain?: string;
  /** In samples. */
  offset: number;
  length: number;
}

/** One utterance as loaded: the index entry with its 16 kHz int16 samples (no offset / length). */
export interface SpokenUtterance extends Omit<SpokenIndexEntry, 'offset' | 'length'> {
  samples: Int16Array;
}

export interface SpokenSplitSummary {
  /** Utterances generated. */
  count: number;
  /** Utterances the text split has. */
  available: number;
  samples: number;
  seconds: number;
  /** sha256 of `<split>.pcm`. */
  sha256: string;
}

/** The settings that determine the audio (their hash names the cache folder). */
export interface SpokenSettings {
  format: 1;
  corpus: SpokenCorpusName;
  seed: number;
  voices: VoiceSplit;
  rates: [number, number];
  pitches: [number, number];
  sampleRate: number;
  resampler: { method: string; zeroCrossings: number; rolloff: number; beta: number };
  /** espeak-ng's arguments besides voice, rate, pitch and output file. */
  espeakArgs: string[];
  /** sha256 of the ordered texts and labels of every split (a changed data file makes a new cache). */
  textDigest: string;
}

export interface SpokenManifest {
  format: 'mtljs-spoken-corpus';
  corpus: SpokenCorpusName;
  /** Hash of `settings` (the folder is `<corpus>-<key>`). */
  key: string;
  settings: SpokenSettings;
  generator: { program: 'espeak-ng'; version: string; sampleRate: number; command: string };
  voiceSplit: string;
  splits: Record<SpokenSplit, SpokenSplitSummary>;
  /** Files: `<split>.pcm` (int16 little-endian, 16 kHz mono, utterances back to back) + `<split>.json`. */
  files: string[];
  generatedAt: string;
}
