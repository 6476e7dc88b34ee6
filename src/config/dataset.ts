/**
 * The dataset a config names: a built-in loader (adult, energy, …) or a CSV file with a schema.
 * Relative CSV paths are resolved against the config file's folder; a missing file is a UsageError.
 */
import fs from 'node:fs';
import path from 'node:path';
import { readCsvFile } from '../data/csv.js';
import { loadDataset } from '../data/loaders/index.js';
import { trainTestSplit } from '../data/split.js';
import { tableToSplit } from '../data/table.js';
import type { DatasetSplit } from '../data/types.js';
import { UsageError } from './errors.js';
import type { CsvDataConfig, ExperimentConfig } from './schema.js';

async function readTable(file: string, c: CsvDataConfig) {
  if (!fs.existsSync(file)) throw new UsageError(`data file not found: ${file}`);
  const t = await readCsvFile(file, { separator: c.separator, header: c.header, source: path.basename(file) });
  const columns = c.columns ?? t.columns;
  if (!columns) throw new UsageError(`${file}: no header row; give data.columns in the config`);
  return { columns, rows: t.rows };
}

async function loadCsv(c: CsvDataConfig, baseDir: string, seed: number): Promise<DatasetSplit> {
  const trainFile = path.resolve(baseDir, c.train);
  const train = await readTable(trainFile, c);
  const schema = { features: c.features, targets: c.targets };
  if (c.test) {
    const test = await readTable(path.resolve(baseDir, c.test), c);
    const rows = [...train.rows, ...test.rows];
    const n = train.rows.length;
    return tableToSplit({ name: path.basename(trainFile), table: { columns: train.columns, rows }, schema,
      train: Array.from({ length: n }, (_, i) => i), test: Array.from({ length: test.rows.length }, (_, i) => n + i) });
  }
  const split = trainTestSplit(train.rows.length, c.testFraction, seed);
  return tableToSplit({ name: path.basename(trainFile), table: train, schema, train: split.train, test: split.test });
}

export async function loadConfigDataset(config: ExperimentConfig, baseDir: string, dataDirOverride?: string): Promise<DatasetSplit> {
  const d = config.data;
  if ('features' in d) return loadCsv(d, baseDir, config.seed);
  const dataDir = dataDirOverride ?? (d.dir ? path.resolve(baseDir, d.dir) : undefined);
  return loadDataset(d.dataset, { ...d.options, dataDir });
}
