/**
 * mtljs/node — the Node-only part of mtljs: backends (wasm with native kernels, cpu, tfjs-node), file
 * IO (CSV/ARFF readers, model folders, checkpoints), the built-in datasets (shipped, cached or
 * downloaded), the Trainer (it writes checkpoints and history files), the CLI's workflows (experiment,
 * compare, affinity, evaluation), the inference server and the dashboard.
 */
export { initBackend, BACKENDS, type BackendName, type BackendOptions } from './engine/backend.js';

export { parseCsv, readCsvFile, type CsvOptions, type CsvTable } from './data/csv.js';
export { parseArff, readArffFile, type ArffData, type ArffAttribute } from './data/arff.js';
export { loadDataset, loadAdult, loadEnergy, loadSarcos, loadMulan, loadMnist, DATASET_NAMES, type LoadOptions } from './data/loaders/index.js';
export type { MulanName } from './data/loaders/mulan.js';
export { locateDataFile, findDataFile, readDataText, type LocatedFile, type LocateOptions, type DataLocation } from './data/store/locate.js';
export { downloadFile, DataUnavailableError, type DownloadOptions } from './data/store/download.js';
export { fetchSource, sourceStatus, sourcesNamed, dataCacheDir, type SourceStatus } from './data/store/datasets.js';

export { saveLayersModel, loadLayersModel } from './models/io.js';
export { loadSavedModel, type SavedModel } from './models/saved.js';
export { loadTextState, saveTextState, type TextState } from './data/text/state.js';

export { Trainer, type TrainerOptions, type EpochRecord, type FitResult } from './train/trainer.js';

export { configSchema, type ExperimentConfig } from './config/schema.js';
export { parseConfig, readConfigFile } from './config/load.js';
export { runExperiment, trainModel, type ExperimentOptions, type TrainedModel } from './run/experiment.js';
export { evaluateRun } from './run/evaluate-run.js';
export { runCompare, parseMethod, type CompareResult, type CompareRow, type MethodSpec } from './run/compare.js';
export { runAffinity, type AffinityResult } from './run/affinity.js';

export { createServer, type ServeOptions } from './serve/server.js';
export { createDashboardServer, type DashboardServer, type DashboardServerOptions } from './dashboard/server.js';
export type { DashboardState, RunStatus, HistoryRecord } from './dashboard/state.js';
export { startLiveDashboard, type LiveDashboard, type LiveDashboardOptions } from './dashboard/live.js';
