/**
 * The studio's Web Worker (bundled by ./bundle.ts into studio-worker.js): it owns the backend, the
 * loaded table and the trained model, and answers the page's messages (./protocol.ts). Training runs
 * here so the page stays responsive; every failure is caught and sent back as one `error` message (the
 * page shows it and stays usable). An exception that escapes anyway reaches the page as the worker's
 * `error` event, and the page starts a new worker.
 *
 * A stopped run stays here (its models, optimizers and schedules: ./experiment.ts) until a 'resume'
 * continues it, or a new Train or another table discards it (its tensors freed).
 */
import type { MtlModel } from '../browser/runtime.js';
import type { RawRecord } from '../data/types.js';
import { startBestBackend } from './backend.js';
import { aggregatorNames } from '../aggregators/index.js';
import { weightingNames } from '../weighting/registry.js';
import { checkStudioConfig, studioArchitectures } from './config.js';
import { StudioExperiment, type RunHooks, type RunResult } from './experiment.js';
import { loadModelFiles } from './model-files.js';
import type { BackendInfo, FromWorker, ToWorker } from './protocol.js';
import { LimitError, parseTable, summarize, type LoadedTable } from './table.js';

interface WorkerScope {
  location: { href: string };
  postMessage(message: FromWorker): void;
  addEventListener(type: 'message', listener: (ev: { data: ToWorker }) => void): void;
}

const scope = globalThis as unknown as WorkerScope;
const post = (m: FromWorker): void => scope.postMessage(m);

let table: LoadedTable | null = null;
let predictor: MtlModel | null = null;
let training = false;
/** The stopped run a 'resume' continues, if any. */
let stoppedRun: StudioExperiment | null = null;
let stopAsked = false;
let stopFlag: Int32Array | null = null;

let backend: Promise<unknown> = Promise.reject(new Error('the worker was not initialised'));
backend.catch(() => {});

function init(preferred: string | undefined): void {
  backend = startBestBackend(new URL('./', scope.location.href).href, preferred);
  backend.then(
    (info) => post({ type: 'ready', backend: info as BackendInfo, methods: { architectures: studioArchitectures(), weightings: weightingNames(), aggregators: aggregatorNames() } }),
    (e: Error) => post({ type: 'error', during: 'init', message: e.message }),
  );
}

const message = (e: unknown): string => (e instanceof Error ? e.message : String(e));

function hooks(): RunHooks {
  const flag = stopFlag;
  return {
    post,
    stopRequested: () => stopAsked || (flag !== null && Atomics.load(flag, 0) === 1),
    withinEpoch: flag !== null,
    yieldNow: () => new Promise((resolve) => setTimeout(resolve, 0)),
  };
}

/** Frees the stopped run, if any (a new Train or another table replaces it). */
function discardStopped(): void {
  stoppedRun?.dispose();
  stoppedRun = null;
}

/** Trains `experiment` until it ends (then frees it) or stops (then keeps it for 'resume'). */
async function trainOn(experiment: StudioExperiment, go: () => Promise<RunResult>): Promise<void> {
  training = true;
  stopAsked = false;
  if (stopFlag) Atomics.store(stopFlag, 0, 0);
  predictor?.model.dispose();
  predictor = null;
  try {
    const result = await go();
    if (result.resumable) stoppedRun = experiment;
    else experiment.dispose();
    predictor = await loadModelFiles(result.files);
    post({ type: 'done', ...result });
  } catch (e) {
    if (stoppedRun === experiment) stoppedRun = null;
    experiment.dispose();
    throw e;
  } finally {
    training = false;
  }
}

async function train(config: unknown): Promise<void> {
  if (training) throw new Error('a training is already running');
  if (!table) throw new Error('load a table first');
  discardStopped();
  const checked = checkStudioConfig(config);
  await backend;
  const experiment = StudioExperiment.create(table, checked, hooks());
  await trainOn(experiment, () => experiment.train());
}

async function resume(): Promise<void> {
  if (training) throw new Error('a training is already running');
  const experiment = stoppedRun;
  if (!experiment) throw new Error('there is no stopped run to resume: press Train');
  stoppedRun = null;
  await trainOn(experiment, () => experiment.resume());
}

function predict(row: RawRecord): void {
  if (!predictor) throw new Error('train a model first');
  const raw = predictor.predictRows([row]);
  const outputs = Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, Array.from(v)]));
  post({ type: 'prediction', row, outputs, answers: predictor.answers(raw, 1)[0]! });
}

scope.addEventListener('message', (ev) => {
  const m = ev.data;
  switch (m.type) {
    case 'init':
      stopFlag = m.stop ? new Int32Array(m.stop) : null;
      init(m.backend);
      return;
    case 'stop':
      stopAsked = true;
      return;
    case 'crash':
      setTimeout(() => {
        throw new Error('the studio worker crashed (forced by the page, for tests)');
      }, 0);
      return;
    case 'load':
      if (training) {
        post({ type: 'error', during: 'load', message: 'a training is running: stop it before loading another table' });
        return;
      }
      discardStopped();
      try {
        table = null;
        table = parseTable(m.name, m.text, m.maxRows);
        post({ type: 'table', summary: summarize(table) });
      } catch (e) {
        post({ type: 'error', during: 'load', message: message(e), ...(e instanceof LimitError ? { limit: true } : {}) });
      }
      return;
    case 'train':
      train(m.config).catch((e: unknown) => post({ type: 'error', during: 'train', message: message(e) }));
      return;
    case 'resume':
      resume().catch((e: unknown) => post({ type: 'error', during: 'train', message: message(e) }));
      return;
    case 'predict':
      try {
        predict(m.row);
      } catch (e) {
        post({ type: 'error', during: 'predict', message: message(e) });
      }
      return;
  }
});
