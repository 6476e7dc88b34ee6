import { describe, expect, it } from 'vitest';
import { corpusBleu } from '../../src/eval/bleu.js';
import { exactMatch, meanMatchF1, tokenF1 } from '../../src/eval/token-f1.js';

const w = (s: string) => s.split(' ');

describe('corpus BLEU-4 (Papineni et al. 2002)', () => {
  it('a 2-sentence corpus, worked by hand', () => {
    // cand 1 "the cat sat on the mat"  vs  ref 1 "the cat sat on a mat"
    //   1-grams: the (2 in cand, 1 in ref → clipped to 1), cat, sat, on, mat → 5 of 6
    //   2-grams: the cat, cat sat, sat on ✓; on the, the mat ✗ → 3 of 5
    //   3-grams: the cat sat, cat sat on ✓; sat on the, on the mat ✗ → 2 of 4
    //   4-grams: the cat sat on ✓; cat sat on the, sat on the mat ✗ → 1 of 3
    // cand 2 "a dog barks"  vs  ref 2 "a dog barks loudly today"
    //   1-grams 3 of 3, 2-grams 2 of 2, 3-grams 1 of 1, 4-grams 0 of 0
    // Corpus: p1 = 8/9, p2 = 5/7, p3 = 3/5, p4 = 1/3; c = 6 + 3 = 9 < r = 6 + 5 = 11: BP = exp(1 − 11/9).
    // BLEU = exp(−2/9) · (8/9 · 5/7 · 3/5 · 1/3)^(1/4) = 0.800737 · (8/63)^(1/4) = 0.800737 · 0.596948 = 0.478000
    const r = corpusBleu([w('the cat sat on the mat'), w('a dog barks')], [[w('the cat sat on a mat')], [w('a dog barks loudly today')]]);
    expect(r.precisions[0]).toBeCloseTo(8 / 9, 12);
    expect(r.precisions[1]).toBeCloseTo(5 / 7, 12);
    expect(r.precisions[2]).toBeCloseTo(3 / 5, 12);
    expect(r.precisions[3]).toBeCloseTo(1 / 3, 12);
    expect([r.candidateLength, r.referenceLength]).toEqual([9, 11]);
    expect(r.brevityPenalty).toBeCloseTo(Math.exp(-2 / 9), 12);
    expect(r.bleu).toBeCloseTo(Math.exp(-2 / 9) * Math.pow(8 / 63, 0.25), 12);
    expect(r.bleu).toBeCloseTo(0.478, 3);
  });

  it('is 1 for identical corpora, 0 without a matching 4-gram (no smoothing), > 0 with ε smoothing', () => {
    expect(corpusBleu([w('a b c d e')], [[w('a b c d e')]]).bleu).toBeCloseTo(1, 12);
    const none = corpusBleu([w('a b c x d')], [[w('a b c d e')]]);
    expect(none.precisions[3]).toBe(0);
    expect(none.bleu).toBe(0);
    // ε = 0.1 for the empty 4-gram count: (4/5 · 2/4 · 1/3 · 0.1/2)^(1/4), BP = 1 (c = r = 5).
    expect(corpusBleu([w('a b c x d')], [[w('a b c d e')]], { smoothing: 'epsilon' }).bleu).toBeCloseTo(Math.pow((4 / 5) * (2 / 4) * (1 / 3) * (0.1 / 2), 0.25), 12);
  });

  it('clips by the largest count over several references and takes the closest reference length', () => {
    // cand "the the the" vs refs "the cat" and "the the dog": "the" clipped to 2 → p1 = 2/3; r = 3 (|3 − 3| < |2 − 3|).
    const r = corpusBleu([w('the the the')], [[w('the cat'), w('the the dog')]], { maxOrder: 1 });
    expect(r.precisions[0]).toBeCloseTo(2 / 3, 12);
    expect(r.referenceLength).toBe(3);
    expect(r.bleu).toBeCloseTo(2 / 3, 12);
    // A tie in distance takes the shorter reference: c = 2, refs 1 and 3 → r = 1, BP = 1.
    expect(corpusBleu([w('a b')], [[w('a'), w('a b c')]], { maxOrder: 1 }).referenceLength).toBe(1);
  });

  it('an empty candidate corpus scores 0; mismatched inputs are refused', () => {
    expect(corpusBleu([[]], [[w('a')]]).bleu).toBe(0);
    expect(() => corpusBleu([w('a')], [])).toThrow(/1 candidates but 0 reference sets/);
  });
});

describe('exact match and token F1 (SQuAD)', () => {
  it('token F1 on a hand case: pred a b b c, gold b b d → P = 2/4, R = 2/3, F1 = 4/7', () => {
    expect(tokenF1(['a', 'b', 'b', 'c'], ['b', 'b', 'd'])).toBeCloseTo(4 / 7, 12);
    expect(tokenF1(['x'], ['y'])).toBe(0);
    expect(tokenF1([], [])).toBe(1);
    expect(tokenF1([], ['a'])).toBe(0);
    // Bag of tokens: order does not matter for F1, but does for exact match.
    expect(tokenF1(['b', 'a'], ['a', 'b'])).toBe(1);
    expect(exactMatch(['b', 'a'], ['a', 'b'])).toBe(0);
    expect(exactMatch([1, 2], [1, 2])).toBe(1);
  });

  it('averages over examples', () => {
    const m = meanMatchF1([['a', 'b'], ['c']], [['a', 'b'], ['d']]);
    expect(m).toEqual({ exactMatch: 0.5, tokenF1: 0.5 });
    expect(Number.isNaN(meanMatchF1([], []).exactMatch)).toBe(true);
  });
});
