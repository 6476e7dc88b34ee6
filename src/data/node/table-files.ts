/**
 * Node only: reading a CSV, JSON Lines or ARFF file from disk and parsing it with the core's parsers
 * (../csv.ts, ../jsonl.ts, ../arff.ts, which stay free of Node modules so that the browser — the studio's
 * worker — bundles them as they are). Errors name the file's base name.
 */
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { parseArff, type ArffData } from '../arff.js';
import { parseCsv, type CsvOptions, type CsvTable } from '../csv.js';
import { parseJsonl, type JsonlTable } from '../jsonl.js';

/** Reads a file and parses it; `source` defaults to the file's base name. */
export async function readCsvFile(path: string, options: CsvOptions = {}): Promise<CsvTable> {
  const text = await readFile(path, 'utf8');
  return parseCsv(text, { ...options, source: options.source ?? basename(path) });
}

/** Reads and parses a JSON lines file. */
export async function readJsonlFile(path: string): Promise<JsonlTable> {
  return parseJsonl(await readFile(path, 'utf8'), basename(path));
}

/** Reads and parses an ARFF file. */
export async function readArffFile(path: string): Promise<ArffData> {
  return parseArff(await readFile(path, 'utf8'), basename(path));
}
