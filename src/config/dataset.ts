/**
 * The dataset a config names: a built-in loader (adult, energy, …) or a table of the user's own (csv, tsv,
 * arff, jsonl; ./table-data.ts). Relative paths are resolved against the config file's folder; a missing
 * file is a UsageError.
 */
import path from 'node:path';
import { loadDataset } from '../data/loaders/index.js';
import type { DatasetSplit } from '../data/types.js';
import { isSequenceData, loadSequenceData } from './sequence-data.js';
import type { ExperimentConfig } from './schema.js';
import { UsageError } from './errors.js';
import { loadTableData } from './table-data.js';

export interface LoadConfigDatasetOptions {
  /** Where the summaries of a user's table go (the inferred feature types, the split); default stderr. */
  log?: (line: string) => void;
}

export async function loadConfigDataset(config: ExperimentConfig, baseDir: string, dataDirOverride?: string, options: LoadConfigDatasetOptions = {}): Promise<DatasetSplit> {
  const d = config.data;
  if (isSequenceData(d)) return loadSequenceData(d, baseDir); // a tagged corpus of the user's own (seq folders or CoNLL files)
  if ('features' in d && d.stream) {
    throw new UsageError('data.stream: true: this command reads the whole table into memory; mtl train streams it (or set stream: false)');
  }
  if ('features' in d) return loadTableData(d, baseDir, config.seed, config.limits.maxInputWidth, options.log ?? ((m) => console.error(m)));
  const dataDir = dataDirOverride ?? (d.dir ? path.resolve(baseDir, d.dir) : undefined);
  return loadDataset(d.dataset, { ...d.options, dataDir });
}
