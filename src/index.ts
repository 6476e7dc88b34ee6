/**
 * mtljs public API. Everything a user needs to build, train, evaluate and save a multi-task model.
 */
export { tf, tfl } from './engine/tf.js';
export { initBackend, BACKENDS, type BackendName } from './engine/backend.js';

export type { Dataset, DatasetSplit, TaskKind, TaskSpec, PreprocessingState, FeatureSpec, TargetSpec, TableSchema, RawRecord } from './data/types.js';
export { TASK_KINDS } from './data/types.js';
export { DataError } from './data/errors.js';
export { parseCsv, readCsvFile } from './data/csv.js';
export { parseArff, readArffFile } from './data/arff.js';
export { fitPreprocessing, encodeRows, encodeRow } from './data/preprocess.js';
export { tableToSplit } from './data/table.js';
export { mulberry32, shuffleIndices, trainTestSplit, subsetDataset } from './data/split.js';
export { mergeTaskDatasets } from './data/merge.js';
export { loadDataset, loadAdult, loadEnergy, loadSarcos, loadMulan, loadMnist, DATASET_NAMES, type LoadOptions } from './data/loaders/index.js';

export type { Task, Metrics } from './tasks/types.js';
export { createTask, type TaskOptions } from './tasks/registry.js';

export type { MultiTaskModel, ArchitectureContext, ArchitectureFactory, ForwardResult } from './models/types.js';
export { buildModel, registerArchitecture, architectureNames } from './models/registry.js';
export { buildEncoder, buildHead, type EncoderConfig } from './models/encoders.js';
export { hardSharing, type HpsConfig } from './models/hps.js';
export { saveLayersModel, loadLayersModel } from './models/io.js';
export { buildManifest, tasksFromManifest, type Manifest } from './models/manifest.js';
export { loadSavedModel, type SavedModel } from './models/saved.js';

export type { Weighting, WeightingOptions, WeightingFactory } from './weighting/types.js';
export { createWeighting, registerWeighting, weightingNames } from './weighting/registry.js';

export { Trainer, type TrainerOptions, type EpochRecord, type FitResult } from './train/trainer.js';
export { evaluateDataset } from './train/evaluate.js';
export { prepare, makeBatch, disposeBatch } from './train/batches.js';

export { deltaM, relativeChange } from './eval/delta.js';
export { formatReport, withDeltas, type Report } from './eval/report.js';
export * as metrics from './eval/metrics.js';

export { configSchema, type ExperimentConfig } from './config/schema.js';
export { parseConfig, readConfigFile } from './config/load.js';
export { UsageError } from './config/errors.js';
export { runExperiment, trainModel } from './run/experiment.js';
export { evaluateRun } from './run/evaluate-run.js';

export { countParameters, parameterGroups } from './models/params.js';
export { aggregate, aggregatorNames, isGramianMethod, registerAggregator, weightsFromGramian, weightsOf } from './aggregators/index.js';
export type { Aggregator, AggregatorOptions } from './aggregators/index.js';
export { fromWeights } from './aggregators/weighted.js';
export { lookaheadAffinity } from './relations/affinity.js';
export { bestGrouping, groupScore, type Grouping } from './relations/grouping.js';
export { GradientStatsAccumulator, type GradientStats } from './train/gradient-stats.js';
export { gradientStep, type DirectionFn, type GradientMode } from './train/gradient-step.js';
export { TaskGradients, type Direction } from './train/task-gradients.js';
export { Tape } from './engine/tape.js';
export { runCompare, parseMethod } from './run/compare.js';
export { runAffinity } from './run/affinity.js';
export { createServer, type ServeOptions } from './serve/server.js';

export { tokenize, detokenize, encodeSentences, Vocabulary, PAD_ID, UNK_ID, type TokenizerOptions } from './text/tokenizer.js';
export { buildTextEncoder, type TextEncoderConfig } from './text/encoder.js';
export { loadTextState, saveTextState, type TextState } from './text/state.js';
export { sequenceTask } from './tasks/sequence.js';
export { extractSpans, spanF1, type Span } from './tasks/spans.js';
export { fusionModel, buildFusionEncoder, type FusionConfig, type FusionMode } from './fusion/model.js';
export { resolveViews, type ViewSpecs } from './fusion/views.js';
export { crossViewAttention } from './fusion/layers.js';
