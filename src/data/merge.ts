/**
 * Multi-input multi-task data (LibMTL's `multi_input`): each task has its own samples. The datasets are
 * stacked into one, and every row carries labels only for the tasks of the dataset it came from (NaN,
 * i.e. missing, for the others), so the usual masked losses train each task on its own samples.
 * All datasets must share the input shape.
 */
import type { Dataset } from './types.js';

export function mergeTaskDatasets(datasets: Dataset[], name = datasets.map((d) => d.name).join('+')): Dataset {
  if (datasets.length === 0) throw new Error('mergeTaskDatasets: no datasets');
  const shape = datasets[0].inputShape;
  for (const d of datasets) {
    if (d.inputShape.join('x') !== shape.join('x')) {
      throw new Error(`mergeTaskDatasets: "${d.name}" has input shape [${d.inputShape}] but "${datasets[0].name}" has [${shape}]`);
    }
  }
  const tasks = datasets.flatMap((d) => d.tasks);
  const seen = new Set<string>();
  for (const t of tasks) {
    if (seen.has(t.name)) throw new Error(`mergeTaskDatasets: task "${t.name}" appears in two datasets; rename one`);
    seen.add(t.name);
  }
  const n = datasets.reduce((s, d) => s + d.n, 0);
  const rowSize = shape.reduce((a, b) => a * b, 1);
  const x = new Float32Array(n * rowSize);
  const labels: Record<string, Float32Array> = {};
  for (const t of tasks) labels[t.name] = new Float32Array(n * t.width).fill(NaN);
  let offset = 0;
  for (const d of datasets) {
    x.set(d.x.subarray(0, d.n * rowSize), offset * rowSize);
    for (const t of d.tasks) labels[t.name].set(d.labels[t.name].subarray(0, d.n * t.width), offset * t.width);
    offset += d.n;
  }
  return { name, inputShape: shape, n, x, tasks, labels };
}
