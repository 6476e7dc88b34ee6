/**
 * The dataset contract every loader returns and the trainer consumes.
 *
 * Inputs are one dense Float32Array (n × prod(inputShape), row-major). Labels are kept per task as a
 * Float32Array of n × width values where NaN marks a missing label: the task's mask is derived from it,
 * so a sample without a label for one task still trains the others.
 */

export const TASK_KINDS = ['multiclass', 'binary', 'multilabel', 'regression', 'box', 'sequence', 'ctc', 'generate'] as const;
export type TaskKind = (typeof TASK_KINDS)[number];

/** What a dataset knows about one of its tasks. */
export interface TaskSpec {
  name: string;
  kind: TaskKind;
  /**
   * Label values per sample: multiclass 1 (the class index), binary 1 (0/1), multilabel = number of
   * labels (0/1 each), regression = number of outputs, box 4 (x1, y1, x2, y2 in [0, 1]).
   */
  width: number;
  /** multiclass: number of classes. Others: equal to width. */
  outputSize: number;
  /** multiclass: class names; multilabel: label names; regression: output names; binary: [negative, positive]. */
  labelNames?: string[];
}

export interface Dataset {
  name: string;
  /** Shape of one sample's input, e.g. [104] for a table or [28, 28, 1] for an image. */
  inputShape: number[];
  n: number;
  x: Float32Array;
  tasks: TaskSpec[];
  /** task name → n × width label values, NaN = missing. */
  labels: Record<string, Float32Array>;
}

/** A train/test pair that shares one fitted preprocessing. */
export interface DatasetSplit {
  train: Dataset;
  test: Dataset;
  /** How raw records become inputs (JSON-serialisable; stored in the model manifest). */
  preprocessing?: PreprocessingState;
}

/**
 * Where an id feature's ids come from: its vocabulary (training values seen at least minCount times,
 * sorted; id 1 + position), or `hash` buckets (id 1 + FNV-1a(value) mod hash). Id 0 is missing and
 * out-of-vocabulary; ./feature-ids.ts.
 */
export type IdSource = { categories: string[]; hash?: undefined } | { hash: number; categories?: undefined };

export type FeatureState =
  | { column: string; type: 'numeric'; mean: number; std: number }
  /** One-hot (no `embedding`): one value per category; with `embedding`: one id slot, looked up in a table of that dimension. */
  | ({ column: string; type: 'categorical'; embedding?: undefined; categories: string[]; hash?: undefined })
  | ({ column: string; type: 'categorical'; embedding: number } & IdSource)
  /** A list of ids in one cell (`separator`-joined, e.g. a user's last items): maxLength id slots (-1 = none), embedded and mean-pooled. */
  | ({ column: string; type: 'ids'; embedding: number; separator: string; maxLength: number } & IdSource);

/** The feature states that are embedded (an id slot or a list of id slots, not one-hot). */
export type EmbeddedFeatureState = Extract<FeatureState, { embedding: number }>;

export interface PreprocessingState {
  /** Feature columns in input order; one-hot categorical ones expand to blocks, embedded ones to id slots. */
  features: FeatureState[];
  /** Length of the encoded input vector. */
  inputSize: number;
}

/** One raw cell of a record: text from a file, a number from JSON, or null/undefined/''/'?' for missing. */
export type RawValue = string | number | null | undefined;

/** A raw record keyed by column name (a table row, or a JSON object sent to the server). */
export type RawRecord = Record<string, RawValue>;

/**
 * How one input column is encoded: numeric → standardized; categorical → one-hot, or with `embedding`
 * (a dimension) → an id looked up in a trained table (ids from the vocabulary, values seen fewer than
 * `minCount` times (default 1) → the out-of-vocabulary id, or from `hash` buckets); ids → a
 * `separator`-joined list (default '|') of at most `maxLength` (default 20) ids, embedded and averaged.
 */
export interface FeatureSpec {
  column: string;
  type: 'numeric' | 'categorical' | 'ids';
  embedding?: number;
  hash?: number;
  minCount?: number;
  separator?: string;
  maxLength?: number;
}

/** How one task's labels are read from raw columns (see TaskSpec for the label conventions). */
export interface TargetSpec {
  task: string;
  kind: TaskKind;
  /** Source columns: 1 for multiclass/binary, one per label for multilabel/regression, 4 for box. */
  columns: string[];
  /**
   * binary / multilabel: raw values that mean 1 (others mean 0). A text value matches the trimmed cell
   * text; a number matches a cell that reads as that number ('1.0' matches 1). Default: the cell must
   * read 0 or 1.
   */
  positive?: (string | number)[];
  /** binary / multilabel: a cell whose number is > threshold means 1, ≤ threshold 0 (instead of positive). */
  threshold?: number;
  /** multiclass: class order. Default: the distinct training values, sorted. */
  classes?: string[];
  /** Overrides TaskSpec.labelNames. */
  labelNames?: string[];
}

/** Input features and task targets of a table. */
export interface TableSchema {
  features: FeatureSpec[];
  targets: TargetSpec[];
}
