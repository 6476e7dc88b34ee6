/**
 * mtljs/node — the Node-only part of mtljs: backends (wasm with native kernels, cpu, tfjs-node), file
 * IO (CSV/ARFF readers, tables streamed from disk, model folders, checkpoints), the built-in datasets (shipped, cached or
 * downloaded), the Trainer with a run folder (checkpoints, history.jsonl) and terminal progress, the
 * CLI's workflows (experiment,
 * compare, affinity, evaluation), the inference server and the dashboard.
 */
export { initBackend, BACKENDS, type BackendName, type BackendOptions } from './engine/backend.js';

export { parseCsv, type CsvOptions, type CsvTable } from './data/csv.js';
export { readCsvFile, readArffFile, readJsonlFile } from './data/node/table-files.js';
export { parseArff, type ArffData, type ArffAttribute } from './data/arff.js';
export { parseJsonl, type JsonlTable } from './data/jsonl.js';
export { openStreamedTable, fitStreamedTable, DEFAULT_SHUFFLE_BUFFER, type StreamedTable, type StreamedTableOptions } from './data/stream/streamed-table.js';
export { readRows, sampleTable, lineOfRow, type TableFileOptions, type StreamFormat, type RowChunk, type TableSample } from './data/stream/table-file.js';
export { TableStats, checkFittedTable, type FittedTable, type FittedTarget, type LabelSummary } from './data/table-stats.js';
export type { SanityReport } from './data/sanity.js';
export { loadStreamData, isStreamData, isStreamedSplit, type StreamedSplit } from './config/stream-data.js';
export { loadDataset, loadAdult, loadEnergy, loadSarcos, loadMulan, loadMnist, DATASET_NAMES, type LoadOptions } from './data/loaders/index.js';
export type { MulanName } from './data/loaders/mulan.js';
export {
  loadSequenceCorpus, readSequenceCorpus, readSeqFolder, readConllFiles, parseConll, sequenceCorpusSplit, sequenceCorpusName, sequenceCorpusTaskSpecs, orderTags,
  SEQUENCE_FORMATS, UNKNOWN_LABEL_POLICIES, UNKNOWN_CLASS, OUTSIDE_TAG,
  type SequenceCorpusRaw, type SequenceCorpusSplitRaw, type SequenceCorpusOptions, type SequenceCorpusSource, type SequenceFormat, type UnknownLabelPolicy,
} from './data/loaders/sequence-corpus.js';
export { locateDataFile, findDataFile, readDataText, type LocatedFile, type LocateOptions, type DataLocation } from './data/store/locate.js';
export { downloadFile, DataUnavailableError, type DownloadOptions } from './data/store/download.js';
export { fetchSource, sourceStatus, sourcesNamed, dataCacheDir, type SourceStatus } from './data/store/datasets.js';

export { saveLayersModel, loadLayersModel } from './models/io.js';
export { loadSavedModel, type SavedModel } from './models/saved.js';
export { ModelFileError } from './models/errors.js';
export { loadTextState, saveTextState, type TextState, type TextSplit, type TextLoadOptions } from './data/text/state.js';
export { loadSpokenCorpus, loadSpokenSplits, ensureSpokenCorpus, readSpokenSplit, type SpokenCorpusOptions, type SpokenCorpusInfo } from './data/node/speech-corpus.js';
export { SpeechSynthesisError, SpeechSynthesizerMissingError } from './data/node/speech-espeak.js';
export { AudioModel, predictAudioFile, resolveAudioModelDir, readAudioState, formatAudioPrediction } from './run/predict-audio.js';

export { Trainer, type TrainerOptions } from './train/node/trainer.js';
// The core Trainer (mtljs/browser's Trainer), which the Node one extends: callbacks receive it.
export { Trainer as CoreTrainer, type TrainerOptions as CoreTrainerOptions } from './train/trainer.js';
export { ProgressCallback, summariseEpoch, type ProgressMode } from './train/node/progress-callback.js';
export { RunFolderCallback, resumeTrainer, type RunFolderOptions as RunFolderCallbackOptions } from './train/node/run-folder-callback.js';

export { configSchema, type ExperimentConfig, type SequenceDataConfig } from './config/schema.js';
export { parseConfig, readConfigFile } from './config/load.js';
export { runExperiment, trainModel, type ExperimentOptions, type TrainedModel } from './run/experiment.js';
export { evaluateRun } from './run/evaluate-run.js';
export { runCompare, parseMethod, type CompareResult, type CompareRow, type CompareSummary, type CompareTaskInfo, type CompareUnit, type UnitResult, type MethodSpec } from './run/compare.js';
export { runAffinity, type AffinityResult, type UnitRunner } from './run/affinity.js';
export { runSeeds, formatSeedsReport, type SeedsReport } from './run/seeds.js';

export { createServer, type ServeOptions } from './serve/server.js';
export { DEFAULT_TIMEOUTS, type Timeouts } from './serve/security.js';
export { createDashboardServer, type DashboardServer, type DashboardServerOptions } from './dashboard/server.js';
export type { DashboardState, RunStatus, HistoryRecord } from './dashboard/state.js';
export { startLiveDashboard, type LiveDashboard, type LiveDashboardOptions } from './dashboard/live.js';
