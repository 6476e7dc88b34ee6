import { describe, expect, it } from 'vitest';
import { detokenize, encodeSentences, PAD, tokenize, UNK, Vocabulary } from '../../../src/data/text/tokenizer.js';

describe('tokenizer and vocabulary', () => {
  it('splits on whitespace (U+0085 included), lower-cases on request, splits outer punctuation on request', () => {
    expect(tokenize('  Book a  table\tfor TWO \n')).toEqual(['Book', 'a', 'table', 'for', 'TWO']);
    expect(tokenize('Book a table', { lowercase: true })).toEqual(['book', 'a', 'table']);
    expect(tokenize('great\u0085movie')).toEqual(['great', 'movie']);
    expect(tokenize('A "slow-moving", aimless movie... don\'t!', { lowercase: true, punctuation: 'split' }))
      .toEqual(['a', '"', 'slow-moving', '"', ',', 'aimless', 'movie', '.', '.', '.', "don't", '!']);
    expect(tokenize('')).toEqual([]);
  });

  it('builds the vocabulary from training sentences: <pad> = 0, <unk> = 1, min count, deterministic order', () => {
    const train = [['b', 'a', 'b'], ['c', 'b', 'a'], ['d']];
    const v = Vocabulary.build(train, { minCount: 2 });
    expect(v.tokens).toEqual([PAD, UNK, 'b', 'a']); // b ×3, a ×2; c, d seen once → <unk>
    expect(v.id('b')).toBe(2);
    expect(v.id('c')).toBe(1);
    expect(v.id('never seen')).toBe(1);
    expect(v.id(PAD)).toBe(1); // a word spelt <pad> is never padding
    expect(Vocabulary.build(train).tokens).toEqual([PAD, UNK, 'b', 'a', 'c', 'd']); // ties by code point
    expect(() => Vocabulary.fromTokens(['x', UNK])).toThrow(/starts with/);
  });

  it('encodes to fixed-length ids with padding and mask, and decodes back (round trip)', () => {
    const sentences = [['book', 'a', 'table', 'for', 'two'], ['play', 'music']];
    const v = Vocabulary.build(sentences);
    const e = v.encode(sentences[0]!, 8);
    expect(Array.from(e.mask)).toEqual([1, 1, 1, 1, 1, 0, 0, 0]);
    expect(Array.from(e.ids.slice(5))).toEqual([0, 0, 0]);
    expect(e.length).toBe(5);
    for (const s of sentences) {
      expect(v.decode(v.encode(s, 8).ids)).toEqual(s);
      expect(tokenize(detokenize(s))).toEqual(s);
    }
    // Unknown words come back as <unk>; long sentences are truncated to L.
    expect(v.decode(v.encode(['play', 'jazz'], 4).ids)).toEqual(['play', UNK]);
    const t = v.encode(['book', 'a', 'table', 'for', 'two'], 3);
    expect(t.truncated).toBe(2);
    expect(v.decode(t.ids)).toEqual(['book', 'a', 'table']);
    // The dataset form: floats, n × L.
    const { x, lengths } = encodeSentences(sentences, v, 6);
    expect(x.length).toBe(12);
    expect(Array.from(lengths)).toEqual([5, 2]);
    expect(v.decode(x.subarray(6))).toEqual(['play', 'music']);
    // The saved form restores the same ids.
    expect(Vocabulary.fromTokens(v.toJSON()).id('table')).toBe(v.id('table'));
  });
});
