/**
 * mtljs/browser — the part of mtljs that runs in a web page: no Node APIs anywhere below it (a test
 * bundles this entry for the browser and fails on any `node:` import). Models, task kinds, loss
 * weightings, gradient aggregators, the Trainer and its callbacks, preprocessing, metrics, the text
 * tokenizer, and the runtime that loads a saved model folder with tfjs alone. The page supplies tfjs's
 * backend (`tf.setBackend`).
 */
export { tf, tfl, type Tensor } from './engine/tf.js';
export { Tape } from './engine/tape.js';

export type { Dataset, DatasetSplit, TaskKind, TaskSpec, PreprocessingState, FeatureSpec, FeatureState, IdSource, EmbeddedFeatureState, TargetSpec, TableSchema, RawRecord, RawValue } from './data/types.js';
export { TASK_KINDS } from './data/types.js';
export { DataError } from './data/errors.js';
export { fitPreprocessing, encodeRows, encodeRow, type EncodeOptions } from './data/preprocess.js';
export { tableToSplit, type TableSplitOptions, type RawTable } from './data/table.js';
export { mulberry32, shuffleIndices, trainTestSplit, subsetDataset } from './data/split.js';
export { mergeTaskDatasets } from './data/merge.js';
export { DATA_SOURCES, DATASET_SOURCES, dataSource, sourcesOfDataset, type DataSource, type DataFile } from './data/catalog.js';

export type { Task, Metrics } from './tasks/types.js';
export { createTask, type TaskOptions } from './tasks/registry.js';
export { sequenceTask } from './tasks/sequence.js';
export { extractSpans, spanF1, type Span, type SpanCounts, type SpanScores } from './tasks/spans.js';
export { ctcTask, isCtcTask, type CtcTask } from './tasks/ctc.js';
export { ctcLoss, ctcLogLikelihood, type CtcLossOptions } from './tasks/ctc-loss.js';
export { ctcGreedyDecode, ctcBeamSearch, type BeamOptions, type BeamResult } from './tasks/ctc-decode.js';
export { cer, wer, levenshtein, errorRate } from './eval/error-rate.js';

export type { MultiTaskModel, ArchitectureContext, ArchitectureFactory, ForwardResult } from './models/types.js';
export { buildModel, registerArchitecture, architectureNames } from './models/registry.js';
export { buildEncoder, buildHead, type EncoderConfig, type Activation, type MlpEncoderConfig, type CnnEncoderConfig, type CustomEncoderConfig } from './models/encoders.js';
export { hardSharing, type HpsConfig } from './models/hps.js';
export { buildManifest, tasksFromManifest, type Manifest, type TaskManifest } from './models/manifest.js';
export { countParameters, parameterGroups } from './models/params.js';

export type { Weighting, WeightingOptions, WeightingFactory, WeightingContext } from './weighting/types.js';
export type { OptionsSchema } from './util/registry.js';
export { createWeighting, registerWeighting, weightingNames } from './weighting/registry.js';
export { aggregate, aggregatorNames, isGramianMethod, registerAggregator, weightsFromGramian, weightsOf, aggregatorMethod } from './aggregators/index.js';
export { crossGramian, rowsView, type GradientMethod, type GradientView, type MethodContext } from './aggregators/method.js';
export { gradNormMethod, type GradNormState } from './weighting/gradnorm.js';
export { dbMtlMethod, type DbMtlState } from './weighting/db-mtl.js';
export type { Aggregator, AggregatorOptions, GradientRows, GramianWeights, Matrix } from './aggregators/index.js';
export { fromWeights } from './aggregators/weighted.js';

export { Trainer, type TrainerOptions, type EpochRecord, type FitResult, type TrainerState, type TrainerSnapshot } from './train/trainer.js';
export type { TrainerCallback, TrainerHandle } from './train/callbacks.js';
export { EarlyStopping, type EarlyStoppingState } from './train/early-stopping.js';
export { DivergenceError, DIVERGENCE_POLICIES, type DivergencePolicy, type DivergenceOptions } from './train/divergence.js';
export { evaluateDataset, type DatasetEvaluation } from './train/evaluate.js';
export { evaluateSource } from './train/evaluate-stream.js';
export { datasetSource, isBatchSource, rowBatchTensors, type TrainingData } from './train/batch-source.js';
export type { BatchSource, RowBatch } from './data/batch-source.js';
export { ShuffleBuffer, BatchAssembler, type RowLayout, type RowBlock, type RowSink } from './data/shuffle-buffer.js';
export { hashSide, hashUnit, type Side, type HashSplitOptions } from './data/hash-split.js';
export { RunningMoments } from './data/running-stats.js';
export { prepare, makeBatch, disposeBatch, type Batch, type PreparedData, type PreparedTask } from './train/batches.js';
export type { Batching } from './train/sampler.js';
export type { OptimizerConfig } from './train/optimizer.js';
export { GradientStatsAccumulator, GradientStatsCallback, type GradientStats } from './train/gradient-stats.js';
export { gradientStep, type DirectionFn, type GradientMode, type GradientStepResult } from './train/gradient-step.js';
export { TaskGradients } from './train/task-gradients.js';
export type { Direction } from './aggregators/method.js';
export { lookaheadAffinity, AffinityCallback } from './train/affinity.js';
export { bestGrouping, groupScore, type Grouping } from './relations/grouping.js';
/** Classical linear multi-task learning: independent and pooled ridge, trace-norm MTL, clustered MTL. */
export * as linearMtl from './relations/linear-mtl.js';
/** Adding a task without forgetting: EWC and LwF penalties for the Trainer. */
export * as continual from './continual/index.js';
/** MAML and Reptile on small parametric models. */
export * as meta from './meta/index.js';

export { deltaM, relativeChange, type DeltaInput } from './eval/delta.js';
export { spread, formatSpread, pairedTest, studentTwoSidedP, type Spread, type PairedTest } from './eval/uncertainty.js';
export { formatReport, withDeltas, type Report, type TaskReport, type MetricMap } from './eval/report.js';
export * as metrics from './eval/metrics.js';
export { UsageError } from './config/errors.js';

export { tokenize, detokenize, encodeSentences, Vocabulary, PAD_ID, UNK_ID, type TokenizerOptions, type EncodedSentence, type VocabularyOptions } from './data/text/tokenizer.js';
export { readWav, writeWav, floatToInt16, int16ToFloat, resample, hzToMel, melToHz, melFilterbank, LogMel, logMel, logMelBatch, logMelConfig, frameCount, type WavAudio, type MelFilter, type MelFilterbank, type ResampleOptions, type LogMelOptions, type LogMelConfig, type LogMelFeatures, type LogMelBatch, type AudioSamples } from './data/audio/index.js';
export { SPOKEN_CORPORA, SPOKEN_SPLITS, DEFAULT_VOICES, DEFAULT_SIZES, type SpokenUtterance, type SpokenIndexEntry, type UtterancePlan, type SpokenSettings, type SpokenSplitSummary, type SpokenManifest, type SpokenSplit, type SpokenCorpusName, type VoiceSplit } from './data/speech/plan.js';
export { buildTextEncoder, type TextEncoderConfig, type TextEncoderContext, type BiGruEncoderConfig, type TransformerEncoderConfig } from './models/text/encoder.js';
export { buildAudioEncoder, type AudioEncoderConfig, type AudioEncoderContext, type AudioConvConfig, type AudioSequenceConfig } from './models/audio/encoder.js';
export { audioHardSharing, type AudioHpsConfig } from './models/audio-hps.js';
export { AUDIO_STATE_FILE, audioState, parseAudioState, audioFeatures, writeAudioInput, type AudioState } from './data/audio/audio-state.js';
export { AudioPredictor, audioAnswers, parseFrameTokens, type AudioPrediction, type AudioTaskAnswer } from './browser/audio-predict.js';
export { fusionModel, buildFusionEncoder, type FusionConfig, type FusionMode, type FusionParts } from './models/fusion/model.js';
export { resolveViews, type ViewSpecs, type ViewSpec } from './models/fusion/views.js';
export { crossViewAttention, type CrossViewAttention, type CrossViewAttentionArgs, type FusionLayerArgs } from './models/fusion/layers.js';

export { loadMtlModel, MtlModel, type Tf, type BrowserManifest, type BrowserTask } from './browser/runtime.js';
export { formatRows, taskUnits, type TaskAnswer, type TaskInfo } from './browser/format.js';
