import { describe, expect, it } from 'vitest';
import { formatMeta, runMeta } from '../../src/run/meta.js';

describe('mtl meta (end to end, small)', () => {
  it('meta-trains on school, adapts the inits to held-out schools and tabulates the query error', async () => {
    const r = await runMeta({ model: 'linear', iterations: 60, steps: [1, 5], secondOrder: true, scratchSeeds: 2 });
    expect(r.schools.metaTrain + r.schools.metaTest).toBe(139);
    expect(r.steps).toEqual([0, 1, 5]);
    expect(r.rows.map((x) => x.init)).toEqual(['MAML (first order)', 'MAML (second order)', 'Reptile', 'pooled → fine-tune', 'scratch (random init, mean of 2)']);
    const pooled = r.rows.find((x) => x.init.startsWith('pooled'))!, scratch = r.rows.find((x) => x.init.startsWith('scratch'))!;
    // A random linear init is far off; gradient steps bring it down; the pooled init starts near a ridge fit.
    expect(scratch.rmse[0]!).toBeGreaterThan(pooled.rmse[0]!);
    expect(scratch.rmse[5]!).toBeLessThan(scratch.rmse[0]!);
    expect(pooled.rmse[0]!).toBeLessThan(1.1 * r.ridgeReference.rmse);
    expect(formatMeta(r)).toContain('| Reptile |');
  });
});
