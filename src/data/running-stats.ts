/**
 * One-pass mean and population standard deviation, for statistics over data that is read once and not
 * kept (a streamed file's first pass). Welford's update per value, Chan et al.'s parallel formula to
 * merge two partial results:
 *
 *   add x:   n ← n + 1;  δ = x − mean;  mean ← mean + δ / n;  M2 ← M2 + δ (x − mean)
 *   merge:   n = nA + nB;  δ = meanB − meanA;  mean = meanA + δ nB / n;  M2 = M2A + M2B + δ² nA nB / n
 *   std = √(M2 / n)  (population, divide by n, as fitPreprocessingWith)
 *
 * Welford's M2 has no catastrophic cancellation (unlike Σx² − n·mean²), so it matches the in-memory
 * two-pass result to ~1e-12 relative. `numericStat` gives the numeric FeatureState exactly as
 * src/data/preprocess.ts fitPreprocessingWith does: no value → mean 0; std 0 or not finite → 1.
 * Pure code (no Node APIs).
 */
import { isMissing } from './preprocess.js';
import type { FeatureState, RawValue } from './types.js';

export class RunningMoments {
  n = 0;
  mean = 0;
  /** Sum of squared deviations from the mean. */
  m2 = 0;
  min = Infinity;
  max = -Infinity;

  add(x: number): void {
    this.n++;
    const d = x - this.mean;
    this.mean += d / this.n;
    this.m2 += d * (x - this.mean);
    if (x < this.min) this.min = x;
    if (x > this.max) this.max = x;
  }

  /** Chan's parallel update: this becomes the moments of both sets. */
  merge(o: RunningMoments): this {
    if (o.n === 0) return this;
    if (this.n === 0) {
      Object.assign(this, { n: o.n, mean: o.mean, m2: o.m2, min: o.min, max: o.max });
      return this;
    }
    const n = this.n + o.n;
    const d = o.mean - this.mean;
    this.mean += (d * o.n) / n;
    this.m2 += o.m2 + (d * d * this.n * o.n) / n;
    this.n = n;
    this.min = Math.min(this.min, o.min);
    this.max = Math.max(this.max, o.max);
    return this;
  }

  /** Population standard deviation (0 with no value). */
  get std(): number {
    return this.n > 0 ? Math.sqrt(this.m2 / this.n) : 0;
  }
}

/** The statistics of one numeric feature, fed one raw training value at a time (missing ones skipped). */
export interface NumericFeatureStat {
  /** Adds a value; throws `not a number: '…'` for a cell that is neither missing nor a finite number. */
  add(v: RawValue): void;
  finish(): FeatureState;
  readonly moments: RunningMoments;
}

export function numericStat(column: string): NumericFeatureStat {
  const moments = new RunningMoments();
  return {
    moments,
    add(v) {
      if (isMissing(v)) return;
      const x = typeof v === 'number' ? v : Number(v);
      if (!Number.isFinite(x)) throw new Error(`column '${column}': not a number: '${String(v)}'`);
      moments.add(x);
    },
    finish() {
      const std = moments.std;
      return { column, type: 'numeric', mean: moments.n > 0 ? moments.mean : 0, std: std > 0 && Number.isFinite(std) ? std : 1 };
    },
  };
}
