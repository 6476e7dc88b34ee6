/**
 * Checks of a dataset before anything is trained on it, so that a run never "succeeds" on data it
 * could not learn from (loss null from epoch 1, AUC 0.5, NaN weights). Each problem is decided once:
 *   errors   — nothing could be learned or the numbers would be meaningless: no training rows, one
 *              row, a task with no label in the training split, a classification task with a single
 *              class there, a regression target that is constant, an input value that is not finite
 *              (NaN, ±Infinity, or a number like 1e300 whose standardisation overflows);
 *   warnings — trainable but worth knowing: fewer training rows than one batch, a test split with
 *              no label for a task (its test metrics will be missing).
 * Pure code on the encoded dataset (no Node APIs, runs in a browser too).
 */
import type { Dataset, DatasetSplit, PreprocessingState } from './types.js';
import { featureWidth } from './preprocess.js';

export interface SanityReport {
  errors: string[];
  warnings: string[];
}

/** The name of input column `j` of the encoded vector (the feature it comes from), when known. */
function inputName(pre: PreprocessingState | undefined, j: number): string {
  if (!pre) return `input ${j}`;
  let at = 0;
  for (const f of pre.features) {
    const width = featureWidth(f);
    if (j < at + width) return f.type === 'categorical' && f.embedding === undefined ? `feature '${f.column}' (category '${f.categories[j - at]}')` : `feature '${f.column}'`;
    at += width;
  }
  return `input ${j}`;
}

function firstNonFinite(d: Dataset): { row: number; col: number; value: number } | undefined {
  const width = d.n > 0 ? d.x.length / d.n : 0;
  for (let i = 0; i < d.x.length; i++) {
    const v = d.x[i]!;
    if (!Number.isFinite(v)) return { row: Math.floor(i / width), col: i % width, value: v };
  }
  return undefined;
}

function labelSummary(d: Dataset, task: string, width: number): { labelled: number; distinct: Set<number>; min: number; max: number } {
  const values = d.labels[task]!;
  const distinct = new Set<number>();
  let labelled = 0;
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < d.n; i++) {
    let any = false;
    for (let k = 0; k < width; k++) {
      const v = values[i * width + k]!;
      if (Number.isNaN(v)) continue;
      any = true;
      if (distinct.size < 3) distinct.add(v);
      if (v < min) min = v;
      if (v > max) max = v;
    }
    if (any) labelled++;
  }
  return { labelled, distinct, min, max };
}

/** Checks `split` for the tasks that will be trained. */
export function checkDataset(split: DatasetSplit, taskNames: string[], options: { batchSize?: number } = {}): SanityReport {
  const errors: string[] = [];
  const warnings: string[] = [];
  const { train, test } = split;
  if (train.n === 0) return { errors: ['the training split has no rows'], warnings };
  if (train.n === 1) errors.push('the training split has 1 row: at least 2 are needed');
  for (const [what, d] of [['training', train], ['test', test]] as const) {
    const bad = firstNonFinite(d);
    if (bad) errors.push(`${inputName(split.preprocessing, bad.col)}, ${what} row ${bad.row + 1}: encodes to ${bad.value} (not a finite number; values this large overflow the standardisation)`);
  }
  for (const name of taskNames) {
    const spec = train.tasks.find((t) => t.name === name);
    if (!spec) continue;
    if (spec.kind === 'sequence') continue; // token tags: checked by their loader
    const s = labelSummary(train, name, spec.width);
    if (s.labelled === 0) {
      errors.push(`task '${name}': no training row has a label (every value is missing)`);
      continue;
    }
    if ((spec.kind === 'binary' || spec.kind === 'multiclass') && s.distinct.size === 1) {
      const only = [...s.distinct][0]!;
      const label = spec.labelNames?.[spec.kind === 'binary' ? only : only] ?? String(only);
      errors.push(`task '${name}': every training label is the same class ('${label}'): there is nothing to learn`);
    }
    if (spec.kind === 'regression' && s.min === s.max) errors.push(`task '${name}': the target is constant (${s.min}) in the training split`);
    if (test.n > 0 && labelSummary(test, name, spec.width).labelled === 0) warnings.push(`task '${name}': no test row has a label; its test metrics will be missing`);
  }
  if (options.batchSize && train.n < options.batchSize) warnings.push(`${train.n} training rows, fewer than one batch (${options.batchSize})`);
  return { errors, warnings };
}
