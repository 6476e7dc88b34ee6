/**
 * `data: { dataset: sequence, … }` of a config → the corpus reader (src/data/loaders/sequence-corpus.ts).
 * `dir` is relative to the config file's folder; conll's `train` / `dev` / `test` to `dir` when given,
 * else to the config's folder. `--data-dir` does not apply (it is where built-in datasets are looked up).
 */
import path from 'node:path';
import { loadSequenceCorpus, sequenceCorpusName, type SequenceCorpusSource } from '../data/loaders/sequence-corpus.js';
import type { TextSplit } from '../data/text/state.js';
import type { ExperimentConfig, SequenceDataConfig } from './schema.js';

export function isSequenceData(d: ExperimentConfig['data']): d is SequenceDataConfig {
  return d.dataset === 'sequence';
}

/** Where the corpus is, with paths resolved against the config's folder. */
export function sequenceDataSource(d: SequenceDataConfig, baseDir: string): SequenceCorpusSource {
  const dir = d.dir === undefined ? undefined : path.resolve(baseDir, d.dir);
  if (d.format === 'seq') return { format: 'seq', dir: dir!, name: d.name };
  const at = (f: string | undefined) => (f === undefined ? undefined : path.resolve(dir ?? baseDir, f));
  return { format: 'conll', train: at(d.train)!, dev: at(d.dev), test: at(d.test)!, name: d.name };
}

/** The dataset's own name: data.name, else the folder's (what run titles and manifests should say). */
export function sequenceDataName(d: SequenceDataConfig, baseDir: string): string {
  return sequenceCorpusName(sequenceDataSource(d, baseDir));
}

export function loadSequenceData(d: SequenceDataConfig, baseDir: string): TextSplit {
  return loadSequenceCorpus(sequenceDataSource(d, baseDir), {
    labelTask: d.labelTask, tagTask: d.tagTask, unknownLabel: d.unknownLabel, lowercase: d.lowercase, ...d.options,
  });
}
