import { describe, expect, it } from 'vitest';
import { createTask } from '../../src/tasks/registry.js';
import { decodeIds, encodeTargets, generateMetrics, generateVocabulary, sequenceIds } from '../../src/tasks/generate.js';
import { copyCount, copyPosition, copyToken } from '../../src/data/generate-targets.js';
import { taskKindNames } from '../../src/tasks/registry.js';
import { TASK_KINDS } from '../../src/data/types.js';

const vocab = generateVocabulary(['play', 'jazz', 'rock', 'play']); // <pad> <bos> <eos> <unk> jazz play rock

describe('generate: vocabulary and labels', () => {
  it('specials first, then <unk>, then the tokens sorted and deduplicated', () => {
    expect(vocab).toEqual(['<pad>', '<bos>', '<eos>', '<unk>', 'jazz', 'play', 'rock']);
  });

  it('encodes targets as ids + <eos>, NaN after; unknown words → <unk>; too long targets are cut', () => {
    const { labels, truncated } = encodeTargets([['play', 'jazz'], ['play', 'blues', 'rock', 'jazz']], vocab, 4);
    expect(Array.from(labels.subarray(0, 4))).toEqual([5, 4, 2, NaN]);
    expect(Array.from(labels.subarray(4, 8))).toEqual([5, 3, 6, 2]); // cut to U − 1 = 3 tokens, then <eos>
    expect(truncated).toBe(1);
    expect(sequenceIds(labels.subarray(0, 4))).toEqual([5, 4]);
    expect(decodeIds([5, 4, 2, 0], vocab)).toEqual(['play', 'jazz']);
    expect(() => encodeTargets([['x']], ['<pad>', '<bos>', '<eos>', 'a'], 3)).toThrow(/not in the vocabulary, which has no <unk>/);
  });

  it('copy tokens: <copy:0> … <copy:S−1> end the vocabulary; decodeIds with the input tokens reads them back as words', () => {
    const v = generateVocabulary(['Play', '(', ')', '<copy:7>', 'Play'], { copy: 3 });
    expect(v).toEqual(['<pad>', '<bos>', '<eos>', '<unk>', '(', ')', 'Play', '<copy:0>', '<copy:1>', '<copy:2>']);
    expect([copyCount(v), copyCount(vocab), copyPosition('<copy:12>'), copyPosition('copy'), copyToken(4)]).toEqual([3, 0, 12, -1, '<copy:4>']);
    const row = [6, 4, 9, 7, 5, 2, 0];
    expect(decodeIds(row, v)).toEqual(['Play', '(', '<copy:2>', '<copy:0>', ')']);
    expect(decodeIds(row, v, ['daft', 'x', 'punk'])).toEqual(['Play', '(', 'punk', 'daft', ')']);
    expect(decodeIds(row, v, ['daft'])).toEqual(['Play', '(', '<unk>', 'daft', ')']); // past the input's end
    expect(() => copyCount(['<pad>', '<bos>', '<eos>', '<copy:1>', '<copy:0>'])).toThrow(/in order at its end/);
    expect(() => copyCount(['<pad>', '<bos>', '<eos>', '<copy:0>', 'a', '<copy:0>'])).toThrow(/all be at its end/);
  });

  it('is a registered kind with a checked spec', () => {
    expect(TASK_KINDS).toContain('generate');
    expect(taskKindNames()).toContain('generate');
    const t = createTask({ name: 'g', kind: 'generate', width: 5, outputSize: vocab.length, labelNames: vocab });
    expect([t.headUnits, t.primary, t.higherIsBetter]).toEqual([5, 'exact_match', true]);
    expect(() => createTask({ name: 'g', kind: 'generate', width: 5, outputSize: 4, labelNames: ['a', 'b', 'c', 'd'] })).toThrow(/starting <pad>, <bos>, <eos>/);
    expect(() => createTask({ name: 'g', kind: 'generate', width: 5, outputSize: 3, labelNames: ['<pad>', '<bos>', '<eos>'] })).toThrow(/at least one more token/);
  });
});

describe('generate: metrics', () => {
  it('exact match, token F1 and BLEU on the tokens before <eos>; unlabelled rows skipped; a gold <unk> never matches', () => {
    const U = 4, N = NaN;
    // Gold: [play jazz], [play rock jazz], [play <unk>], (no label).
    const labels = Float32Array.from([5, 4, 2, N, 5, 6, 4, 2, 5, 3, 2, N, N, N, N, N]);
    // Predicted: [play jazz] (right), [play rock] (cut short), [play <unk>] (an <unk> earns nothing), anything.
    const pred = Float32Array.from([5, 4, 2, 0, 5, 6, 2, 0, 5, 3, 2, 0, 4, 4, 4, 4]);
    const m = generateMetrics(pred, labels, 4, U, 3);
    expect(m.count).toBe(3);
    expect(m.exact_match).toBeCloseTo(1 / 3, 12);
    // F1: 1; P = 2/2, R = 2/3 → 0.8; common 1 of 2 each → 0.5.
    expect(m.token_f1).toBeCloseTo((1 + 0.8 + 0.5) / 3, 12);
    // BLEU: 1-grams 2 + 2 + 1 of 6, 2-grams 1 + 1 + 0 of 3, no 3-gram match in the corpus ("play jazz" is too short) → 0.
    expect(m.bleu).toBe(0);
  });

  it('equals 1 everywhere for perfect long-enough predictions', () => {
    const labels = Float32Array.from([5, 6, 4, 5, 2]), pred = Float32Array.from([5, 6, 4, 5, 2]);
    expect(generateMetrics(pred, labels, 1, 5, 3)).toEqual({ exact_match: 1, token_f1: 1, bleu: 1, count: 1 });
  });
});
