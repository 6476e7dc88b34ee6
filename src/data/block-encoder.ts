/**
 * The later passes over a streamed table: chunks of raw rows (cells in the training file's column
 * order) → a RowBlock of encoded inputs (the first pass's preprocessing, lookup tables built once:
 * encoderFor of ./preprocess.ts) and every task's labels (tableToSplit's labelReader with the first
 * pass's classes; NaN = missing). A cell that cannot be read is a RowError naming the row's index among
 * the file's data rows, worded as the in-memory path words it (`column 'age': not a number: 'n/a'`); the
 * reader turns the index into the file line. Pure code.
 */
import { RowError } from './own-table.js';
import { encoderFor, isMissing } from './preprocess.js';
import type { RowBlock, RowLayout } from './shuffle-buffer.js';
import { labelReader, type BadCell } from './table.js';
import type { FittedTable } from './table-stats.js';
import type { RawValue } from './types.js';

/**
 * Encodes rows[0..n) into `out` (which must hold n rows); sets out.n = n. `index(r)` is row r's index
 * among the file's data rows (for errors).
 */
export type BlockEncoder = (rows: readonly (readonly RawValue[])[], index: (r: number) => number, n: number, out: RowBlock) => void;

/** The row layout of a fitted table: its input width and every task's label width. */
export function tableLayout(t: FittedTable): RowLayout {
  return { xWidth: t.preprocessing.inputSize, tasks: t.targets.map((x) => ({ name: x.spec.name, width: x.spec.width })) };
}

export function blockEncoder(t: FittedTable): BlockEncoder {
  const encode = encoderFor(t.preprocessing);
  const featCols = t.featureColumns;
  const readers = t.targets.map((x) => {
    const bad: BadCell = (row, c, v, expected, hint = '') => {
      throw new RowError(row, `task '${x.target.task}', column '${t.columns[c]}': expected ${expected}, found '${String(v)}'${hint}`);
    };
    return { cols: x.cols, width: x.spec.width, read: labelReader(x.target, x.classes, bad) };
  });
  const numeric = t.preprocessing.features.flatMap((f, fi) => (f.type === 'numeric' ? [fi] : []));
  /** The first numeric cell of rows[0..n) that is not a number, as a RowError (else undefined). */
  const locate = (rows: readonly (readonly RawValue[])[], index: (r: number) => number, n: number): RowError | undefined => {
    for (let r = 0; r < n; r++) {
      for (const fi of numeric) {
        const v = rows[r]![featCols[fi]!];
        if (!isMissing(v) && !Number.isFinite(typeof v === 'number' ? v : Number(v))) {
          return new RowError(index(r), `column '${t.preprocessing.features[fi]!.column}': not a number: '${String(v)}'`);
        }
      }
    }
    return undefined;
  };
  return (rows, index, n, out) => {
    try {
      encode(n, (r, fi) => rows[r]![featCols[fi]!], out.x, 0);
    } catch (e) {
      throw locate(rows, index, n) ?? e;
    }
    readers.forEach(({ cols, width, read }, k) => {
      const y = out.labels[k]!;
      for (let r = 0; r < n; r++) {
        const row = rows[r]!;
        for (let j = 0; j < width; j++) y[r * width + j] = read(row[cols[j]!], index(r), cols[j]!);
      }
    });
    out.n = n;
  };
}
