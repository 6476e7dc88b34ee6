/** Shared pieces of the architecture tests: small configs, tasks of the synthetic dataset, comparisons. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'vitest';
import { tf } from '../../src/engine/tf.js';
import { loadLayersModel, saveLayersModel } from '../../src/models/io.js';
import { buildModel } from '../../src/models/registry.js';
import type { MultiTaskModel } from '../../src/models/types.js';
import { createTask } from '../../src/tasks/registry.js';
import type { Task } from '../../src/tasks/types.js';
import type { Dataset } from '../../src/data/types.js';
import { syntheticDataset } from '../helpers/synthetic.js';

export const ARCHITECTURES = ['cross-stitch', 'mtan', 'mmoe', 'cgc', 'ple', 'additive'] as const;

/** Synthetic data: 8 inputs, tasks a (binary), b (regression), c (3 classes, some labels missing). */
export const ds: Dataset = syntheticDataset(128, 8, 3);

export function tasksOf(d: Dataset = ds): Task[] {
  return d.tasks.map((s) => createTask(s, {}, { values: d.labels[s.name], n: d.n }));
}

export const MLP = { type: 'mlp', hidden: [6, 4] };
export const CNN = { type: 'cnn', conv: [{ filters: 3, kernel: 3, pool: true }, { filters: 4, kernel: 2 }], dense: [5] };

export function build(arch: string, options: Record<string, unknown> = {}, seed = 1, d: Dataset = ds, encoder: object = MLP): { model: MultiTaskModel; tasks: Task[] } {
  const tasks = tasksOf(d);
  const model = buildModel(arch, { inputShape: d.inputShape, tasks, seed }, { encoder, head: { hidden: [] }, ...options });
  return { model, tasks };
}

export function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);
}

export function expectAllClose(a: tf.Tensor[], b: tf.Tensor[], tol: number): void {
  expect(a.length).toBe(b.length);
  a.forEach((t, i) => {
    expect(t.shape).toEqual(b[i].shape);
    expect(maxAbsDiff(t, b[i])).toBeLessThan(tol);
  });
}

export function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'mtljs-models-'));
}

/** Saves layersModel() (or the given model), loads it back and compares its outputs to forward(x, false). */
export async function expectSaveLoadEqual(model: MultiTaskModel, x: tf.Tensor, lm = model.layersModel()): Promise<void> {
  const dir = tempDir();
  try {
    await saveLayersModel(dir, lm);
    const loaded = await loadLayersModel(dir);
    const got = tf.tidy(() => {
      const out = loaded.predict(x) as tf.Tensor | tf.Tensor[];
      return Array.isArray(out) ? out : [out];
    });
    const want = tf.tidy(() => model.forward(x, false).logits);
    expectAllClose(got, want, 1e-5);
    tf.dispose([...got, ...want]);
    loaded.dispose();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export function randomInput(shape: number[], n = 5, seed = 7): tf.Tensor {
  return tf.randomUniform([n, ...shape], -1, 1, 'float32', seed);
}
