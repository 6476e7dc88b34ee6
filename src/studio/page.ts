/**
 * The studio page (bundled by ./bundle.ts into studio.js): drop or pick a table, choose targets and
 * features, train in the worker (./worker.ts) and watch the dashboard's views, then download the model
 * folder and try it on one row. The page holds no model code and sends no request with the user's data:
 * the file is read here and posted to the worker; the only fetches are the site's own files.
 *
 * `?backend=NAME` tries that backend first (else WebGPU → WebGL → wasm → cpu, ./backend.ts).
 * `window.mtlStudio` is the page's handle for scripts and tests: its state (backend, summary, report,
 * last prediction, model files, a stopped run's epochs), its limits (lowered by tests), and the actions
 * the buttons take.
 *
 * Stop keeps the run in the worker; Resume continues it, and it ends exactly as if never stopped. A new
 * Train, another table or a new worker discards it.
 */
import type { FeatureState, RawRecord } from '../data/types.js';
import type { Report } from '../eval/report.js';
import type { HistoryRecord } from '../dashboard/state.js';
import type { TaskAnswer } from '../browser/format.js';
import { trainConfig } from './cli-config.js';
import type { CheckedStudioConfig, StudioConfig, StudioKind } from './config.js';
import { STUDIO_LIMITS, streamingHint, type BackendInfo, type FromWorker, type Methods, type ModelFiles, type Resumable, type StudioLimits, type TableSummary } from './protocol.js';
import { ColumnsTable, type Role } from './page/columns.js';
import { DashboardView } from './page/dashboard-view.js';
import { byId, download, el, select } from './page/dom.js';
import { TryIt } from './page/try-it.js';
import { StudioWorker } from './page/worker-client.js';
import { zipStore } from './zip.js';

/** The sample: rows of UCI Adult (the package's data/adult), with the demo's two tasks preselected. */
const SAMPLE = {
  file: 'adult-sample.csv',
  targets: [
    { column: 'income', task: 'income', kind: 'binary' as StudioKind, positive: '>50K' },
    { column: 'marital-status', task: 'never_married', kind: 'binary' as StudioKind, positive: 'Never-married' },
  ],
};

type Phase = 'starting' | 'idle' | 'loading' | 'training' | 'stopping';

interface StudioHandle {
  phase: Phase;
  backend: BackendInfo | null;
  limits: StudioLimits;
  summary: TableSummary | null;
  report: Report | null;
  stopped: boolean;
  /** The stopped run the worker keeps (the epochs each model completed), which Resume continues; else null. */
  resumable: Resumable | null;
  rowsPerSecond: number;
  files: ModelFiles | null;
  lastPrediction: { row: RawRecord; outputs: Record<string, number[]>; answers: Record<string, TaskAnswer> } | null;
  errors: string[];
  /** Loads a table from text, as a dropped file would be. */
  loadText(name: string, text: string): void;
  setRole(column: string, role: Role, kind?: StudioKind): void;
  config(): StudioConfig;
  train(config?: StudioConfig): void;
  stop(): void;
  resume(): void;
  /** The epoch records the dashboard shows, per model. */
  history(): { mtl: HistoryRecord[]; stl: Record<string, HistoryRecord[]> };
  tryRow(): RawRecord;
  predict(row?: RawRecord): void;
  crashWorker(): void;
}

const $ = {
  backend: byId('backend'),
  error: byId('error'),
  limits: byId('limits-note'),
  drop: byId('drop'),
  file: byId<HTMLInputElement>('file'),
  sample: byId<HTMLButtonElement>('sample'),
  loadStatus: byId('load-status'),
  columnsSection: byId('columns-section'),
  settingsSection: byId('settings-section'),
  trainingSection: byId('training-section'),
  modelSection: byId('model-section'),
  architecture: byId<HTMLSelectElement>('architecture'),
  hidden: byId<HTMLInputElement>('hidden'),
  head: byId<HTMLInputElement>('head'),
  weighting: byId<HTMLSelectElement>('weighting'),
  aggregator: byId<HTMLSelectElement>('aggregator'),
  mode: byId<HTMLSelectElement>('mode'),
  epochs: byId<HTMLInputElement>('epochs'),
  batch: byId<HTMLInputElement>('batch'),
  lr: byId<HTMLInputElement>('lr'),
  patience: byId<HTMLInputElement>('patience'),
  val: byId<HTMLInputElement>('val'),
  test: byId<HTMLInputElement>('test'),
  seed: byId<HTMLInputElement>('seed'),
  baselines: byId<HTMLInputElement>('baselines'),
  train: byId<HTMLButtonElement>('train'),
  stop: byId<HTMLButtonElement>('stop'),
  resume: byId<HTMLButtonElement>('resume'),
  progress: byId('progress-text'),
  progressBar: byId<HTMLProgressElement>('progress-bar'),
  cliConfig: byId('cli-config'),
  trainingNote: byId('training-note'),
  modelNote: byId('model-note'),
  downloadZip: byId<HTMLButtonElement>('download-zip'),
  downloadFiles: byId('download-files'),
  tryFill: byId<HTMLButtonElement>('try-fill'),
  tryPredict: byId<HTMLButtonElement>('try-predict'),
};

const studio: StudioHandle = {
  phase: 'starting', backend: null, limits: { ...STUDIO_LIMITS }, summary: null, report: null, stopped: false, resumable: null, rowsPerSecond: 0,
  files: null, lastPrediction: null, errors: [],
  loadText: (name, text) => loadText(name, text),
  setRole: (column, role, kind) => columns.setRole(column, role, kind),
  config: () => readConfig(),
  train: (config) => startTraining(config ?? readConfig()),
  stop: () => stopTraining(),
  resume: () => resumeTraining(),
  history: () => ({ mtl: dashboard.current.mtl, stl: dashboard.current.stl }),
  tryRow: () => tryIt.row(),
  predict: (row) => worker.send({ type: 'predict', row: row ?? tryIt.row() }),
  crashWorker: () => worker.send({ type: 'crash' }),
};
(window as unknown as { mtlStudio: StudioHandle }).mtlStudio = studio;

/** What the current table came from, to load it again into a replacement worker. */
let source: { name: string; text: () => Promise<string>; targets: typeof SAMPLE.targets } | null = null;
let reloading = false;
let modelName = 'model';
let startedAt = 0;

const columns = new ColumnsTable(byId<HTMLTableElement>('columns'), () => settingsChanged());
const dashboard = new DashboardView(byId<HTMLIFrameElement>('dash'), 'dashboard.html');
const tryIt = new TryIt(byId<HTMLTableElement>('try-form'), byId<HTMLTableElement>('try-answers'));
/** `?backend=wasm` (or webgl, webgpu, cpu) tries that backend first. */
const preferred = new URLSearchParams(location.search).get('backend') ?? undefined;
const worker = new StudioWorker('studio-worker.js', { message: onMessage, crashed: onCrash }, { ...(preferred ? { backend: preferred } : {}) });

function showError(message: string): void {
  studio.errors.push(message);
  $.error.textContent = message;
  $.error.hidden = false;
}

function clearError(): void {
  $.error.hidden = true;
  $.error.textContent = '';
}

function setPhase(p: Phase): void {
  studio.phase = p;
  document.body.dataset.phase = p;
  const busy = p === 'training' || p === 'stopping' || p === 'loading';
  $.train.disabled = busy || p === 'starting' || !studio.summary || columns.choices().targets.length === 0;
  $.stop.disabled = p !== 'training';
  $.resume.disabled = p !== 'idle' || !studio.resumable;
  $.file.disabled = busy;
  $.sample.disabled = busy;
  $.progressBar.hidden = p !== 'training' && p !== 'stopping';
}

$.limits.textContent = `files up to ${STUDIO_LIMITS.maxBytes / 1024 / 1024} MB and ${STUDIO_LIMITS.maxRows.toLocaleString('en-US')} rows; larger tables train from the command line (stream: true)`;

// ---- loading a table --------------------------------------------------------------------------

function baseName(file: string): string {
  return file.replace(/\.[^.]+$/, '') || 'table';
}

function size(bytes: number): string {
  if (bytes < 1024) return `${bytes} bytes`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(bytes < 10 * 1024 * 1024 ? 1 : 0)} MB`;
}

function loadText(name: string, text: string, targets: typeof SAMPLE.targets = []): void {
  source = { name, text: async () => text, targets };
  send(name, text);
}

function send(name: string, text: string): void {
  clearError();
  studio.resumable = null; // the worker discards a stopped run when it loads a table
  setPhase('loading');
  $.loadStatus.textContent = `reading ${name}…`;
  worker.send({ type: 'load', name, text, maxRows: studio.limits.maxRows });
}

async function loadFile(file: File): Promise<void> {
  clearError();
  if (file.size > studio.limits.maxBytes) {
    showError(`${file.name} is ${size(file.size)}: the studio takes files up to ${size(studio.limits.maxBytes)}, because the page holds the table and its encoded copy in memory. ${streamingHint(file.name).replace(/^t/, 'T')}.`);
    $.loadStatus.textContent = '';
    return;
  }
  source = { name: file.name, text: () => file.text(), targets: [] };
  setPhase('loading');
  $.loadStatus.textContent = `reading ${file.name}…`;
  try {
    send(file.name, await file.text());
  } catch (e) {
    setPhase('idle');
    showError(`${file.name}: cannot read the file (${(e as Error).message})`);
  }
}

$.file.addEventListener('change', () => {
  const f = $.file.files?.[0];
  if (f) void loadFile(f);
});
$.drop.addEventListener('dragover', (ev) => {
  ev.preventDefault();
  $.drop.classList.add('over');
});
$.drop.addEventListener('dragleave', () => $.drop.classList.remove('over'));
$.drop.addEventListener('drop', (ev) => {
  ev.preventDefault();
  $.drop.classList.remove('over');
  const f = ev.dataTransfer?.files?.[0];
  if (f && studio.phase !== 'training' && studio.phase !== 'stopping') void loadFile(f);
});
$.sample.addEventListener('click', () => {
  clearError();
  setPhase('loading');
  fetch(SAMPLE.file)
    .then((r) => {
      if (!r.ok) throw new Error(`HTTP ${r.status}`);
      return r.text();
    })
    .then((text) => loadText(SAMPLE.file, text, SAMPLE.targets))
    .catch((e: Error) => {
      setPhase('idle');
      showError(`the sample could not be loaded: ${e.message}`);
    });
});

// ---- settings -----------------------------------------------------------------------------------

function fillMethods(m: Methods): void {
  const keep = (s: HTMLSelectElement, fallback: string) => s.value || fallback;
  const arch = keep($.architecture, 'hps');
  const weighting = keep($.weighting, 'ew');
  const aggregator = keep($.aggregator, '');
  $.architecture.replaceChildren(...select(m.architectures, arch).options);
  $.architecture.value = arch;
  $.weighting.replaceChildren(...select(m.weightings, weighting).options);
  $.weighting.value = weighting;
  $.aggregator.replaceChildren(...select([['', 'none (loss weighting only)'], ...m.aggregators.map((a): [string, string] => [a, a])], aggregator).options);
  $.aggregator.value = aggregator;
  $.mode.disabled = aggregator === '';
}

function numbers(text: string): number[] {
  return text.split(/[\s,]+/).filter(Boolean).map(Number);
}

function readConfig(): StudioConfig {
  const choices = columns.choices();
  return {
    name: modelName,
    seed: Number($.seed.value),
    targets: choices.targets,
    features: choices.features,
    types: choices.types,
    model: { architecture: $.architecture.value, hidden: numbers($.hidden.value), head: numbers($.head.value) },
    train: {
      epochs: Number($.epochs.value), batchSize: Number($.batch.value), lr: Number($.lr.value),
      weighting: $.weighting.value, aggregator: $.aggregator.value || null, mode: $.mode.value as 'param' | 'rep',
      patience: Number($.patience.value), validationSplit: Number($.val.value), testFraction: Number($.test.value),
    },
    baselines: $.baselines.checked,
  };
}

function settingsChanged(): void {
  setPhase(studio.phase);
  $.mode.disabled = $.aggregator.value === '';
  if (!studio.summary) return;
  const c = readConfig();
  $.cliConfig.textContent = JSON.stringify(trainConfig(c as CheckedStudioConfig, studio.summary.name, studio.summary.format, studio.summary.columns.map((x) => x.name)), null, 2);
}

for (const input of [$.architecture, $.hidden, $.head, $.weighting, $.aggregator, $.mode, $.epochs, $.batch, $.lr, $.patience, $.val, $.test, $.seed, $.baselines]) {
  input.addEventListener('change', settingsChanged);
}

// ---- training -----------------------------------------------------------------------------------

function startTraining(config: StudioConfig): void {
  if (studio.phase === 'training' || studio.phase === 'stopping') return;
  clearError();
  studio.report = null;
  studio.files = null;
  studio.stopped = false;
  studio.resumable = null; // the worker discards a stopped run when a new one starts
  studio.lastPrediction = null;
  $.modelSection.hidden = true;
  $.trainingSection.hidden = false;
  $.progress.textContent = 'preparing the data…';
  $.trainingNote.textContent = '';
  $.progressBar.value = 0;
  startedAt = performance.now();
  // The dashboard starts empty: a run that fails before its first epoch must not show the last run's curves.
  dashboard.newRun(modelName, dashboardConfig(config));
  setPhase('training');
  worker.send({ type: 'train', config });
}

function dashboardConfig(c: StudioConfig): { epochs?: number; architecture?: string; weighting?: string; aggregator: string | null; dataset?: string } {
  return { epochs: c.train?.epochs, architecture: c.model?.architecture, weighting: c.train?.weighting, aggregator: c.train?.aggregator ?? null, dataset: studio.summary?.name };
}

function stopTraining(): void {
  if (studio.phase !== 'training') return;
  setPhase('stopping');
  $.progress.textContent = worker.stopsWithinEpoch ? 'stopping…' : 'stopping after the current epoch…';
  worker.stop();
}

/** Continues the stopped run in the worker, on the same dashboard. */
function resumeTraining(): void {
  const r = studio.resumable;
  if (studio.phase !== 'idle' || !r) return;
  clearError();
  studio.report = null;
  studio.files = null;
  studio.stopped = false;
  studio.resumable = null;
  studio.lastPrediction = null;
  $.modelSection.hidden = true;
  $.progress.textContent = `resuming after ${reached(r)}…`;
  $.progressBar.value = 0;
  startedAt = performance.now();
  setPhase('training');
  worker.send({ type: 'resume' });
}

/** Where a stopped run is: the multi-task model's epochs, the baselines' where they differ, and the steps a Stop undid. */
function reached(r: Resumable, undone = false): string {
  const mtl = r.epochs['mtl'] ?? 0;
  const baselines = Object.entries(r.epochs).filter(([m]) => m !== 'mtl');
  const notes: string[] = [];
  if (baselines.some(([, e]) => e !== mtl)) notes.push(`baselines: ${baselines.map(([m, e]) => `${m.slice(4)} ${e}`).join(', ')}`);
  if (undone && r.undone) {
    const who = r.undone.model === 'mtl' ? 'the multi-task model' : `baseline ${r.undone.model.slice(4)}`;
    notes.push(`${r.undone.steps} steps of ${who}'s epoch ${r.undone.epoch} undone`);
  }
  return `epoch ${mtl}/${r.of}${notes.length ? ` (${notes.join('; ')})` : ''}`;
}

$.train.addEventListener('click', () => startTraining(readConfig()));
$.stop.addEventListener('click', stopTraining);
$.resume.addEventListener('click', resumeTraining);

function modelLabel(model: string): string {
  return model === 'mtl' ? 'multi-task model' : `single-task baseline ${model.slice(4)}`;
}

function onMessage(m: FromWorker): void {
  switch (m.type) {
    case 'ready': {
      studio.backend = m.backend;
      const passed = m.backend.tried.filter((t) => !t.ok).map((t) => `${t.name}: ${t.why}`);
      $.backend.textContent = `backend: ${m.backend.name}`;
      $.backend.className = 'badge ok';
      $.backend.dataset.backend = m.backend.name;
      $.backend.title = passed.length ? `passed over: ${passed.join('; ')}` : 'the first choice';
      fillMethods(m.methods);
      if (reloading && source) {
        void source.text().then((text) => send(source!.name, text));
      } else setPhase('idle');
      return;
    }
    case 'table': {
      studio.summary = m.summary;
      modelName = baseName(m.summary.name);
      if (!reloading) columns.show(m.summary, source?.targets ?? []);
      reloading = false;
      $.loadStatus.textContent = `${m.summary.name}: ${m.summary.rows.toLocaleString('en-US')} rows, ${m.summary.columns.length} columns (${m.summary.format})`;
      $.columnsSection.hidden = false;
      $.settingsSection.hidden = false;
      setPhase('idle');
      settingsChanged();
      return;
    }
    case 'started': {
      dashboard.start(modelName, { ...dashboardConfig(readConfig()), epochs: m.epochs }, m.tasks);
      $.trainingNote.textContent = `${m.rows.train.toLocaleString('en-US')} training, ${m.rows.val.toLocaleString('en-US')} validation, ${m.rows.test.toLocaleString('en-US')} test rows · input width ${m.inputWidth} · models: ${m.models.join(', ')}`;
      return;
    }
    case 'progress': {
      if (studio.phase !== 'training') return;
      $.progress.textContent = `${modelLabel(m.model)}: epoch ${m.epoch}/${m.epochs}, step ${m.step}/${m.steps}`;
      $.progressBar.value = m.steps ? m.step / m.steps : 0;
      return;
    }
    case 'epoch': {
      dashboard.epoch(m.model, m.record);
      if (m.model === 'mtl') studio.rowsPerSecond = m.rowsPerSecond;
      return;
    }
    case 'resumed':
      dashboard.resume();
      return;
    case 'stopping':
      worker.stopAcknowledged();
      $.progress.textContent = 'stopped: testing the models trained so far…';
      return;
    case 'done': {
      studio.report = m.report;
      studio.files = m.files;
      studio.stopped = m.stopped;
      studio.resumable = m.resumable;
      studio.rowsPerSecond = m.rowsPerSecond;
      dashboard.finish(m.stopped ? 'incomplete' : 'finished', m.report, m.stopped ? 'stopped by the user' : undefined);
      const secs = ((performance.now() - startedAt) / 1000).toFixed(1);
      const r = m.resumable;
      $.progress.textContent = `${m.stopped ? 'stopped' : 'done'} in ${secs} s${r ? ` after ${reached(r, true)} · Resume continues from there` : ''}`;
      $.modelNote.textContent = `trained on ${m.report.backend} at ${Math.round(m.rowsPerSecond).toLocaleString('en-US')} rows/s (multi-task model)${m.report.deltaM !== undefined ? ` · Δm% ${m.report.deltaM >= 0 ? '+' : ''}${m.report.deltaM.toFixed(2)}%` : ''}${m.stopped ? ' · stopped early: trained less than planned' : ''}`;
      showModel(m.files, m.testRows);
      setPhase('idle');
      return;
    }
    case 'prediction':
      studio.lastPrediction = { row: m.row, outputs: m.outputs, answers: m.answers };
      tryIt.showAnswers(m.outputs, m.answers);
      return;
    case 'error': {
      showError(m.message);
      if (m.during === 'train') {
        studio.resumable = null; // a failed Train or Resume leaves no stopped run in the worker
        dashboard.finish('failed', null, m.message);
        $.progress.textContent = 'failed';
      }
      if (m.during === 'load') $.loadStatus.textContent = '';
      if (m.during === 'init') $.backend.textContent = 'no backend';
      setPhase('idle');
      return;
    }
  }
}

function onCrash(message: string): void {
  const wasTraining = studio.phase === 'training' || studio.phase === 'stopping';
  showError(`${message}. A new worker was started${source ? ` and ${source.name} is loaded again` : ''}: you can train again.`);
  if (wasTraining) {
    dashboard.finish('failed', null, message);
    $.progress.textContent = 'failed';
  }
  $.backend.textContent = 'restarting…';
  $.backend.className = 'badge';
  reloading = source !== null;
  studio.resumable = null; // the stopped run was in the worker that died
  setPhase('starting');
}

// ---- the model ----------------------------------------------------------------------------------

function showModel(files: ModelFiles, testRows: RawRecord[]): void {
  $.modelSection.hidden = false;
  const manifest = JSON.parse(files['manifest.json']) as { preprocessing?: { features: FeatureState[] } };
  tryIt.setModel(manifest.preprocessing?.features ?? [], testRows);
  $.downloadFiles.replaceChildren(...(['model.json', 'weights.bin', 'manifest.json'] as const).map((name) => {
    const b = el('button', { text: name, 'data-testid': `download-${name}` });
    b.addEventListener('click', () => download(name, files[name], name.endsWith('.json') ? 'application/json' : 'application/octet-stream'));
    return b;
  }));
}

$.downloadZip.addEventListener('click', () => {
  const files = studio.files;
  if (!files) return;
  const enc = new TextEncoder();
  const folder = `${modelName}-model`;
  const zip = zipStore([
    { name: `${folder}/model.json`, data: enc.encode(files['model.json']) },
    { name: `${folder}/weights.bin`, data: new Uint8Array(files['weights.bin']) },
    { name: `${folder}/manifest.json`, data: enc.encode(files['manifest.json']) },
  ]);
  download(`${folder}.zip`, zip, 'application/zip');
});
$.tryFill.addEventListener('click', () => tryIt.fill());
$.tryPredict.addEventListener('click', () => worker.send({ type: 'predict', row: tryIt.row() }));

setPhase('starting');
