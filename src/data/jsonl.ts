/**
 * JSON lines reader: one JSON object per line → a table. The columns are the keys in order of first
 * appearance; a key absent from a line is a missing cell (null). Numbers and text are kept as they are,
 * true / false become the text 'true' / 'false', null is missing; an array or object value, a line that
 * is not JSON or not an object are DataErrors naming the file and line. Blank lines are skipped, a
 * leading BOM is dropped. The whole file is read into memory (no streaming).
 */

import { DataError } from './errors.js';
import type { RawValue } from './types.js';

export interface JsonlTable {
  columns: string[];
  rows: RawValue[][];
  /** 1-based line of each row (parallel to `rows`). */
  lines: number[];
}

export function parseJsonl(text: string, source = '<jsonl>'): JsonlTable {
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const lines = text.split(/\r\n|\n|\r/);
  const index = new Map<string, number>();
  const columns: string[] = [];
  const records: Record<string, unknown>[] = [];
  const rowLines: number[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (e) {
      const first = records.length === 0;
      const hint = first && /^@relation\b/i.test(line) ? ': this is an ARFF file: use dataset: arff'
        : first && !line.startsWith('{') ? ': not JSON lines (one {...} object per line); is it a CSV or TSV? use dataset: csv or tsv'
        : '';
      throw new DataError(`not a JSON object (${(e as Error).message})${hint}`, source, i + 1);
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      throw new DataError(`expected a JSON object {"column": value, ...}, found ${Array.isArray(value) ? 'an array' : JSON.stringify(value)?.slice(0, 30)}`, source, i + 1);
    }
    for (const key of Object.keys(value)) {
      if (!index.has(key)) {
        index.set(key, columns.length);
        columns.push(key);
      }
    }
    records.push(value as Record<string, unknown>);
    rowLines.push(i + 1);
  }
  const rows = records.map((rec, r) => {
    const row: RawValue[] = new Array<RawValue>(columns.length).fill(null);
    for (const [key, v] of Object.entries(rec)) row[index.get(key)!] = jsonCell(v, key, source, rowLines[r]!);
    return row;
  });
  return { columns, rows, lines: rowLines };
}

/** A JSON value as a table cell: text and numbers as they are, true/false as text, null missing; else a DataError. */
export function jsonCell(v: unknown, key: string, source: string, line: number): RawValue {
  if (v === null || typeof v === 'string' || typeof v === 'number') return v;
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  throw new DataError(`column '${key}': ${Array.isArray(v) ? 'an array' : 'an object'} is not a table cell (flatten it into columns)`, source, line);
}

