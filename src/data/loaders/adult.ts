/**
 * UCI Adult (census income): adult.data = train (32,561 rows), adult.test = test (16,281 rows).
 * Comma+space separated, no header, '?' = missing. adult.test labels end with '.', and the UCI original
 * starts with a "|1x3 Cross validator" line (the copy in shared/data does not; both are handled).
 * Tasks: `income` (binary, '>50K') and `never_married` (binary, marital-status = Never-married);
 * marital-status is therefore not a feature.
 *
 * Options: `embedding: d` embeds the 8 categorical columns (vocabularies of the training rows) instead of
 * one-hot encoding them. `funnel: true` gives a click → conversion funnel of real census rows, the shape
 * ESMM models (src/models/esmm.ts): `overtime` (hours-per-week > 40: 29% of the training rows, the
 * "click") and `overtime_high_income` (overtime and income > 50K: 11.8%, the "click and conversion";
 * 40% of the overtime rows); hours-per-week then is not a feature, marital-status is.
 */

import { parseCsv } from '../csv.js';
import { tableToSplit } from '../table.js';
import type { DatasetSplit, FeatureSpec, RawValue, TableSchema } from '../types.js';
import { applyLimit, range, readDataFile, type LoadOptions } from './common.js';

export const ADULT_COLUMNS = [
  'age', 'workclass', 'fnlwgt', 'education', 'education-num', 'marital-status', 'occupation',
  'relationship', 'race', 'sex', 'capital-gain', 'capital-loss', 'hours-per-week', 'native-country', 'income',
] as const;

const NUMERIC = new Set(['age', 'fnlwgt', 'education-num', 'capital-gain', 'capital-loss', 'hours-per-week']);

export const ADULT_FEATURES: FeatureSpec[] = ADULT_COLUMNS.filter((c) => c !== 'income' && c !== 'marital-status').map(
  (column) => ({ column, type: NUMERIC.has(column) ? 'numeric' : 'categorical' }),
);

export const ADULT_SCHEMA: TableSchema = {
  features: ADULT_FEATURES,
  targets: [
    { task: 'income', kind: 'binary', columns: ['income'], positive: ['>50K'], labelNames: ['<=50K', '>50K'] },
    { task: 'never_married', kind: 'binary', columns: ['marital-status'], positive: ['Never-married'], labelNames: ['other', 'Never-married'] },
  ],
};

function readAdult(text: string, source: string): string[][] {
  // The UCI adult.test begins with "|1x3 Cross validator": skip such a comment line if present.
  if (text.startsWith('|')) {
    const nl = text.indexOf('\n');
    text = '\n' + (nl === -1 ? '' : text.slice(nl + 1)); // keep line numbers right
  }
  const rows = parseCsv(text, { separator: ', ', trim: true, source, expectedFields: ADULT_COLUMNS.length }).rows;
  const income = ADULT_COLUMNS.length - 1;
  for (const row of rows) {
    const label = row[income]!;
    if (label.endsWith('.')) row[income] = label.slice(0, -1);
  }
  return rows;
}

/** The funnel tasks of `funnel: true` (see the header): a click and a click-and-conversion. */
export const ADULT_FUNNEL_SCHEMA: TableSchema = {
  features: ADULT_COLUMNS.filter((c) => c !== 'income' && c !== 'hours-per-week').map((column) => ({ column, type: NUMERIC.has(column) ? 'numeric' : 'categorical' })),
  targets: [
    { task: 'overtime', kind: 'binary', columns: ['hours-per-week'], threshold: 40, labelNames: ['≤ 40 h', '> 40 h'] },
    { task: 'overtime_high_income', kind: 'binary', columns: ['overtime_high_income'], positive: ['1'], labelNames: ['other', '> 40 h and > 50K'] },
  ],
};

/** The schema with `options` applied: the funnel tasks, embedded categorical columns. */
function adultSchema(options: LoadOptions): TableSchema {
  const base = options.funnel ? ADULT_FUNNEL_SCHEMA : ADULT_SCHEMA;
  if (options.embedding === undefined) return base;
  return { ...base, features: base.features.map((f) => (f.type === 'categorical' ? { ...f, embedding: options.embedding } : f)) };
}

export async function loadAdult(options: LoadOptions = {}): Promise<DatasetSplit> {
  const [trainText, testText] = await Promise.all([readDataFile('adult/adult.data', options.dataDir), readDataFile('adult/adult.test', options.dataDir)]);
  const trainRows = applyLimit(readAdult(trainText, 'adult.data'), options.limit);
  const testRows = applyLimit(readAdult(testText, 'adult.test'), options.testLimit, 'testLimit');
  let rows: RawValue[][] = trainRows.concat(testRows);
  const columns: string[] = [...ADULT_COLUMNS];
  if (options.funnel) {
    // The click-and-conversion label, derived once per row: hours-per-week > 40 and income > 50K.
    const hours = columns.indexOf('hours-per-week');
    const income = columns.indexOf('income');
    rows = rows.map((r) => [...r, Number(r[hours]) > 40 && r[income] === '>50K' ? '1' : '0']);
    columns.push('overtime_high_income');
  }
  return tableToSplit({
    name: 'adult',
    table: { columns, rows },
    schema: adultSchema(options),
    train: range(trainRows.length),
    test: range(testRows.length, trainRows.length),
  });
}
