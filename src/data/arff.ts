/**
 * ARFF reader (Weka's Attribute-Relation File Format, as used by the Mulan multi-label datasets).
 *
 * Supports `@relation`, `@attribute NAME TYPE` with TYPE numeric | real | integer | string | date |
 * `{a,b,c}` (names and values may be quoted with ' or "), `%` comments, dense `@data` rows and sparse
 * rows `{index value, ...}` (omitted entries are 0, i.e. the first declared value for a nominal
 * attribute), and `?` for a missing value, returned as null. Numeric cells must parse as numbers and
 * nominal cells must be declared values; every error names the file and line.
 */

import { DataError } from './errors.js';

export type ArffAttribute =
  | { name: string; type: 'numeric' }
  | { name: string; type: 'nominal'; values: string[] }
  | { name: string; type: 'string' }
  | { name: string; type: 'date'; format?: string };

export interface ArffData {
  relation: string;
  attributes: ArffAttribute[];
  /** One array per instance, one cell per attribute; null = missing (`?`). Values are kept as text. */
  rows: (string | null)[][];
  /** 1-based line of each row in the file (parallel to `rows`). */
  lines: number[];
}

/** Splits `s` at `sep` characters outside ' or " quotes; returns the trimmed, unquoted tokens. */
function splitQuoted(s: string, sep: string, source: string, line: number): { text: string; quoted: boolean }[] {
  const out: { text: string; quoted: boolean }[] = [];
  let i = 0;
  const n = s.length;
  for (;;) {
    while (i < n && (s[i] === ' ' || s[i] === '\t')) i++;
    const c = s[i];
    if (c === "'" || c === '"') {
      let value = '';
      let j = i + 1;
      for (;;) {
        if (j >= n) throw new DataError('unterminated quoted value', source, line);
        const ch = s[j]!;
        if (ch === '\\' && j + 1 < n) {
          value += s[j + 1];
          j += 2;
          continue;
        }
        if (ch === c) break;
        value += ch;
        j++;
      }
      i = j + 1;
      while (i < n && (s[i] === ' ' || s[i] === '\t')) i++;
      out.push({ text: value, quoted: true });
      if (i >= n) return out;
      if (s[i] !== sep) throw new DataError(`unexpected text after quoted value: '${s.slice(i, i + 10)}'`, source, line);
      i++;
    } else {
      const k = s.indexOf(sep, i);
      const text = (k === -1 ? s.slice(i) : s.slice(i, k)).trim();
      out.push({ text, quoted: false });
      if (k === -1) return out;
      i = k + 1;
    }
  }
}

/** Reads a possibly quoted token at the start of `s`; returns it and the rest of the line. */
function takeToken(s: string, source: string, line: number): { token: string; rest: string } {
  s = s.trimStart();
  const c = s[0];
  if (c === "'" || c === '"') {
    const end = s.indexOf(c, 1);
    if (end === -1) throw new DataError('unterminated quoted name', source, line);
    return { token: s.slice(1, end), rest: s.slice(end + 1).trim() };
  }
  const m = /^(\S+)\s*(.*)$/.exec(s);
  if (!m) throw new DataError('expected a name', source, line);
  return { token: m[1]!, rest: m[2]!.trim() };
}

function parseAttribute(rest: string, source: string, line: number): ArffAttribute {
  const { token: name, rest: typeText } = takeToken(rest, source, line);
  if (typeText.startsWith('{')) {
    const close = typeText.lastIndexOf('}');
    if (close === -1) throw new DataError(`attribute '${name}': missing '}'`, source, line);
    const values = splitQuoted(typeText.slice(1, close), ',', source, line).map((t) => t.text);
    if (values.length === 1 && values[0] === '') values.length = 0;
    return { name, type: 'nominal', values };
  }
  const lower = typeText.toLowerCase();
  const head = lower.split(/\s+/)[0] ?? '';
  switch (head) {
    case 'numeric':
    case 'real':
    case 'integer':
      return { name, type: 'numeric' };
    case 'string':
      return { name, type: 'string' };
    case 'date': {
      const format = typeText.slice(4).trim();
      return format ? { name, type: 'date', format: format.replace(/^["']|["']$/g, '') } : { name, type: 'date' };
    }
    default:
      throw new DataError(`attribute '${name}': unsupported type '${typeText}'`, source, line);
  }
}

export function parseArff(text: string, source = '<arff>'): ArffData {
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const lines = text.split(/\r\n|\n|\r/);
  let relation = '';
  const attributes: ArffAttribute[] = [];
  const rows: (string | null)[][] = [];
  const rowLines: number[] = [];
  let inData = false;
  let nominalSets: (Set<string> | null)[] = [];

  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    const line = lines[i]!.trim();
    if (line === '' || line.startsWith('%')) continue;

    if (!inData) {
      if (!line.startsWith('@')) throw new DataError(`expected a declaration, found '${line.slice(0, 20)}'`, source, lineNo);
      const m = /^@(\w+)\s*(.*)$/.exec(line)!;
      const keyword = m[1]!.toLowerCase();
      const rest = m[2]!;
      if (keyword === 'relation') {
        relation = takeToken(rest, source, lineNo).token;
      } else if (keyword === 'attribute') {
        const attr = parseAttribute(rest, source, lineNo);
        if (attributes.some((a) => a.name === attr.name)) {
          throw new DataError(`duplicate attribute '${attr.name}'`, source, lineNo);
        }
        attributes.push(attr);
      } else if (keyword === 'data') {
        if (attributes.length === 0) throw new DataError('@data before any @attribute', source, lineNo);
        inData = true;
        nominalSets = attributes.map((a) => (a.type === 'nominal' ? new Set(a.values) : null));
      } else {
        throw new DataError(`unknown declaration '@${m[1]}'`, source, lineNo);
      }
      continue;
    }

    const row = line.startsWith('{') ? sparseRow(line, attributes, source, lineNo) : denseRow(line, attributes.length, source, lineNo);
    for (let a = 0; a < row.length; a++) {
      const v = row[a]!;
      if (v === null) continue;
      const attr = attributes[a]!;
      if (attr.type === 'numeric') {
        if (v === '' || !Number.isFinite(Number(v))) {
          throw new DataError(`attribute '${attr.name}': not a number: '${v}'`, source, lineNo);
        }
      } else if (attr.type === 'nominal' && !nominalSets[a]!.has(v)) {
        throw new DataError(`attribute '${attr.name}': undeclared value '${v}'`, source, lineNo);
      }
    }
    rows.push(row);
    rowLines.push(lineNo);
  }
  if (!inData) throw new DataError('no @data section', source);
  return { relation, attributes, rows, lines: rowLines };
}

function denseRow(line: string, nAttr: number, source: string, lineNo: number): (string | null)[] {
  const tokens =
    line.includes("'") || line.includes('"')
      ? splitQuoted(line, ',', source, lineNo)
      : line.split(',').map((t) => ({ text: t.trim(), quoted: false }));
  // An optional instance weight `{w}` may follow the last value; drop it.
  const last = tokens[tokens.length - 1];
  if (tokens.length === nAttr + 1 && last && !last.quoted && /^\{.*\}$/.test(last.text)) tokens.pop();
  if (tokens.length !== nAttr) throw new DataError(`expected ${nAttr} values, found ${tokens.length}`, source, lineNo);
  return tokens.map((t) => (!t.quoted && t.text === '?' ? null : t.text));
}

function sparseRow(line: string, attributes: ArffAttribute[], source: string, lineNo: number): (string | null)[] {
  const close = line.indexOf('}');
  if (close === -1) throw new DataError("sparse row: missing '}'", source, lineNo);
  const row: (string | null)[] = attributes.map((a) => (a.type === 'nominal' ? (a.values[0] ?? null) : a.type === 'numeric' ? '0' : ''));
  const body = line.slice(1, close).trim();
  if (body === '') return row;
  for (const entry of splitQuotedPairs(body, source, lineNo)) {
    const idx = Number(entry.index);
    if (!Number.isInteger(idx) || idx < 0 || idx >= attributes.length) {
      throw new DataError(`sparse row: bad attribute index '${entry.index}'`, source, lineNo);
    }
    row[idx] = !entry.quoted && entry.value === '?' ? null : entry.value;
  }
  return row;
}

/** Sparse entries are `index value` pairs separated by commas; the value may be quoted. */
function splitQuotedPairs(body: string, source: string, lineNo: number): { index: string; value: string; quoted: boolean }[] {
  const out: { index: string; value: string; quoted: boolean }[] = [];
  let i = 0;
  const n = body.length;
  while (i < n) {
    while (i < n && (body[i] === ' ' || body[i] === '\t' || body[i] === ',')) i++;
    if (i >= n) break;
    const m = /^(\d+)\s+/.exec(body.slice(i));
    if (!m) throw new DataError(`sparse row: expected 'index value' at '${body.slice(i, i + 10)}'`, source, lineNo);
    i += m[0].length;
    const c = body[i];
    if (c === "'" || c === '"') {
      const end = body.indexOf(c, i + 1);
      if (end === -1) throw new DataError('unterminated quoted value', source, lineNo);
      out.push({ index: m[1]!, value: body.slice(i + 1, end), quoted: true });
      i = end + 1;
    } else {
      const k = body.indexOf(',', i);
      out.push({ index: m[1]!, value: (k === -1 ? body.slice(i) : body.slice(i, k)).trim(), quoted: false });
      i = k === -1 ? n : k + 1;
    }
  }
  return out;
}

