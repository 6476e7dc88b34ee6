/**
 * Node-only (reads files): a CSV / TSV / JSON lines file read as a stream of row chunks, never whole,
 * for tables larger than memory (./streamed-table.ts). CSV and TSV go through the npm package
 * csv-parse (a streaming RFC 4180 parser: quotes, separators of any length, line breaks inside quotes;
 * our own src/data/csv.ts parses a whole text); JSON lines through node:readline, one object a line.
 *
 * The conventions are the in-memory readers' (src/data/csv.ts, src/data/jsonl.ts): a header row (or
 * `columns`), a leading BOM dropped, blank lines and rows whose cells are all empty skipped, a quote in
 * the middle of an unquoted cell kept literally, CRLF / LF / CR line ends; JSON true / false as text, a
 * missing key a missing cell. A malformed record is a DataError at its file line (`data.csv:342:
 * expected 28 fields, found 27`).
 *
 * Rows are numbered by their index among the file's data rows (0-based; the header, blank and empty
 * rows do not count), which is stable from pass to pass: the hash split keys on it. Their file lines
 * are not tracked on the fast path (csv-parse's per-record `info` costs a third of its speed): a
 * problem found later in row k is placed by `lineOfRow`, which reads the file again up to row k.
 *
 * Rows are delivered in a caller's column order (`want`: the training file's columns), so a test file
 * may order its columns differently or, in JSON lines, lack keys.
 */
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { parse, CsvError } from 'csv-parse';
import { DataError } from '../errors.js';
import { jsonCell } from '../jsonl.js';
import { sniffFormat } from '../own-table.js';
import type { RawValue } from '../types.js';

export type StreamFormat = 'csv' | 'tsv' | 'jsonl';

export interface TableFileOptions {
  format: StreamFormat;
  /** csv ',' / tsv tab by default. */
  separator?: string;
  /** csv / tsv: the first row names the columns (default true). */
  header?: boolean;
  /** csv / tsv: the column names (instead of, or without, a header). */
  columns?: string[];
}

/** Rows of a file (cells in the requested column order) and each one's index among the file's data rows. */
export interface RowChunk {
  rows: RawValue[][];
  index: number[];
}

/** The first rows of a file and its columns (csv: the header or `columns`; jsonl: keys in order of first appearance). */
export interface TableSample extends RowChunk {
  columns: string[];
}

const READ_CHUNK = 1 << 20;

const separatorOf = (o: TableFileOptions): string => o.separator ?? (o.format === 'tsv' ? '\t' : ',');

/** The first bytes of a file, for sniffing its format. */
function head(file: string, bytes = 64 * 1024): string {
  const fd = fs.openSync(file, 'r');
  try {
    const buf = Buffer.alloc(bytes);
    const n = fs.readSync(fd, buf, 0, bytes, 0);
    return buf.subarray(0, n).toString('utf8');
  } finally {
    fs.closeSync(fd);
  }
}

/** A csv / tsv file that is really ARFF or JSON lines: the in-memory reader's DataError. */
function checkDelimited(file: string, name: string, o: TableFileOptions): void {
  const sniffed = sniffFormat(head(file));
  if (!sniffed) return;
  throw new DataError(sniffed.format === 'arff'
    ? `this is an ARFF file (it has an @relation header), not ${o.format}: use dataset: arff`
    : `this is a JSON lines file (a JSON object per line), not ${o.format}: use dataset: jsonl`, name, sniffed.line);
}

/** Counts the line breaks inside a record's cells (a quoted cell may span lines). */
function breaksIn(cells: readonly string[]): number {
  let n = 0;
  for (const c of cells) {
    for (let i = 0; i < c.length; i++) {
      const ch = c.charCodeAt(i);
      if (ch === 10) n++;
      else if (ch === 13) {
        n++;
        if (c.charCodeAt(i + 1) === 10) i++;
      }
    }
  }
  return n;
}

/** A csv-parse error as the in-memory reader words it. */
function csvError(e: unknown, name: string, expected: number | undefined): unknown {
  if (!(e instanceof CsvError)) return e;
  const at = (e as CsvError & { lines?: number }).lines;
  const record = (e as CsvError & { record?: unknown[] }).record;
  switch (e.code) {
    case 'CSV_RECORD_INCONSISTENT_FIELDS_LENGTH':
    case 'CSV_RECORD_INCONSISTENT_COLUMNS':
      return new DataError(`expected ${expected ?? '?'} fields, found ${record?.length ?? '?'}`, name, at);
    case 'CSV_QUOTE_NOT_CLOSED':
      return new DataError('unterminated quoted field', name, at);
    case 'CSV_INVALID_CLOSING_QUOTE':
    case 'CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE':
      return new DataError('unexpected text after closing quote', name, at);
    default:
      return new DataError(e.message, name, at);
  }
}

const parserOptions = (o: TableFileOptions, info: boolean) => ({
  delimiter: separatorOf(o),
  bom: true,
  info,
  relax_quotes: true,
  skip_empty_lines: true,
});

/** True for a record whose cells are all empty (skipped, as src/data/csv.ts skips it). */
const emptyRecord = (cells: readonly string[]): boolean => cells[0] === '' && cells.every((c) => c === '');

/**
 * The records of a csv / tsv file, the header included (the caller knows whether the first is one), in
 * arrays of up to `chunkRows`, read as fast as csv-parse goes: records are taken from the parser's
 * buffer synchronously on each 'readable' event. The streams are closed when the caller stops early.
 */
async function* csvChunks(file: string, o: TableFileOptions, chunkRows: number, expected?: () => number | undefined): AsyncGenerator<string[][]> {
  const name = path.basename(file);
  const input = fs.createReadStream(file, { highWaterMark: READ_CHUNK });
  const parser = parse(parserOptions(o, false));
  let ended = false;
  let failure: unknown;
  let wake: (() => void) | undefined;
  const signal = () => wake?.();
  parser.on('readable', signal);
  parser.on('end', () => { ended = true; signal(); });
  parser.on('error', (e) => { failure = e; signal(); });
  input.on('error', (e) => { failure = e; signal(); });
  input.pipe(parser);
  let chunk: string[][] = [];
  try {
    for (;;) {
      let rec: string[] | null;
      while ((rec = parser.read() as string[] | null) !== null) {
        if (emptyRecord(rec)) continue;
        chunk.push(rec);
        if (chunk.length >= chunkRows) {
          yield chunk;
          chunk = [];
        }
      }
      if (failure !== undefined) throw failure;
      if (ended) break;
      await new Promise<void>((resolve) => { wake = resolve; });
      wake = undefined;
    }
    if (chunk.length) yield chunk;
  } catch (e) {
    throw csvError(e, name, expected?.());
  } finally {
    input.destroy();
    parser.destroy();
  }
}

/** Every record of a csv / tsv file with the line it starts on (the slow path: for errors). */
async function* csvRecords(file: string, o: TableFileOptions, expected?: () => number | undefined): AsyncGenerator<{ cells: string[]; line: number }> {
  const input = fs.createReadStream(file, { highWaterMark: READ_CHUNK });
  const parser = parse(parserOptions(o, true));
  input.on('error', (e) => parser.destroy(e));
  input.pipe(parser);
  let lastEnd = 0;
  try {
    for await (const rec of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
      const end = rec.info.lines;
      // A record ends on `end`; it starts there unless a quoted cell held line breaks.
      const line = end === lastEnd + 1 ? end : end - breaksIn(rec.record);
      lastEnd = end;
      if (!emptyRecord(rec.record)) yield { cells: rec.record, line };
    }
  } catch (e) {
    throw csvError(e, path.basename(file), expected?.());
  } finally {
    input.destroy();
    parser.destroy();
  }
}

/** Every JSON object of a JSON lines file, as a record, with its line. */
async function* jsonRecords(file: string): AsyncGenerator<{ record: Record<string, unknown>; line: number }> {
  const name = path.basename(file);
  const input = fs.createReadStream(file, { highWaterMark: READ_CHUNK, encoding: 'utf8' });
  const lines = readline.createInterface({ input, crlfDelay: Infinity });
  let lineNo = 0;
  let records = 0;
  try {
    for await (const raw of lines) {
      lineNo++;
      const text = (lineNo === 1 && raw.charCodeAt(0) === 0xfeff ? raw.slice(1) : raw).trim();
      if (text === '') continue;
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch (e) {
        const first = records === 0;
        const hint = first && /^@relation\b/i.test(text) ? ': this is an ARFF file: use dataset: arff'
          : first && !text.startsWith('{') ? ': not JSON lines (one {...} object per line); is it a CSV or TSV? use dataset: csv or tsv'
          : '';
        throw new DataError(`not a JSON object (${(e as Error).message})${hint}`, name, lineNo);
      }
      if (value === null || typeof value !== 'object' || Array.isArray(value)) {
        throw new DataError(`expected a JSON object {"column": value, ...}, found ${Array.isArray(value) ? 'an array' : JSON.stringify(value)?.slice(0, 30)}`, name, lineNo);
      }
      records++;
      yield { record: value as Record<string, unknown>, line: lineNo };
    }
  } finally {
    lines.close();
    input.destroy();
  }
}

/** The header (or configured columns) of a csv / tsv file, and a function of the data records. */
function checkHeader(cells: string[], line: number, name: string, o: TableFileOptions): string[] {
  const columns = cells.map((c) => c.trim());
  const seen = new Set<string>();
  for (const c of columns) {
    if (seen.has(c)) throw new DataError(`duplicate column name '${c}'`, name, line);
    seen.add(c);
  }
  if (o.columns && o.columns.length !== columns.length) throw new DataError(`data.columns names ${o.columns.length} columns, the file has ${columns.length}`, name, line);
  return o.columns ?? columns;
}

/**
 * The columns of a file and its first `rows` data rows (cells in file order; JSON lines: in the order
 * of the keys' first appearance, absent keys null).
 */
export async function sampleTable(file: string, o: TableFileOptions, rows: number): Promise<TableSample> {
  const name = path.basename(file);
  const out: TableSample = { columns: [], rows: [], index: [] };
  if (o.format === 'jsonl') {
    const keys = new Map<string, number>();
    const records: Record<string, unknown>[] = [];
    const lines: number[] = [];
    for await (const { record, line } of jsonRecords(file)) {
      for (const k of Object.keys(record)) if (!keys.has(k)) keys.set(k, keys.size);
      out.index.push(records.length);
      records.push(record);
      lines.push(line);
      if (records.length >= rows) break;
    }
    if (records.length === 0) throw new DataError('no rows (a JSON object per line)', name);
    out.columns = [...keys.keys()];
    out.rows = records.map((rec, r) => out.columns.map((k) => (k in rec ? jsonCell(rec[k], k, name, lines[r]!) : null)));
    return out;
  }
  checkDelimited(file, name, o);
  const header = o.header ?? true;
  let columns: string[] | undefined = header ? undefined : o.columns;
  // The slow path with lines: only the first rows are read.
  for await (const { cells, line } of csvRecords(file, o, () => columns?.length)) {
    if (columns === undefined) {
      columns = checkHeader(cells, line, name, o);
      continue;
    }
    if (o.columns && !header && out.rows.length === 0 && cells.length !== o.columns.length) {
      throw new DataError(`data.columns names ${o.columns.length} columns, the file has ${cells.length}`, name, line);
    }
    if (cells.length !== columns.length) throw new DataError(`expected ${columns.length} fields, found ${cells.length}`, name, line);
    out.index.push(out.rows.length);
    out.rows.push(cells);
    if (out.rows.length >= rows) break;
  }
  if (columns === undefined) throw new DataError('no header row: the file is empty', name);
  out.columns = columns;
  return out;
}

/**
 * Every data row of a file in chunks of up to `chunkRows`, cells in the order of `want` (every name in
 * `want` must be a column of the file; JSON lines: an absent key is a missing cell).
 */
export async function* readRows(file: string, o: TableFileOptions, want: readonly string[], chunkRows = 1024): AsyncGenerator<RowChunk> {
  const name = path.basename(file);
  let next = 0;
  if (o.format === 'jsonl') {
    let chunk: RowChunk = { rows: [], index: [] };
    for await (const { record, line } of jsonRecords(file)) {
      const row: RawValue[] = new Array<RawValue>(want.length);
      for (let c = 0; c < want.length; c++) {
        const k = want[c]!;
        const v = record[k];
        row[c] = v === undefined ? null : jsonCell(v, k, name, line);
      }
      chunk.rows.push(row);
      chunk.index.push(next++);
      if (chunk.rows.length >= chunkRows) {
        yield chunk;
        chunk = { rows: [], index: [] };
      }
    }
    if (chunk.rows.length) yield chunk;
    return;
  }
  const header = o.header ?? true;
  let columns: string[] | undefined = header ? undefined : o.columns;
  // null: the file's columns are `want` in order (no copy per row).
  let at: number[] | null = null;
  const mapping = (cols: string[]): number[] | null => {
    if (cols.length === want.length && cols.every((c, i) => c === want[i])) return null;
    const index = new Map(cols.map((c, i) => [c, i]));
    const missing = want.filter((c) => !index.has(c));
    if (missing.length) throw new DataError(`lacks column${missing.length > 1 ? 's' : ''} ${missing.slice(0, 10).map((x) => `'${x}'`).join(', ')}${missing.length > 10 ? ', …' : ''} of the training file`, name);
    return want.map((c) => index.get(c)!);
  };
  if (columns) at = mapping(columns);
  for await (const records of csvChunks(file, o, chunkRows, () => columns?.length)) {
    let start = 0;
    if (columns === undefined) {
      columns = checkHeader(records[0]!, 1, name, o);
      at = mapping(columns);
      start = 1;
    }
    const rows: RawValue[][] = [];
    const index: number[] = [];
    for (let r = start; r < records.length; r++) {
      const cells = records[r]!;
      rows.push(at ? at.map((i) => cells[i]!) : cells);
      index.push(next++);
    }
    if (rows.length) yield { rows, index };
  }
}

/** The 1-based line on which data row `row` (0-based, as RowChunk.index counts) starts; reads the file up to it. */
export async function lineOfRow(file: string, o: TableFileOptions, row: number): Promise<number | undefined> {
  let k = 0;
  if (o.format === 'jsonl') {
    for await (const { line } of jsonRecords(file)) if (k++ === row) return line;
    return undefined;
  }
  let first = (o.header ?? true);
  for await (const { line } of csvRecords(file, o)) {
    if (first) {
      first = false;
      continue;
    }
    if (k++ === row) return line;
  }
  return undefined;
}
