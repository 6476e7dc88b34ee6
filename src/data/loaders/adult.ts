/**
 * UCI Adult (census income): adult.data = train (32,561 rows), adult.test = test (16,281 rows).
 * Comma+space separated, no header, '?' = missing. adult.test labels end with '.', and the UCI original
 * starts with a "|1x3 Cross validator" line (the copy in shared/data does not; both are handled).
 * Tasks: `income` (binary, '>50K') and `never_married` (binary, marital-status = Never-married);
 * marital-status is therefore not a feature.
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

export async function loadAdult(options: LoadOptions = {}): Promise<DatasetSplit> {
  const [trainText, testText] = await Promise.all([readDataFile('adult/adult.data', options.dataDir), readDataFile('adult/adult.test', options.dataDir)]);
  const trainRows = applyLimit(readAdult(trainText, 'adult.data'), options.limit);
  const testRows = applyLimit(readAdult(testText, 'adult.test'), options.testLimit, 'testLimit');
  const rows: RawValue[][] = trainRows.concat(testRows);
  return tableToSplit({
    name: 'adult',
    table: { columns: [...ADULT_COLUMNS], rows },
    schema: ADULT_SCHEMA,
    train: range(trainRows.length),
    test: range(testRows.length, trainRows.length),
  });
}
