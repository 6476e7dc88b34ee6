/**
 * SARCOS inverse dynamics: sarcos/sarcos_inv_test.csv (4,449 rows; header q1..q7, dq1..dq7,
 * ddq1..ddq7, tau1..tau7). 21 numeric inputs; 7 regression tasks tau1..tau7 (raw torques).
 * Only the original test file is available, so a seeded 80/20 split (option seed, default 0) is made.
 */

import type { DatasetSplit, TableSchema } from '../types.js';
import { loadCsvDataset, type LoadOptions } from './common.js';

const JOINTS = [1, 2, 3, 4, 5, 6, 7];

export const SARCOS_SCHEMA: TableSchema = {
  features: ['q', 'dq', 'ddq'].flatMap((p) => JOINTS.map((j) => ({ column: `${p}${j}`, type: 'numeric' as const }))),
  targets: JOINTS.map((j) => ({ task: `tau${j}`, kind: 'regression' as const, columns: [`tau${j}`] })),
};

export function loadSarcos(options: LoadOptions = {}): Promise<DatasetSplit> {
  return loadCsvDataset('sarcos', 'sarcos/sarcos_inv_test.csv', SARCOS_SCHEMA, options);
}
