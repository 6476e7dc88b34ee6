/**
 * The studio's Web Worker (bundled by ./bundle.ts into studio-worker.js): it owns the backend, the
 * loaded table and the trained model, and answers the page's messages (./protocol.ts). Training runs
 * here so the page stays responsive; every failure is caught and sent back as one `error` message (the
 * page shows it and stays usable). An exception that escapes anyway reaches the page as the worker's
 * `error` event, and the page starts a new worker.
 */
import type { MtlModel } from '../browser/runtime.js';
import type { RawRecord } from '../data/types.js';
import { startBestBackend } from './backend.js';
import { aggregatorNames } from '../aggregators/index.js';
import { weightingNames } from '../weighting/registry.js';
import { checkStudioConfig, studioArchitectures } from './config.js';
import { runExperiment } from './experiment.js';
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

async function train(config: unknown): Promise<void> {
  if (training) throw new Error('a training is already running');
  if (!table) throw new Error('load a table first');
  const checked = checkStudioConfig(config);
  await backend;
  training = true;
  stopAsked = false;
  if (stopFlag) Atomics.store(stopFlag, 0, 0);
  predictor?.model.dispose();
  predictor = null;
  try {
    const result = await runExperiment(table, checked, {
      post,
      stopRequested: () => stopAsked || (stopFlag !== null && Atomics.load(stopFlag, 0) === 1),
      yieldNow: () => new Promise((resolve) => setTimeout(resolve, 0)),
    });
    predictor = await loadModelFiles(result.files);
    post({ type: 'done', ...result });
  } finally {
    training = false;
  }
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
    case 'predict':
      try {
        predict(m.row);
      } catch (e) {
        post({ type: 'error', during: 'predict', message: message(e) });
      }
      return;
  }
});
