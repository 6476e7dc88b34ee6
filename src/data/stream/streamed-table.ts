/**
 * Node-only (reads files): a table larger than memory as BatchSources (src/train/batch-source.ts).
 *
 *   pass 1     (once): the training file, row by row, into TableStats (../table-stats.ts): the
 *              preprocessing, the tasks and their label statistics, the rows of each side;
 *   each epoch (train): the training file again, the training side's rows encoded a chunk at a time
 *              (../block-encoder.ts), through a bounded shuffle buffer seeded by (seed, epoch)
 *              (../shuffle-buffer.ts), into batches;
 *   evaluation (validation / test): their own file, or the training file's other side of the hash
 *              split (../hash-split.ts), in file order.
 *
 * Memory is the shuffle buffer (capacity × row width floats), one parse chunk and one batch — not the
 * file. A row's side is a hash of its index among the file's data rows (or of its group's value) and
 * the seed, the same in every pass; so is an epoch's order, so a run resumed at an epoch boundary sees
 * the same batches. A bad cell found in any pass is a DataError at its file line.
 */
import path from 'node:path';
import { allocateBlock, BatchAssembler, ShuffleBuffer, type RowBlock } from '../shuffle-buffer.js';
import type { BatchSource, RowBatch } from '../batch-source.js';
import { blockEncoder, tableLayout } from '../block-encoder.js';
import { hashSide, type HashSplitOptions, type Side } from '../hash-split.js';
import { mulberry32 } from '../split.js';
import { isMissing } from '../preprocess.js';
import { TableStats, type FittedTable } from '../table-stats.js';
import { DataError } from '../errors.js';
import { RowError } from '../own-table.js';
import type { RawValue, TableSchema } from '../types.js';
import { lineOfRow, readRows, type RowChunk, type TableFileOptions } from './table-file.js';

/** Default rows of the shuffle buffer. */
export const DEFAULT_SHUFFLE_BUFFER = 65_536;
/** Rows parsed and encoded together. */
const CHUNK_ROWS = 1024;

export interface StreamedTableOptions {
  /** The training file (also the validation and test rows of a hash split). */
  train: string;
  validation?: string;
  test?: string;
  file: TableFileOptions;
  /** The training file's columns (rows of every file are read in this order). */
  columns: string[];
  schema: TableSchema;
  /** The hash split of the training file (fractions 0 for a side that has its own file). */
  split: HashSplitOptions;
  /** Hash the value of this column instead of the line: every row of a group on one side. */
  groupColumn?: string;
  /** Rows of the shuffle buffer (default DEFAULT_SHUFFLE_BUFFER). */
  shuffleBuffer?: number;
  maxInputWidth?: number;
  /** Called every `every` rows of pass 1 with the rows read so far. */
  onProgress?: (rows: number) => void;
}

export interface StreamedTable {
  fitted: FittedTable;
  train: BatchSource;
  validation?: BatchSource;
  test?: BatchSource;
  /** Peak rows resident in the last epoch's shuffle buffer (for tests and reports). */
  readonly bufferPeak: number;
}

/** A row's cells and its index among the file's data rows → whether it is kept. */
type RowFilter = (cells: readonly RawValue[], row: number) => boolean;

/** The side of a row of the training file (its cells and its index among the data rows). */
export function sideOf(o: Pick<StreamedTableOptions, 'split' | 'groupColumn' | 'columns'>): (cells: readonly RawValue[], row: number) => Side {
  const { split } = o;
  if (split.testFraction <= 0 && split.validationFraction <= 0) return () => 'train';
  if (o.groupColumn === undefined) return (_cells, row) => hashSide(row, split);
  const g = o.columns.indexOf(o.groupColumn);
  if (g === -1) throw new Error(`split by group: unknown column '${o.groupColumn}'`);
  return (cells) => {
    const v = cells[g];
    return hashSide(isMissing(v) ? '(missing)' : typeof v === 'number' ? String(v) : v!.trim(), split);
  };
}

/** A RowError of `file` as a DataError at the row's file line (found by reading the file again up to it). */
async function atLine(e: unknown, file: string, o: StreamedTableOptions): Promise<unknown> {
  if (!(e instanceof RowError)) return e;
  return new DataError(e.detail, path.basename(file), await lineOfRow(file, o.file, e.row));
}

/** Pass 1 over the training file: the fitted table. */
export async function fitStreamedTable(o: StreamedTableOptions): Promise<FittedTable> {
  const stats = new TableStats(path.basename(o.train), o.columns, o.schema);
  const side = sideOf(o);
  let rows = 0;
  try {
    for await (const chunk of readRows(o.train, o.file, o.columns, CHUNK_ROWS)) {
      for (let r = 0; r < chunk.rows.length; r++) stats.add(chunk.rows[r]!, chunk.index[r]!, side(chunk.rows[r]!, chunk.index[r]!));
      rows += chunk.rows.length;
      o.onProgress?.(rows);
    }
  } catch (e) {
    throw await atLine(e, o.train, o);
  }
  return stats.finish(o.maxInputWidth);
}

/** The rows of `chunk` that `keep` keeps, compacted in place. */
function filterChunk(chunk: RowChunk, keep: RowFilter | null): RowChunk {
  if (!keep) return chunk;
  let k = 0;
  for (let r = 0; r < chunk.rows.length; r++) {
    if (!keep(chunk.rows[r]!, chunk.index[r]!)) continue;
    chunk.rows[k] = chunk.rows[r]!;
    chunk.index[k++] = chunk.index[r]!;
  }
  chunk.rows.length = k;
  chunk.index.length = k;
  return chunk;
}

/** Pass 1, then the sources of every split. */
export async function openStreamedTable(o: StreamedTableOptions): Promise<StreamedTable> {
  const fitted = await fitStreamedTable(o);
  const layout = tableLayout(fitted);
  const side = sideOf(o);
  const tasks = fitted.targets.map((t) => structuredClone(t.spec));
  const inputShape = [fitted.preprocessing.inputSize];
  let bufferPeak = 0;

  /** Encoded blocks of the rows of `file` that `keep` keeps, in file order. */
  async function* blocks(file: string, keep: RowFilter | null): AsyncGenerator<RowBlock> {
    const encode = blockEncoder(fitted);
    const block = allocateBlock(layout, CHUNK_ROWS);
    try {
      for await (const raw of readRows(file, o.file, o.columns, CHUNK_ROWS)) {
        const chunk = filterChunk(raw, keep);
        if (chunk.rows.length === 0) continue;
        encode(chunk.rows, (r) => chunk.index[r]!, chunk.rows.length, block);
        yield block;
      }
    } catch (e) {
      throw await atLine(e, file, o);
    }
  }

  const source = (name: string, file: string, keep: RowFilter | null, n: number): BatchSource => ({
    name,
    inputShape,
    tasks,
    n,
    async *epochBatches(epoch: number, batchSize: number, seed: number): AsyncGenerator<RowBatch> {
      const capacity = Math.max(1, Math.min(o.shuffleBuffer ?? DEFAULT_SHUFFLE_BUFFER, n));
      const buffer = new ShuffleBuffer(capacity, layout, mulberry32(seed * 100003 + epoch));
      const out = new BatchAssembler(batchSize, layout);
      try {
        for await (const block of blocks(file, keep)) {
          for (let i = 0; i < block.n; i++) {
            buffer.add(block, i, out);
            while (out.ready.length) yield out.ready.shift()!;
          }
        }
        buffer.drain(out);
        out.flush();
        while (out.ready.length) yield out.ready.shift()!;
      } finally {
        bufferPeak = buffer.peak;
      }
    },
    async *batches(batchSize: number): AsyncGenerator<RowBatch> {
      const out = new BatchAssembler(batchSize, layout);
      for await (const block of blocks(file, keep)) {
        for (let i = 0; i < block.n; i++) {
          out.take(block, i);
          while (out.ready.length) yield out.ready.shift()!;
        }
      }
      out.flush();
      while (out.ready.length) yield out.ready.shift()!;
    },
  });

  const onSide = (s: Side): RowFilter => (cells, row) => side(cells, row) === s;
  const split = o.split.testFraction > 0 || o.split.validationFraction > 0;
  const trainName = path.basename(o.train);
  return {
    fitted,
    train: source(trainName, o.train, split ? onSide('train') : null, fitted.rows.train),
    validation: o.validation ? source(path.basename(o.validation), o.validation, null, 0)
      : o.split.validationFraction > 0 ? source(`${trainName}-val`, o.train, onSide('validation'), fitted.rows.validation) : undefined,
    test: o.test ? source(path.basename(o.test), o.test, null, 0)
      : o.split.testFraction > 0 ? source(`${trainName}-test`, o.train, onSide('test'), fitted.rows.test) : undefined,
    get bufferPeak() {
      return bufferPeak;
    },
  };
}
