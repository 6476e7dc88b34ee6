import { describe, expect, it } from 'vitest';
import { cer, errorRate, levenshtein, wer, words } from '../../src/eval/error-rate.js';

describe('Levenshtein distance', () => {
  it('hand-checked pairs', () => {
    expect(levenshtein('kitten', 'sitting')).toBe(3); // k→s, e→i, +g
    expect(levenshtein('flaw', 'lawn')).toBe(2); // −f, +n
    expect(levenshtein('', 'abc')).toBe(3);
    expect(levenshtein('abc', '')).toBe(3);
    expect(levenshtein('same', 'same')).toBe(0);
    expect(levenshtein([1, 2, 3], [1, 3])).toBe(1);
    expect(levenshtein(['play', 'some', 'jazz'], ['play', 'jazz', 'now'])).toBe(2);
  });

  it('is a metric on random strings: symmetric, and the triangle inequality holds', () => {
    const strs = ['', 'a', 'ab', 'ba', 'abc', 'cab', 'aabb', 'bbaa', 'abcabc'];
    for (const a of strs) for (const b of strs) {
      expect(levenshtein(a, b)).toBe(levenshtein(b, a));
      for (const c of strs) expect(levenshtein(a, c)).toBeLessThanOrEqual(levenshtein(a, b) + levenshtein(b, c));
    }
  });
});

describe('WER and CER', () => {
  it('sum of edits over sum of reference lengths (not a mean of per-utterance rates)', () => {
    // Utterance 1: "play some jazz" → "play jazz": 1 deletion of 3 words.
    // Utterance 2: "stop" → "stop now": 1 insertion of 1 word.
    // Corpus WER = (1 + 1) / (3 + 1) = 0.5 (the mean of per-utterance rates would be (1/3 + 1) / 2).
    expect(wer(['play some jazz', 'stop'], ['play jazz', 'stop now'])).toBeCloseTo(0.5, 12);
    // CER counts characters, spaces included: "cat" → "cut" 1 of 3; "a b" → "ab" 1 of 3.
    expect(cer(['cat', 'a b'], ['cut', 'ab'])).toBeCloseTo(2 / 6, 12);
    // Insertions can take the rate above 1.
    expect(wer(['hi'], ['oh hi there you'])).toBe(3);
    expect(wer(['a b'], ['a b'])).toBe(0);
    // No reference at all: undefined.
    expect(Number.isNaN(cer([''], ['x']))).toBe(true);
  });

  it('splits words on any whitespace and rates id sequences too', () => {
    expect(words('  book  a\ttable \n')).toEqual(['book', 'a', 'table']);
    expect(errorRate([[1, 2, 3], [4]], [[1, 3], [4, 4]])).toEqual({ rate: 0.5, edits: 2, length: 4 });
    expect(() => errorRate([[1]], [])).toThrow(/1 references but 0 hypotheses/);
  });
});
