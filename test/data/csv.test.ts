import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseCsv } from '../../src/data/csv.js';
import { DataError } from '../../src/data/errors.js';

const DATA = process.env['MTL_DATA_DIR'] ?? resolve(process.cwd(), '../shared/data');

function catchError(fn: () => unknown): DataError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(DataError);
    return e as DataError;
  }
  throw new Error('expected a DataError');
}

describe('parseCsv', () => {
  it('reads plain rows without a header', () => {
    const t = parseCsv('a,b,c\n1,2,3\n');
    expect(t.columns).toBeUndefined();
    expect(t.rows).toEqual([
      ['a', 'b', 'c'],
      ['1', '2', '3'],
    ]);
    expect(t.lines).toEqual([1, 2]);
  });

  it('reads a header row', () => {
    const t = parseCsv('x, y\n1,2\n3,4', { header: true });
    expect(t.columns).toEqual(['x', 'y']);
    expect(t.rows).toEqual([
      ['1', '2'],
      ['3', '4'],
    ]);
  });

  it('handles quotes, escaped quotes, separators and line breaks inside quotes', () => {
    const t = parseCsv('name,note\n"Smith, J.","said ""hi"""\n"multi\nline",x\n"",end', { header: true });
    expect(t.rows).toEqual([
      ['Smith, J.', 'said "hi"'],
      ['multi\nline', 'x'],
      ['', 'end'],
    ]);
    expect(t.lines).toEqual([2, 3, 5]);
  });

  it('keeps a quote inside an unquoted cell literally', () => {
    expect(parseCsv('5" screen,ok').rows).toEqual([['5" screen', 'ok']]);
  });

  it('can turn quoting off', () => {
    expect(parseCsv('"a\tb', { separator: '\t', quote: false }).rows).toEqual([['"a', 'b']]);
  });

  it('supports a multi-character separator (adult uses ", ")', () => {
    const t = parseCsv('39, State-gov, 77516\n50, Self-emp-not-inc, 83311\n', { separator: ', ' });
    expect(t.rows).toEqual([
      ['39', 'State-gov', '77516'],
      ['50', 'Self-emp-not-inc', '83311'],
    ]);
  });

  it('trims unquoted cells on request', () => {
    expect(parseCsv(' a ,  b\t', { trim: true }).rows).toEqual([['a', 'b']]);
    expect(parseCsv(' "a" , b', { trim: true }).rows).toEqual([['a', 'b']]);
  });

  it('handles CRLF, a leading BOM, blank lines and all-empty rows', () => {
    const t = parseCsv('\uFEFFa,b\r\n1,2\r\n\r\n   \r\n3,4\r\n,\r\n', { header: true });
    expect(t.columns).toEqual(['a', 'b']);
    expect(t.rows).toEqual([
      ['1', '2'],
      ['3', '4'],
    ]);
    expect(t.lines).toEqual([2, 5]);
  });

  it('keeps empty rows when skipEmpty is false', () => {
    expect(parseCsv('a\n\nb', { skipEmpty: false }).rows).toEqual([['a'], [''], ['b']]);
  });

  it('keeps trailing empty cells', () => {
    expect(parseCsv('a,,\n1,,').rows).toEqual([
      ['a', '', ''],
      ['1', '', ''],
    ]);
  });

  it('throws a DataError naming file and line for a short row', () => {
    const e = catchError(() => parseCsv('a,b,c\n1,2,3\n\n4,5\n', { header: true, source: 'test.csv' }));
    expect(e.file).toBe('test.csv');
    expect(e.line).toBe(4);
    expect(e.message).toBe('test.csv:4: expected 3 fields, found 2');
  });

  it('checks expectedFields', () => {
    const e = catchError(() => parseCsv('1, 2', { separator: ', ', expectedFields: 15, source: 'adult.data' }));
    expect(e.message).toBe('adult.data:1: expected 15 fields, found 2');
  });

  it('throws on an unterminated quote, naming the line where it opened', () => {
    const e = catchError(() => parseCsv('a,b\n1,"open\n2,3\n', { source: 'q.csv' }));
    expect(e.file).toBe('q.csv');
    expect(e.line).toBe(2);
    expect(e.message).toMatch(/^q\.csv:2: unterminated quoted field/);
  });

  it('throws on text after a closing quote', () => {
    const e = catchError(() => parseCsv('"a"b,c', { source: 'x.csv' }));
    expect(e.message).toMatch(/^x\.csv:1: unexpected text after closing quote/);
  });

  it('throws on duplicate header names', () => {
    expect(() => parseCsv('a,a\n1,2', { header: true, source: 'd.csv' })).toThrow('d.csv:1: duplicate column name');
  });

  it('reads the raw ENB2012 file (BOM, CRLF, rows of empty cells)', () => {
    const text = readFileSync(resolve(DATA, 'energy/ENB2012_data.csv'), 'utf8');
    const t = parseCsv(text, { header: true, source: 'ENB2012_data.csv' });
    expect(t.columns![0]).toBe('Relative Compactness');
    expect(t.columns).toHaveLength(10);
    expect(t.rows).toHaveLength(768);
    expect(t.rows[0]).toEqual(['0.98', '514.50', '294.00', '110.25', '7.00', '2', '0.00', '0', '15.55', '21.33']);
  });
});
