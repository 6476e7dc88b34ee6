import { describe, expect, it } from 'vitest';
import { DataError } from '../../../src/data/errors.js';
import { loadSnips } from '../../../src/data/loaders/snips.js';
import { parseSentimentFile, readUciSentiment, stratifiedSentimentSplit } from '../../../src/data/loaders/sentiment.js';
import { loadSnipsSentiment } from '../../../src/data/loaders/snips-sentiment.js';
import { Vocabulary } from '../../../src/data/text/tokenizer.js';

describe('UCI sentiment reader', () => {
  it('splits lines on \\n only, each at its last tab, with no quoting', () => {
    const text = 'Good\u0085 film,\t"quoted" part\t1\n"Stray quote\t0\r\n\nBad.\t0';
    expect(parseSentimentFile(text, 1, 'f.txt')).toEqual([
      { sentence: 'Good\u0085 film,\t"quoted" part', label: 1, source: 1 },
      { sentence: '"Stray quote', label: 0, source: 1 },
      { sentence: 'Bad.', label: 0, source: 1 },
    ]);
    expect(() => parseSentimentFile('ok\t1\nno label here\n', 0, 'f.txt')).toThrow(DataError);
    expect(() => parseSentimentFile('ok\t2\n', 0, 'f.txt')).toThrow(/f\.txt:1: label must be 0 or 1/);
  });

  it('reads 3,000 sentences (500 per source and label) and splits them stratified, seeded', async () => {
    const records = await readUciSentiment();
    expect(records.length).toBe(3000);
    for (let s = 0; s < 3; s++) for (const l of [0, 1]) expect(records.filter((r) => r.source === s && r.label === l).length).toBe(500);
    expect(records.some((r) => r.sentence.includes('\u0085'))).toBe(true);
    const a = stratifiedSentimentSplit(records, 0), b = stratifiedSentimentSplit(records, 0), c = stratifiedSentimentSplit(records, 1);
    expect(a).toEqual(b);
    expect(a.test).not.toEqual(c.test);
    expect([a.train.length, a.dev.length, a.test.length]).toEqual([2100, 300, 600]);
    expect(new Set([...a.train, ...a.dev, ...a.test]).size).toBe(3000);
    for (let s = 0; s < 3; s++) for (const l of [0, 1]) expect(a.test.filter((i) => records[i]!.source === s && records[i]!.label === l).length).toBe(100);
  });
});

describe('SNIPS loader', () => {
  it('reads the official splits: intent (7) and slots (72 BIO tags, NaN at padding), vocabulary from train only', async () => {
    const split = await loadSnips();
    expect([split.train.n, split.dev!.n, split.test.n]).toEqual([13084, 700, 700]);
    expect(split.train.inputShape).toEqual([35]);
    const [intent, slots] = split.train.tasks;
    expect(intent).toMatchObject({ name: 'intent', kind: 'multiclass', outputSize: 7 });
    expect(slots).toMatchObject({ name: 'slots', kind: 'sequence', width: 35, outputSize: 72 });
    expect(slots!.labelNames!.slice(0, 3)).toEqual(['O', 'B-album', 'I-album']);
    // First training line: "listen to westbam alumb allergic on google music" / O O B-artist O B-album O B-service I-service
    const vocab = Vocabulary.fromTokens(split.text.vocabulary);
    expect(vocab.decode(split.train.x.subarray(0, 35)).length).toBe(8);
    const y = split.train.labels.slots!.subarray(0, 35);
    expect(Array.from(y.subarray(0, 8)).map((k) => slots!.labelNames![k])).toEqual(['O', 'O', 'B-artist', 'O', 'B-album', 'O', 'B-service', 'I-service']);
    expect(Array.from(y.subarray(8)).every(Number.isNaN)).toBe(true);
    expect(split.train.labels.intent![0]).toBe(intent!.labelNames!.indexOf('PlayMusic'));
    expect(split.text.vocabulary.slice(0, 2)).toEqual(['<pad>', '<unk>']);
    expect(split.text.minCount).toBe(2);
  });

  it('joined with the sentiment data: one shared vocabulary, each row labelled only for its own tasks', async () => {
    const split = await loadSnipsSentiment({ limit: 300, testLimit: 50 });
    expect(split.train.tasks.map((t) => t.name)).toEqual(['intent', 'slots', 'sentiment', 'domain']);
    expect(split.train.n).toBe(600);
    expect(split.test.n).toBe(100);
    const { labels } = split.train;
    expect(Number.isNaN(labels.intent![0]!)).toBe(false);
    expect(Number.isNaN(labels.sentiment![0]!)).toBe(true);
    expect(Number.isNaN(labels.intent![300]!)).toBe(true);
    expect(Array.from(labels.slots!.subarray(300 * 35, 301 * 35)).every(Number.isNaN)).toBe(true);
    expect(Number.isNaN(labels.domain![300]!)).toBe(false);
    const vocab = Vocabulary.fromTokens(split.text.vocabulary);
    expect(vocab.has('play')).toBe(true); // SNIPS word
    expect(vocab.has('great')).toBe(true); // review word
    expect(split.text.sources).toEqual(['snips/train', 'uci-sentiment/train']);
  });
});
