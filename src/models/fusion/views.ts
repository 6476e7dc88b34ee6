/**
 * Named input views of a flat input vector: each view is a list of column indices, or of feature-name
 * prefixes (a column belongs to the view when its name starts with one of them). Names come from the
 * dataset's preprocessing (`inputNames`): a numeric feature is one column named after it, a categorical
 * one a block of columns named `feature=category`.
 *
 * Example (Mulan emotions, 72 features): `{ rhythm: ['BH'], timbre: ['Mean_', 'Std_'] }` gives the 8
 * rhythmic attributes (BH_LowPeakAmp … BHSUM3) and the 64 timbre attributes (Mean_Acc1298_… , Std_…).
 */
import type { PreprocessingState } from '../../data/types.js';
import { featureNames } from '../../data/preprocess.js';

export type ViewSpec = readonly (number | string)[];
export type ViewSpecs = Record<string, ViewSpec>;

/** One name per input column, in input order. */
export function inputNames(pre: PreprocessingState): string[] {
  return featureNames(pre);
}

/**
 * Column indices of every view (sorted, distinct). Indices must be integers in [0, inputSize); prefixes
 * need `names` and must match at least one column. Every view must be non-empty.
 */
export function resolveViews(views: ViewSpecs, inputSize: number, names?: readonly string[]): Record<string, number[]> {
  const entries = Object.entries(views ?? {});
  if (entries.length === 0) throw new Error('fusion: give at least one view, e.g. { views: { a: [0, 1, 2], b: ["prefix_"] } }');
  if (names && names.length !== inputSize) throw new Error(`fusion: ${names.length} feature names for an input of ${inputSize} columns`);
  const out: Record<string, number[]> = {};
  for (const [view, spec] of entries) {
    if (!Array.isArray(spec) || spec.length === 0) throw new Error(`fusion: view "${view}" must be a non-empty list of column indices or name prefixes`);
    const cols = new Set<number>();
    for (const item of spec) {
      if (typeof item === 'number') {
        if (!Number.isInteger(item) || item < 0 || item >= inputSize) throw new Error(`fusion: view "${view}": column ${item} is not in 0..${inputSize - 1}`);
        cols.add(item);
      } else if (typeof item === 'string') {
        if (!names) throw new Error(`fusion: view "${view}" names columns by prefix ("${item}") but the feature names are unknown: pass featureNames (inputNames(split.preprocessing)) or column indices`);
        const hits = names.flatMap((n, i) => (n.startsWith(item) ? [i] : []));
        if (hits.length === 0) throw new Error(`fusion: view "${view}": no feature name starts with "${item}"`);
        hits.forEach((i) => cols.add(i));
      } else {
        throw new Error(`fusion: view "${view}": ${JSON.stringify(item)} is neither a column index nor a name prefix`);
      }
    }
    out[view] = [...cols].sort((a, b) => a - b);
  }
  return out;
}
