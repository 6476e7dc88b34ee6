/**
 * Dataset registry: `loadDataset(name, options)` → DatasetSplit for every built-in dataset name.
 */

import type { DatasetSplit } from '../types.js';
import { loadAdult } from './adult.js';
import type { LoadOptions } from './common.js';
import { loadEnergy } from './energy.js';
import { loadMnist } from './mnist.js';
import { loadMulan } from './mulan.js';
import { loadSarcos } from './sarcos.js';
import { loadSnips } from './snips.js';
import { loadUciSentiment } from './sentiment.js';
import { loadSnipsSentiment } from './snips-sentiment.js';

export type { LoadOptions } from './common.js';
export { readDataFile } from './common.js';
export { loadAdult, loadEnergy, loadMnist, loadMulan, loadSarcos, loadSnips, loadUciSentiment, loadSnipsSentiment };

const LOADERS = {
  adult: loadAdult,
  energy: loadEnergy,
  sarcos: loadSarcos,
  'mulan-emotions': (o: LoadOptions) => loadMulan('emotions', o),
  'mulan-yeast': (o: LoadOptions) => loadMulan('yeast', o),
  'mulan-scene': (o: LoadOptions) => loadMulan('scene', o),
  'mulan-flags': (o: LoadOptions) => loadMulan('flags', o),
  mnist: loadMnist,
  snips: loadSnips,
  'uci-sentiment': loadUciSentiment,
  'snips-sentiment': loadSnipsSentiment,
  school: async (o: LoadOptions) => (await import('./school.js')).loadSchoolSplit(o),
} satisfies Record<string, (options: LoadOptions) => Promise<DatasetSplit>>;

export type DatasetName = keyof typeof LOADERS;
export const DATASET_NAMES = Object.keys(LOADERS) as DatasetName[];

export function isDatasetName(name: string): name is DatasetName {
  return Object.prototype.hasOwnProperty.call(LOADERS, name);
}

export async function loadDataset(name: string, options: LoadOptions = {}): Promise<DatasetSplit> {
  if (!isDatasetName(name)) throw new Error(`unknown dataset '${name}' (known: ${DATASET_NAMES.join(', ')})`);
  return LOADERS[name](options);
}
