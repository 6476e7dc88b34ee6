/** A small seeded synthetic dataset with three task kinds and missing labels, for trainer tests. */
import { mulberry32 } from '../../src/data/split.js';
import type { Dataset } from '../../src/data/types.js';

export function syntheticDataset(n = 600, d = 8, seed = 1): Dataset {
  const rnd = mulberry32(seed);
  const x = new Float32Array(n * d).map(() => rnd() * 2 - 1);
  const a = new Float32Array(n), b = new Float32Array(n), c = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const r = x.subarray(i * d, i * d + d);
    a[i] = r[0] + r[1] > 0 ? 1 : 0;
    b[i] = 3 * r[2] - r[3] + 10;
    // Every third sample has no label for task c.
    c[i] = i % 3 === 0 ? NaN : r[4] > 0 ? 2 : r[5] > 0 ? 1 : 0;
  }
  return {
    name: 'synthetic', inputShape: [d], n, x,
    tasks: [
      { name: 'a', kind: 'binary', width: 1, outputSize: 1 },
      { name: 'b', kind: 'regression', width: 1, outputSize: 1 },
      { name: 'c', kind: 'multiclass', width: 1, outputSize: 3 },
    ],
    labels: { a, b, c },
  };
}
