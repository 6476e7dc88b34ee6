/**
 * CSV reader: text → rows of string cells.
 *
 * Handles RFC 4180 quoting (`"a, b"`, `""` for a literal quote, line breaks inside quotes), a header
 * row, any separator string (adult uses `", "`), CRLF / LF / CR line ends, a leading BOM, and skips
 * blank lines and rows whose cells are all empty (ENB2012 ends with `,,,,,,,,,` rows). A quote
 * character in the middle of an unquoted cell is kept literally. Malformed input (a row with the
 * wrong number of cells, an unterminated quote, text after a closing quote) throws a DataError that
 * names the source file and line.
 */

import { DataError } from './errors.js';

export interface CsvOptions {
  /** Cell separator, any non-empty string. Default ','. */
  separator?: string;
  /** First non-empty row holds the column names. Default false. */
  header?: boolean;
  /** Name used in error messages. Default '<csv>'. */
  source?: string;
  /** Quote character, or false to read quotes literally. Default '"'. */
  quote?: string | false;
  /** Trim spaces and tabs around unquoted cells (and around quoted ones, outside the quotes). Default false. */
  trim?: boolean;
  /** Skip blank lines and rows whose cells are all empty. Default true. */
  skipEmpty?: boolean;
  /** Required number of cells per row; default: the header's length, else the first row's. */
  expectedFields?: number;
}

export interface CsvTable {
  /** Column names when `header` was set. */
  columns: string[] | undefined;
  rows: string[][];
  /** 1-based line on which each row starts (parallel to `rows`), for error messages downstream. */
  lines: number[];
}

const LINE_BREAK = /\r\n|\n|\r/;

export function parseCsv(text: string, options: CsvOptions = {}): CsvTable {
  const sep = options.separator ?? ',';
  const source = options.source ?? '<csv>';
  const quote = options.quote === undefined ? '"' : options.quote;
  const trim = options.trim ?? false;
  const skipEmpty = options.skipEmpty ?? true;
  if (sep.length === 0) throw new Error('parseCsv: separator must not be empty');
  if (quote !== false && quote.length === 0) throw new Error('parseCsv: quote must not be empty');

  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const lines = text.split(LINE_BREAK);

  let columns: string[] | undefined;
  let expected = options.expectedFields;
  const rows: string[][] = [];
  const rowLines: number[] = [];

  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const lineNo = i + 1;
    if (skipEmpty && line.trim() === '') continue;

    let cells: string[];
    if (quote !== false && line.includes(quote)) {
      const rec = parseQuoted(lines, i, sep, quote, trim, source);
      cells = rec.cells;
      i = rec.lastLine;
    } else {
      cells = line.split(sep);
      if (trim) for (let c = 0; c < cells.length; c++) cells[c] = cells[c]!.trim();
    }

    if (skipEmpty && cells.every((c) => c === '')) continue;

    if (options.header && columns === undefined) {
      columns = cells.map((c) => c.trim());
      const seen = new Set<string>();
      for (const name of columns) {
        if (seen.has(name)) throw new DataError(`duplicate column name '${name}'`, source, lineNo);
        seen.add(name);
      }
      if (expected === undefined) expected = columns.length;
      else if (expected !== columns.length) {
        throw new DataError(`expected ${expected} fields, found ${columns.length}`, source, lineNo);
      }
      continue;
    }
    if (expected === undefined) expected = cells.length;
    else if (cells.length !== expected) {
      throw new DataError(`expected ${expected} fields, found ${cells.length}`, source, lineNo);
    }
    rows.push(cells);
    rowLines.push(lineNo);
  }
  return { columns, rows, lines: rowLines };
}


function skipBlanks(s: string, p: number): number {
  while (p < s.length && (s[p] === ' ' || s[p] === '\t')) p++;
  return p;
}

/** Parses one record that contains a quote, starting at lines[start]; it may span several lines. */
function parseQuoted(
  lines: string[],
  start: number,
  sep: string,
  q: string,
  trim: boolean,
  source: string,
): { cells: string[]; lastLine: number } {
  const cells: string[] = [];
  let li = start;
  let s = lines[li]!;
  let pos = 0;
  for (;;) {
    const p0 = trim ? skipBlanks(s, pos) : pos;
    if (s.startsWith(q, p0)) {
      const openLine = li + 1;
      let p = p0 + q.length;
      let value = '';
      for (;;) {
        const k = s.indexOf(q, p);
        if (k === -1) {
          value += s.slice(p) + '\n';
          li++;
          if (li >= lines.length) throw new DataError('unterminated quoted field', source, openLine);
          s = lines[li]!;
          p = 0;
          continue;
        }
        value += s.slice(p, k);
        if (s.startsWith(q, k + q.length)) {
          value += q;
          p = k + 2 * q.length;
          continue;
        }
        p = k + q.length;
        break;
      }
      if (trim) p = skipBlanks(s, p);
      cells.push(value);
      if (p === s.length) return { cells, lastLine: li };
      if (!s.startsWith(sep, p)) {
        throw new DataError(`unexpected text after closing quote: '${s.slice(p, p + 10)}'`, source, li + 1);
      }
      pos = p + sep.length;
    } else {
      const k = s.indexOf(sep, pos);
      const cell = k === -1 ? s.slice(pos) : s.slice(pos, k);
      cells.push(trim ? cell.trim() : cell);
      if (k === -1) return { cells, lastLine: li };
      pos = k + sep.length;
    }
  }
}
