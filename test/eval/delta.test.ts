import { describe, expect, it } from 'vitest';
import { deltaM, relativeChange } from '../../src/eval/delta.js';
import { formatReport, withDeltas } from '../../src/eval/report.js';

describe('Δm%', () => {
  it('matches a hand-worked example', () => {
    // accuracy 0.9 vs 0.8 (higher better): +12.5%; MAE 1.2 vs 1.5 (lower better): +20%.
    expect(relativeChange({ mtl: 0.9, stl: 0.8, higherIsBetter: true })).toBeCloseTo(12.5, 10);
    expect(relativeChange({ mtl: 1.2, stl: 1.5, higherIsBetter: false })).toBeCloseTo(20, 10);
    expect(deltaM([
      { mtl: 0.9, stl: 0.8, higherIsBetter: true },
      { mtl: 1.2, stl: 1.5, higherIsBetter: false },
    ])).toBeCloseTo(16.25, 10);
    // Worse on both: accuracy 0.7 vs 0.8 → −12.5%; MAE 2 vs 1.6 → −25% → −18.75%.
    expect(deltaM([
      { mtl: 0.7, stl: 0.8, higherIsBetter: true },
      { mtl: 2, stl: 1.6, higherIsBetter: false },
    ])).toBeCloseTo(-18.75, 10);
  });

  it('the report carries per-task deltas and Δm%', () => {
    const r = withDeltas({
      name: 't', backend: 'cpu', architecture: 'hps', seed: 0, seconds: { mtl: 1 }, createdAt: '',
      tasks: {
        a: { kind: 'binary', primary: 'auc', higherIsBetter: true, mtl: { auc: 0.9 }, stl: { auc: 0.8 } },
        b: { kind: 'regression', primary: 'mae', higherIsBetter: false, mtl: { mae: 1.2 }, stl: { mae: 1.5 } },
      },
    });
    expect(r.tasks.a.delta).toBeCloseTo(12.5, 10);
    expect(r.deltaM).toBeCloseTo(16.25, 10);
    expect(formatReport(r)).toContain('+16.25%');
  });
});
