import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../src/data/split.js';
import { activeFrames, ctcBeamSearch, ctcGreedyDecode } from '../../src/tasks/ctc-decode.js';
import { ctcLogLikelihood } from '../../src/tasks/ctc-loss.js';

const flat = (rows: number[][]) => rows.flat();
/** The exact probability of a labelling: Σ over its paths (the CTC forward recursion). */
const probOf = (probs: number[][], labels: number[], blank = 0) =>
  Math.exp(ctcLogLikelihood(probs.flat().map(Math.log), probs.length, probs[0]!.length, labels, blank));

describe('greedy (best-path) decoding', () => {
  it('takes the argmax per frame, collapses repeats, drops blanks', () => {
    // Classes 0 = blank, 1 = a, 2 = b. Path a a − a b b − → "a a b" (the blank separates the two a's).
    const oneHot = (k: number) => [0, 1, 2].map((j) => (j === k ? 0.8 : 0.1));
    const path = [1, 1, 0, 1, 2, 2, 0];
    expect(ctcGreedyDecode(flat(path.map(oneHot)), path.length, 3, 0)).toEqual([1, 1, 2]);
    // Blank last (index 2), as the ctc task uses: path 0 0 2 1 → "0 1".
    expect(ctcGreedyDecode(flat([0, 0, 2, 1].map(oneHot)), 4, 3, 2)).toEqual([0, 1]);
    // An all-blank path is the empty labelling.
    expect(ctcGreedyDecode(flat([0, 0].map(oneHot)), 2, 3, 0)).toEqual([]);
  });

  it('stops at the padding (trailing all-zero frames) or at an explicit length', () => {
    const rows = [[0.1, 0.9, 0], [0.9, 0.1, 0], [0.1, 0.1, 0.8], [0, 0, 0], [0, 0, 0]];
    expect(activeFrames(flat(rows), 0, 5, 3)).toBe(3);
    // In a padded frame argmax would be class 0; the padding is not read at all.
    expect(ctcGreedyDecode(flat(rows), 5, 3, 1)).toEqual([0, 2]);
    expect(ctcGreedyDecode(flat(rows), 5, 3, 1, 0, 2)).toEqual([0]);
    expect(ctcGreedyDecode(flat(rows), 5, 3, 1, 0, 1)).toEqual([]); // frame 0 is the blank (1)
    // A second row at an offset.
    const two = [...flat(rows), ...flat([[0, 0.2, 0.8], [0, 0, 0], [0, 0, 0], [0, 0, 0], [0, 0, 0]])];
    expect(ctcGreedyDecode(two, 5, 3, 1, 15)).toEqual([2]);
  });
});

describe('prefix beam search', () => {
  it('finds the more probable labelling where greedy takes the most probable path', () => {
    // 0 = blank, 1 = a. Each frame: blank 0.6, a 0.4. Greedy: − − → "" with p = 0.36.
    // "a" has three paths: a a, a −, − a: 0.16 + 0.24 + 0.24 = 0.64 > 0.36.
    const probs = [[0.6, 0.4], [0.6, 0.4]];
    expect(ctcGreedyDecode(flat(probs), 2, 2, 0)).toEqual([]);
    const [best] = ctcBeamSearch(flat(probs), 2, 2, { beamWidth: 4 });
    expect(best!.labels).toEqual([1]);
    expect(Math.exp(best!.logProb)).toBeCloseTo(0.64, 12);
    expect(probOf(probs, [1])).toBeCloseTo(0.64, 12);
    expect(probOf(probs, [])).toBeCloseTo(0.36, 12);
  });

  it('a wide beam returns each labelling with its exact probability (the forward recursion), best first', () => {
    const rnd = mulberry32(5);
    const T = 5, K = 3;
    const probs = Array.from({ length: T }, () => {
      const v = [rnd() + 0.05, rnd() + 0.05, rnd() + 0.05];
      const s = v[0]! + v[1]! + v[2]!;
      return v.map((x) => x / s);
    });
    const results = ctcBeamSearch(flat(probs), T, K, { beamWidth: 1000, top: 1000 });
    // Every labelling of ≤ 5 frames over 2 symbols appears once, with the probability the loss computes…
    for (const r of results) expect(Math.exp(r.logProb)).toBeCloseTo(probOf(probs, r.labels), 12);
    // …they sum to 1 (every path collapses to exactly one labelling)…
    expect(results.reduce((s, r) => s + Math.exp(r.logProb), 0)).toBeCloseTo(1, 12);
    // …and come sorted, best first.
    for (let i = 1; i < results.length; i++) expect(results[i]!.logProb).toBeLessThanOrEqual(results[i - 1]!.logProb);
  });

  it('on random outputs its answer is at least as probable as greedy\'s', () => {
    const rnd = mulberry32(9);
    let strictly = 0;
    for (let trial = 0; trial < 40; trial++) {
      const T = 6, K = 4;
      const probs = Array.from({ length: T }, () => {
        const v = Array.from({ length: K }, () => rnd() ** 2 + 0.01);
        const s = v.reduce((a, b) => a + b, 0);
        return v.map((x) => x / s);
      });
      const greedy = ctcGreedyDecode(flat(probs), T, K, 0);
      const [beam] = ctcBeamSearch(flat(probs), T, K, { beamWidth: 16 });
      const pg = probOf(probs, greedy), pb = probOf(probs, beam!.labels);
      expect(pb).toBeGreaterThanOrEqual(pg - 1e-12);
      if (pb > pg + 1e-9) strictly++;
    }
    expect(strictly).toBeGreaterThan(0);
  });

  it('checks its options', () => {
    expect(() => ctcBeamSearch([0.5, 0.5], 1, 2, { beamWidth: 0 })).toThrow(/beamWidth/);
    expect(() => ctcBeamSearch([0.5, 0.5], 1, 2, { blank: 2 })).toThrow(/blank/);
  });
});
