/**
 * SARCOS inverse dynamics: sarcos/sarcos_inv_test.csv (4,449 rows; header q1..q7, dq1..dq7,
 * ddq1..ddq7, tau1..tau7). 21 numeric inputs; 7 regression tasks tau1..tau7 (raw torques).
 * Only the original test file is available, so a seeded 80/20 split (option seed, default 0) is made.
 */

import { parseCsv } from '../csv.js';
import { trainTestSplit } from '../split.js';
import { tableToSplit } from '../table.js';
import type { DatasetSplit, TableSchema } from '../types.js';
import { applyLimit, readDataFile, type LoadOptions } from './common.js';

const JOINTS = [1, 2, 3, 4, 5, 6, 7];

export const SARCOS_SCHEMA: TableSchema = {
  features: ['q', 'dq', 'ddq'].flatMap((p) => JOINTS.map((j) => ({ column: `${p}${j}`, type: 'numeric' as const }))),
  targets: JOINTS.map((j) => ({ task: `tau${j}`, kind: 'regression' as const, columns: [`tau${j}`] })),
};

export async function loadSarcos(options: LoadOptions = {}): Promise<DatasetSplit> {
  const csv = parseCsv(await readDataFile('sarcos/sarcos_inv_test.csv', options.dataDir), { header: true, source: 'sarcos_inv_test.csv' });
  const split = trainTestSplit(csv.rows.length, 0.2, options.seed ?? 0);
  return tableToSplit({
    name: 'sarcos',
    table: { columns: csv.columns!, rows: csv.rows },
    schema: SARCOS_SCHEMA,
    train: applyLimit(split.train, options.limit),
    test: applyLimit(split.test, options.testLimit, 'testLimit'),
  });
}
