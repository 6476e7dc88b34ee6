/**
 * UCI Energy efficiency: energy/energy_efficiency.csv (header X1..X8, Y1, Y2; 768 rows).
 * Eight numeric features; two regression tasks, `heating` (Y1) and `cooling` (Y2), raw units (kWh/m²).
 * No official split: a seeded 80/20 split (option seed, default 0).
 */

import type { DatasetSplit, TableSchema } from '../types.js';
import { loadCsvDataset, type LoadOptions } from './common.js';

export const ENERGY_SCHEMA: TableSchema = {
  features: ['X1', 'X2', 'X3', 'X4', 'X5', 'X6', 'X7', 'X8'].map((column) => ({ column, type: 'numeric' as const })),
  targets: [
    { task: 'heating', kind: 'regression', columns: ['Y1'], labelNames: ['heating_load'] },
    { task: 'cooling', kind: 'regression', columns: ['Y2'], labelNames: ['cooling_load'] },
  ],
};

export function loadEnergy(options: LoadOptions = {}): Promise<DatasetSplit> {
  return loadCsvDataset('energy', 'energy/energy_efficiency.csv', ENERGY_SCHEMA, options);
}
