/**
 * A dropped file → a table the studio can train on: its format (by name, then by content), its rows
 * parsed by the readers `mtl train` uses (src/data/csv.ts, jsonl.ts, arff.ts: the same quoting rules,
 * the same errors naming the line), and a summary of each column for the page — the type
 * `features: all` would infer (src/data/own-table.ts, from the first 10,000 rows, as a streamed table
 * does), distinct and missing counts, the most frequent values. Runs in the worker: no DOM, no Node.
 */
import { parseArff } from '../data/arff.js';
import { parseCsv } from '../data/csv.js';
import { parseJsonl } from '../data/jsonl.js';
import { inferFeatures, sniffFormat } from '../data/own-table.js';
import { isMissing } from '../data/preprocess.js';
import type { RawRecord, RawValue } from '../data/types.js';
import { DISTINCT_CAP, streamingHint, type ColumnInfo, type TableFormat, type TableSummary } from './protocol.js';

export interface LoadedTable {
  name: string;
  format: TableFormat;
  columns: string[];
  rows: RawValue[][];
  /** The 1-based file line of each row, for messages about one row. */
  lines?: number[];
}

/** A table over the page's limits: the message names the limit and the command to use instead. */
export class LimitError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LimitError';
  }
}

const SEPARATORS = [',', '\t', ';', '|'] as const;

/** The separator of a delimited file: by extension, else the one the header line uses most. */
function separatorOf(name: string, text: string): string {
  if (/\.(tsv|tab)$/i.test(name)) return '\t';
  const end = text.indexOf('\n');
  const head = (end === -1 ? text : text.slice(0, end)).replace(/"[^"]*"/g, '');
  let best: string = ',';
  let most = 0;
  for (const s of SEPARATORS) {
    const n = head.split(s).length - 1;
    if (n > most) {
      most = n;
      best = s;
    }
  }
  return best;
}

/** The format of a file: JSON lines or ARFF by content (whatever the name says), else delimited text. */
export function detectFormat(name: string, text: string): { format: TableFormat; separator?: string } {
  const sniffed = sniffFormat(text);
  if (sniffed) return { format: sniffed.format };
  if (/\.(jsonl|ndjson)$/i.test(name)) return { format: 'jsonl' };
  const separator = separatorOf(name, text);
  return { format: separator === '\t' ? 'tsv' : 'csv', separator };
}

/** Lines in `text`, counted without splitting it (the row limit is checked before parsing). */
function countLines(text: string, stopAfter: number): number {
  let n = 0;
  for (let i = text.indexOf('\n'); i !== -1 && n <= stopAfter; i = text.indexOf('\n', i + 1)) n++;
  return n;
}

function tooManyRows(name: string, rows: string, maxRows: number): LimitError {
  return new LimitError(`${name} has ${rows} rows: the studio trains tables of up to ${maxRows.toLocaleString('en-US')} rows in the page; ${streamingHint(name)}`);
}

/** Parses a file's text; throws a LimitError over `maxRows`, a DataError (file:line) for a malformed file. */
export function parseTable(name: string, text: string, maxRows: number): LoadedTable {
  // A header and a trailing newline are not rows: over maxRows + 2 lines there are surely too many.
  if (countLines(text, maxRows + 2) > maxRows + 2) throw tooManyRows(name, 'more than ' + maxRows.toLocaleString('en-US'), maxRows);
  const { format, separator } = detectFormat(name, text);
  let table: LoadedTable;
  if (format === 'jsonl') {
    const t = parseJsonl(text, name);
    table = { name, format, columns: t.columns, rows: t.rows, lines: t.lines };
  } else if (format === 'arff') {
    const a = parseArff(text, name);
    table = { name, format, columns: a.attributes.map((x) => x.name), rows: a.rows, lines: a.lines };
  } else {
    const t = parseCsv(text, { separator, header: true, source: name });
    table = { name, format, columns: t.columns ?? [], rows: t.rows, lines: t.lines };
  }
  if (table.rows.length > maxRows) throw tooManyRows(name, table.rows.length.toLocaleString('en-US'), maxRows);
  if (table.rows.length < 2) throw new Error(`${name}: ${table.rows.length} data row${table.rows.length === 1 ? '' : 's'}; training needs a header and at least 2 rows`);
  if (table.columns.length < 2) {
    const hint = format === 'csv' || format === 'tsv' ? ` (is the separator '${separator === '\t' ? '\\t' : separator}' right? a CSV needs a header row)` : '';
    throw new Error(`${name}: ${table.columns.length} column${table.columns.length === 1 ? '' : 's'}; a table needs a target and at least one feature${hint}`);
  }
  return table;
}

/** Rows on which the column types are inferred (as a streamed table infers them from its first rows). */
export const INFER_ROWS = 10_000;

/** What the page shows of each column (see ./protocol.ts ColumnInfo). */
export function summarize(t: LoadedTable): TableSummary {
  const inferRows = Array.from({ length: Math.min(t.rows.length, INFER_ROWS) }, (_, i) => i);
  let inferred = new Map<string, 'numeric' | 'categorical'>();
  try {
    const f = inferFeatures({ columns: t.columns, rows: t.rows, train: inferRows, reserved: new Map() });
    inferred = new Map(f.features.map((x) => [x.column, x.type === 'numeric' ? 'numeric' : 'categorical']));
  } catch {
    // every column empty in the first rows: all shown as empty
  }
  const columns: ColumnInfo[] = t.columns.map((name, c) => {
    const counts = new Map<string, number>();
    let missing = 0;
    let allNumbers = true;
    let capped = false;
    for (const row of t.rows) {
      const v = row[c];
      if (isMissing(v)) {
        missing++;
        continue;
      }
      const text = typeof v === 'number' ? String(v) : String(v).trim();
      if (allNumbers && !Number.isFinite(typeof v === 'number' ? v : Number(text))) allNumbers = false;
      const k = counts.get(text);
      if (k !== undefined) counts.set(text, k + 1);
      else if (counts.size < DISTINCT_CAP) counts.set(text, 1);
      else capped = true;
    }
    const top = [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, 50).map(([v]) => v);
    return { name, type: inferred.get(name) ?? 'empty', allNumbers: allNumbers && counts.size > 0, distinct: counts.size, distinctCapped: capped, missing, top };
  });
  const sample = t.rows.slice(0, 5).map((row) => record(t.columns, row));
  return { name: t.name, format: t.format, rows: t.rows.length, columns, sample };
}

/** A row as a record keyed by column name. */
export function record(columns: readonly string[], row: readonly RawValue[]): RawRecord {
  const r: RawRecord = {};
  columns.forEach((c, i) => {
    r[c] = row[i] ?? null;
  });
  return r;
}
