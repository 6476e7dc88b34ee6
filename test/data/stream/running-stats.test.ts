/**
 * One-pass statistics of a streamed table's first pass: Welford / Chan give the same numeric states as
 * the in-memory two-pass fitPreprocessingWith, to 1e-9 relative (an offset, missing values, a constant
 * column, an empty one); with a huge offset and a tiny spread, where the naive sum of the in-memory
 * mean loses digits, Welford stays within 1e-3.
 */
import { describe, expect, it } from 'vitest';
import { fitPreprocessingWith } from '../../../src/data/preprocess.js';
import { numericStat, RunningMoments } from '../../../src/data/running-stats.js';
import { mulberry32 } from '../../../src/data/split.js';
import type { FeatureSpec, RawValue } from '../../../src/data/types.js';

const rand = mulberry32(7);
const N = 20_000;
const columns: RawValue[][] = [
  Array.from({ length: N }, () => String(rand() * 100 - 50)),
  Array.from({ length: N }, () => 1e6 + rand() * 10), // an offset
  Array.from({ length: N }, (_, i) => (i % 7 === 0 ? (i % 2 ? '' : '?') : (rand() * 3) ** 4)), // missing values, skewed
  Array.from({ length: N }, () => '4.25'), // constant → std 1
  Array.from({ length: N }, () => null), // no value → mean 0, std 1
];
const features: FeatureSpec[] = columns.map((_, i) => ({ column: `c${i}`, type: 'numeric' }));

const rel = (a: number, b: number) => Math.abs(a - b) / Math.max(Math.abs(b), 1e-300);

describe('one-pass numeric statistics', () => {
  it('equal fitPreprocessingWith to 1e-9 relative', () => {
    const memory = fitPreprocessingWith(features, N, (r, f) => columns[f]![r]);
    columns.forEach((col, f) => {
      const stat = numericStat(`c${f}`);
      for (const v of col) stat.add(v);
      const a = stat.finish();
      const b = memory.features[f]!;
      expect(a.type).toBe('numeric');
      if (a.type !== 'numeric' || b.type !== 'numeric') return;
      expect(rel(a.mean, b.mean) < 1e-9 || a.mean === b.mean, `c${f} mean ${a.mean} vs ${b.mean}`).toBe(true);
      expect(rel(a.std, b.std), `c${f} std ${a.std} vs ${b.std}`).toBeLessThan(1e-9);
    });
  });

  it("Chan's merge of parts equals one pass over the whole", () => {
    const whole = new RunningMoments();
    const parts = [new RunningMoments(), new RunningMoments(), new RunningMoments()];
    for (let i = 0; i < N; i++) {
      const x = Number(columns[0]![i]);
      whole.add(x);
      parts[i % 3 === 0 ? 0 : i < N / 2 ? 1 : 2]!.add(x);
    }
    const merged = new RunningMoments().merge(parts[0]!).merge(parts[1]!).merge(parts[2]!);
    expect(merged.n).toBe(N);
    expect(rel(merged.mean, whole.mean)).toBeLessThan(1e-12);
    expect(rel(merged.std, whole.std)).toBeLessThan(1e-12);
    expect([merged.min, merged.max]).toEqual([whole.min, whole.max]);
  });

  it('stays accurate with a huge offset and a tiny spread (the naive in-memory sum is off by a third there)', () => {
    const xs = Array.from({ length: N }, () => 1e9 + rand() * 1e-3);
    const stat = numericStat('x');
    for (const x of xs) stat.add(x);
    // Reference: two passes over the exactly shifted values (x − 1e9 is exact in double).
    const d = xs.map((x) => x - 1e9);
    const mean = d.reduce((a, b) => a + b, 0) / N;
    const std = Math.sqrt(d.reduce((a, b) => a + (b - mean) ** 2, 0) / N);
    const s = stat.finish();
    if (s.type !== 'numeric') throw new Error('numeric expected');
    expect(rel(s.std, std)).toBeLessThan(1e-3);
    expect(Math.abs(s.mean - (1e9 + mean))).toBeLessThan(1e-6);
  });

  it('a value that is not a number throws naming the column', () => {
    const stat = numericStat('age');
    expect(() => stat.add('n/a')).toThrow("column 'age': not a number: 'n/a'");
  });
});
