/**
 * The studio's settings as an `mtl train` config (JSON is YAML), shown by the page so that a run started
 * there can be repeated from the command line — e.g. on a table too large for the page, with
 * `stream: true`. Types only from ./config.ts: the page bundle carries no registry or model code.
 */
import type { CheckedStudioConfig } from './config.js';

/** The same run as an `mtl train` config: the data from `file` (`stream: true` reads it from disk a pass at a time). */
export function trainConfig(c: CheckedStudioConfig, file: string, format: string, columns: readonly string[], stream = false): Record<string, unknown> {
  const features = new Set(c.features);
  const targets = new Set(c.targets.map((t) => t.column));
  const exclude = columns.filter((col) => !features.has(col) && !targets.has(col));
  return {
    name: c.name,
    seed: c.seed,
    data: {
      dataset: format === 'tsv' ? 'tsv' : format === 'jsonl' ? 'jsonl' : format === 'arff' ? 'arff' : 'csv',
      train: file,
      testFraction: c.train.testFraction,
      ...(stream ? { stream: true } : {}),
      features: 'all',
      ...(exclude.length ? { exclude } : {}),
      ...(Object.keys(c.types).length ? { types: Object.fromEntries(Object.entries(c.types).filter(([k]) => features.has(k))) } : {}),
      targets: c.targets.map((t) => ({ task: t.task ?? t.column, kind: t.kind, columns: [t.column], ...(t.positive !== undefined ? { positive: [t.positive] } : {}) })),
    },
    model: { architecture: c.model.architecture, encoder: { type: 'mlp', hidden: c.model.hidden }, head: { hidden: c.model.head } },
    train: {
      epochs: c.train.epochs, batchSize: c.train.batchSize, lr: c.train.lr, validationSplit: c.train.validationSplit,
      earlyStopping: c.train.patience > 0 ? { patience: c.train.patience } : false,
      weighting: { method: c.train.weighting },
      ...(c.train.aggregator ? { aggregator: { method: c.train.aggregator, mode: c.train.mode } } : {}),
    },
    baselines: { stl: c.baselines },
  };
}
