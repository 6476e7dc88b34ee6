/**
 * Seeded randomness for data handling: a mulberry32 PRNG, index shuffles, train/test splits and
 * row subsets of a Dataset. Same seed → same result on every platform (integer arithmetic only).
 */

import type { Dataset } from './types.js';

/** mulberry32: a small, fast 32-bit PRNG. Returns a function yielding floats in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A new array holding `items` in a random order (Fisher–Yates, drawing from `rand`). */
export function shuffled<T>(items: readonly T[], rand: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    const t = out[i]!;
    out[i] = out[j]!;
    out[j] = t;
  }
  return out;
}

/** A seeded Fisher–Yates permutation of 0..n-1. */
export function shuffleIndices(n: number, seed: number): number[] {
  return shuffled(Array.from({ length: n }, (_, i) => i), mulberry32(seed));
}

/**
 * Splits 0..n-1 into a test part of round(n × testFraction) random indices and a train part of the
 * rest. Both keep the shuffled order, so their first k elements are a random sample (files are often
 * sorted by class, e.g. MNIST's digit 0 first).
 */
export function trainTestSplit(n: number, testFraction: number, seed: number): { train: number[]; test: number[] } {
  if (!(testFraction >= 0 && testFraction <= 1)) throw new Error(`testFraction must be in [0, 1], got ${testFraction}`);
  const perm = shuffleIndices(n, seed);
  const nTest = Math.round(n * testFraction);
  return { train: perm.slice(nTest), test: perm.slice(0, nTest) };
}

/** A new Dataset holding the given rows (copied, in the given order) of x and of every task's labels. */
export function subsetDataset(ds: Dataset, indices: readonly number[], name: string = ds.name): Dataset {
  const rowSize = ds.inputShape.reduce((a, b) => a * b, 1);
  const x = new Float32Array(indices.length * rowSize);
  indices.forEach((src, i) => {
    if (!Number.isInteger(src) || src < 0 || src >= ds.n) throw new Error(`subsetDataset: index ${src} out of range 0..${ds.n - 1}`);
    x.set(ds.x.subarray(src * rowSize, (src + 1) * rowSize), i * rowSize);
  });
  const labels: Record<string, Float32Array> = {};
  for (const task of ds.tasks) {
    const w = task.width;
    const from = ds.labels[task.name]!;
    const to = new Float32Array(indices.length * w);
    indices.forEach((src, i) => to.set(from.subarray(src * w, (src + 1) * w), i * w));
    labels[task.name] = to;
  }
  return { name, inputShape: [...ds.inputShape], n: indices.length, x, tasks: ds.tasks.map((t) => structuredClone(t)), labels };
}
