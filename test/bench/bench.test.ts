import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/engine/backend.js';
import { loadMnist } from '../../src/data/loaders/mnist.js';
import type { Dataset } from '../../src/data/types.js';
import { measureMtljs } from '../../bench/mtljs.js';

let data: Dataset;

beforeAll(async () => {
  await initBackend('wasm');
  // A few batches of real MNIST are enough: the bench cycles through them.
  data = (await loadMnist({ flatten: true, limit: 512 })).train;
});

describe('bench (mtljs side)', () => {
  it('measures the MLP: positive finite steps/s and no tensor growth', () => {
    const r = measureMtljs({ model: 'mlp', data, seconds: 1 });
    expect(Number.isFinite(r.stepsPerSec)).toBe(true);
    expect(r.stepsPerSec).toBeGreaterThan(0);
    expect(r.steps).toBeGreaterThan(0);
    expect(r.seconds).toBeGreaterThanOrEqual(1);
    expect(r.tensorsEnd).toBe(r.tensorsStart);
    expect(Number.isFinite(r.lastLoss)).toBe(true);
    expect(r.peakRssMB).toBeGreaterThan(0);
  }, 20_000);

  it('rejects data of the wrong shape', () => {
    expect(() => measureMtljs({ model: 'cnn', data, seconds: 1 })).toThrow(/input shape/);
  });
});
