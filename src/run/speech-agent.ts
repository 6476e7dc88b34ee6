/**
 * The spoken agent (`mtl agent --speech`, issue 22 part 4): one model from audio with the tasks transcript
 * (CTC over characters), intent, sentiment and the SNIPS frame as a generated sequence, against the four
 * single-task models with the same encoder and the same budget (epochs, early stopping on dev) — the
 * founding example of MTL for an agent, L = λ₁L_asr + λ₂L_intent + λ₃L_sentiment + λ₄L_frame (equal λ).
 *
 * Data: spoken SNIPS and spoken UCI review sentences, made by eSpeak NG on first use
 * (src/data/node/speech-corpus.ts; test voices never heard in training or dev), as one dataset of log-mel
 * frames (src/data/loaders/spoken-agent.ts: padding, cutting, transcript normalisation). Test metrics:
 * WER / CER (greedy CTC decoding), intent accuracy (SNIPS test rows), sentiment accuracy and AUC (review
 * test rows), frame exact match, token F1 and BLEU-4 (greedy decoding); Δm% (src/eval/delta.ts) over the
 * metrics CER (lower is better), intent accuracy, sentiment accuracy and frame token F1 (see speechDeltaM). With
 * several seeds every model is trained at each seed and the report gives mean ± std
 * (src/eval/uncertainty.ts) and a paired test of the per-seed Δm%.
 *
 * Run folder (outDir): seed-<s>/mtl/ (the four-task model: history.jsonl, checkpoint/, model/ with
 * audio.json), seed-<s>/stl/<task>/, report.json, report.md. `mtl predict <outDir>/seed-<s>/mtl --audio
 * file.wav` reads a model folder.
 */
import fs from 'node:fs';
import path from 'node:path';
import { loadSpokenSplits } from '../data/node/speech-corpus.js';
import { spokenAgentData, type SpokenAgentData } from '../data/loaders/spoken-agent.js';
import { DEFAULT_SIZES, type SpokenSplit } from '../data/speech/plan.js';
import { decodeIds } from '../data/generate-targets.js';
import { frameString, snipsFrame } from '../data/loaders/snips-frame.js';
import { generatedText } from '../data/frame-text.js';
import { deltaM, type DeltaInput } from '../eval/delta.js';
import { pairedTest, spread, type PairedTest, type Spread } from '../eval/uncertainty.js';
import { tf } from '../engine/tf.js';
import { isCtcTask } from '../tasks/ctc.js';
import { writeFileAtomic } from '../train/node/atomic.js';
import { trainAudioModel, type SpeechTrainSettings, type TrainedAudioModel } from './speech-agent-train.js';

export const SPEECH_TASKS = ['transcript', 'intent', 'sentiment', 'frame'] as const;

/** Sizes per split of the two spoken corpora. */
export interface SpeechSizes {
  snips: Record<SpokenSplit, number>;
  sentiment: Record<SpokenSplit, number>;
}

export interface SpeechPreset {
  sizes: SpeechSizes;
  maxFrames: number;
  settings: Omit<SpeechTrainSettings, 'seed' | 'progress'>;
}

/**
 * `--small`: 280 utterances, a small encoder, 10 epochs — under 2 minutes on 2 cores with the speech
 * generation (tests and CI; measured 50 s wall: 36 s of espeak-ng + 10 s of training, wasm, 2 shared
 * cores). The default: 2,200 train (SNIPS 1,600 + reviews 600) / 450 dev / 1,000 test utterances (the test
 * and dev sizes of src/data/speech/plan.ts), a 64-unit BiGRU, ≤ 8 epochs. Estimated, not measured whole:
 * one epoch of all five models took 31 s for 614 training utterances at T = 500 (≈ 50 ms per utterance,
 * the first epoch, on 2 cores shared with other jobs) → ≈ 1.8 min per epoch with the dev evaluation, ≈ 15 min
 * per seed; generating the speech the first time (≈ 6 utterances/s) ≈ 10 min more: ≈ 25 min for a first
 * one-seed run.
 */
export const SPEECH_PRESETS: Record<'small' | 'full', SpeechPreset> = {
  small: {
    sizes: { snips: { train: 120, dev: 24, test: 40 }, sentiment: { train: 60, dev: 12, test: 24 } },
    maxFrames: 400,
    settings: { epochs: 10, batchSize: 16, lr: 3e-3, conv: [32, 32], units: 32, decoder: { dim: 16, units: 32 }, patience: 0 },
  },
  full: {
    sizes: { snips: { ...DEFAULT_SIZES.snips, train: 4000 }, sentiment: { ...DEFAULT_SIZES.sentiment } },
    maxFrames: 500,
    settings: { epochs: 25, batchSize: 32, lr: 2e-3, conv: [64, 64], units: 64, decoder: { dim: 32, units: 64 }, patience: 5 },
  },
};

export interface SpeechAgentOptions {
  outDir: string;
  seeds: number[];
  settings: Omit<SpeechTrainSettings, 'seed'>;
  sizes: SpeechSizes;
  maxFrames: number;
  /** Also train the single-task models (default true). */
  stl?: boolean;
  dataDir?: string;
  /** Where spoken/ is generated (default the data cache). */
  cacheDir?: string;
  /** Seed of the spoken corpora (voices, rates, pitches, the review split); default 0. */
  dataSeed?: number;
  /** Speech generation progress on stderr (default true). */
  speechProgress?: boolean;
  log?: (line: string) => void;
}

export interface SpeechRow {
  model: string;
  tasks: string[];
  wer?: number;
  cer?: number;
  intent_accuracy?: number;
  sentiment_accuracy?: number;
  sentiment_auc?: number;
  frame_exact_match?: number;
  frame_token_f1?: number;
  frame_bleu?: number;
  deltaM?: number;
  epochs?: number;
  seconds: number;
}

export const SPEECH_METRICS = ['wer', 'cer', 'intent_accuracy', 'sentiment_accuracy', 'sentiment_auc', 'frame_exact_match', 'frame_token_f1', 'frame_bleu', 'deltaM', 'seconds'] as const;
type MetricKey = (typeof SPEECH_METRICS)[number];

export interface SpeechAgentReport {
  seeds: number[];
  backend: string;
  settings: Omit<SpeechTrainSettings, 'seed'>;
  sizes: SpeechSizes;
  data: {
    train: number; dev: number; test: number; frames: number; maxFrames: number; droppedTrain: number; cutDev: number; cutTest: number;
    alphabet: string; intents: number; frameVocabulary: number; voices: { train: string[]; dev: string[]; test: string[] }; generator: string;
  };
  /** Per seed, the rows (MTL, each single-task model, the single-task models together). */
  runs: { seed: number; rows: SpeechRow[] }[];
  /** Per model, each metric's mean ± std over the seeds. */
  summary: { model: string; tasks: string[]; metrics: Partial<Record<MetricKey, Spread>> }[];
  /** Paired test of the per-seed Δm% (≥ 2 seeds). */
  test?: PairedTest;
  /** Test utterances (unseen voices) through the four-task model of the first seed. */
  transcripts: { voice: string; text: string; predicted: string }[];
  frames: { voice: string; utterance: string; gold: string; generated: string }[];
  /** Seconds: generating / loading the speech and computing the features; training and evaluating every model; all. */
  timing: { data: number; training: number; total: number };
  createdAt: string;
}

function row(model: string, m: TrainedAudioModel, extra: Partial<SpeechRow> = {}): SpeechRow {
  const t = m.test;
  const r: SpeechRow = { model, tasks: m.tasks.map((x) => x.name), epochs: m.epochs, seconds: m.seconds, ...extra };
  if (t.transcript) { r.wer = t.transcript.wer; r.cer = t.transcript.cer; }
  if (t.intent) r.intent_accuracy = t.intent.accuracy;
  if (t.sentiment) { r.sentiment_accuracy = t.sentiment.accuracy; r.sentiment_auc = t.sentiment.auc; }
  if (t.frame) { r.frame_exact_match = t.frame.exact_match; r.frame_token_f1 = t.frame.token_f1; r.frame_bleu = t.frame.bleu; }
  return r;
}

/** Δm%, or NaN when a single-task metric is 0 (no relative change exists; tiny smoke runs). */
function safeDeltaM(tasks: DeltaInput[]): number {
  return tasks.some((t) => t.stl === 0 || !Number.isFinite(t.stl) || !Number.isFinite(t.mtl)) ? NaN : deltaM(tasks);
}

/**
 * Δm% of an MTL row against the single-task rows, over CER, intent accuracy, sentiment accuracy and frame
 * token F1 — not frame exact match, which stays 0 until a decoder has learned whole frames (small runs, and the
 * first text-to-frame runs), where no relative change exists.
 */
export function speechDeltaM(mtl: SpeechRow, stl: SpeechRow): number {
  return safeDeltaM([
    { mtl: mtl.cer!, stl: stl.cer!, higherIsBetter: false },
    { mtl: mtl.intent_accuracy!, stl: stl.intent_accuracy!, higherIsBetter: true },
    { mtl: mtl.sentiment_accuracy!, stl: stl.sentiment_accuracy!, higherIsBetter: true },
    { mtl: mtl.frame_token_f1!, stl: stl.frame_token_f1!, higherIsBetter: true },
  ]);
}

async function loadData(o: SpeechAgentOptions): Promise<{ data: SpokenAgentData; generator: string; voices: SpeechAgentReport['data']['voices'] }> {
  const common = { seed: o.dataSeed ?? 0, dataDir: o.dataDir, cacheDir: o.cacheDir, progress: o.speechProgress ?? true };
  const snips = await loadSpokenSplits({ ...common, corpus: 'snips', sizes: o.sizes.snips });
  const sentiment = await loadSpokenSplits({ ...common, corpus: 'sentiment', sizes: o.sizes.sentiment });
  const t0 = performance.now();
  const data = spokenAgentData({ snips, sentiment, maxFrames: o.maxFrames });
  o.log?.(`features: ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  return { data, generator: snips.manifest.generator.version.trim(), voices: snips.manifest.settings.voices };
}

export async function runSpeechAgent(o: SpeechAgentOptions): Promise<{ report: SpeechAgentReport; models: TrainedAudioModel[] }> {
  const log = o.log ?? (() => {});
  if (!o.seeds.length) throw new Error('spoken agent: no seeds');
  const tStart = performance.now();
  fs.mkdirSync(o.outDir, { recursive: true });
  const { data, generator, voices } = await loadData(o);
  const tData = performance.now();
  const { train, dev, test, audio } = data;
  const frames = train.inputShape[0]!;
  log(`spoken agent: ${train.n} train / ${dev.n} dev / ${test.n} test utterances (test voices ${voices.test.join(', ')}, never heard in training), ` +
    `T = ${frames} frames (longer utterances: ${data.dropped.train} train left out, ${data.cut.dev} dev / ${data.cut.test} test cut)`);
  const runs: SpeechAgentReport['runs'] = [];
  const kept: TrainedAudioModel[] = [];
  let examples: Pick<SpeechAgentReport, 'transcripts' | 'frames'> = { transcripts: [], frames: [] };
  let trainSeconds = 0;
  for (const seed of o.seeds) {
    const settings: SpeechTrainSettings = { ...o.settings, seed };
    const dir = path.join(o.outDir, `seed-${seed}`);
    const common = { name: 'spoken-agent', train, dev, test, audio, settings };
    const t0 = performance.now();
    const mtl = await trainAudioModel({ ...common, taskNames: [...SPEECH_TASKS], runDir: path.join(dir, 'mtl'), label: `seed ${seed}: transcript+intent+sentiment+frame` });
    const rows: SpeechRow[] = [row('MTL: transcript + intent + sentiment + frame (one model)', mtl)];
    if (seed === o.seeds[0]) examples = testExamples(data, mtl, 5);
    if (o.stl !== false) {
      const stl: TrainedAudioModel[] = [];
      for (const task of SPEECH_TASKS) {
        const m = await trainAudioModel({ ...common, taskNames: [task], runDir: path.join(dir, 'stl', task), label: `seed ${seed}: single-task ${task}` });
        rows.push(row(`single-task: ${task}`, m));
        stl.push(m);
      }
      const together: SpeechRow = { ...Object.assign({}, ...rows.slice(1).map((r) => ({ ...r }))), model: 'the four single-task models together', tasks: [...SPEECH_TASKS], epochs: undefined, seconds: rows.slice(1).reduce((a, r) => a + r.seconds, 0) };
      rows.push(together);
      rows[0]!.deltaM = speechDeltaM(rows[0]!, together);
      for (const m of stl) m.model.dispose();
    }
    trainSeconds += (performance.now() - t0) / 1000;
    if (seed === o.seeds[0]) kept.push(mtl);
    else mtl.model.dispose();
    runs.push({ seed, rows });
  }
  const summary = runs[0]!.rows.map((r, i) => ({
    model: r.model, tasks: r.tasks,
    metrics: Object.fromEntries(SPEECH_METRICS.filter((k) => r[k] !== undefined).map((k) => [k, spread(runs.map((x) => x.rows[i]![k] as number))])) as Partial<Record<MetricKey, Spread>>,
  }));
  const deltas = runs.map((r) => r.rows[0]!.deltaM).filter((d): d is number => d !== undefined && Number.isFinite(d));
  const report: SpeechAgentReport = {
    seeds: o.seeds, backend: tf.getBackend(), settings: o.settings, sizes: o.sizes,
    data: {
      train: train.n, dev: dev.n, test: test.n, frames, maxFrames: o.maxFrames, droppedTrain: data.dropped.train, cutDev: data.cut.dev, cutTest: data.cut.test,
      alphabet: train.tasks[0]!.labelNames!.join(''), intents: train.tasks[1]!.outputSize, frameVocabulary: train.tasks[3]!.outputSize, voices, generator,
    },
    runs, summary, ...(deltas.length >= 2 && deltas.length === runs.length ? { test: pairedTest(deltas) } : {}), ...examples,
    timing: { data: (tData - tStart) / 1000, training: trainSeconds, total: (performance.now() - tStart) / 1000 },
    createdAt: new Date().toISOString(),
  };
  writeFileAtomic(path.join(o.outDir, 'report.json'), JSON.stringify(report, null, 2));
  writeFileAtomic(path.join(o.outDir, 'report.md'), formatSpeechAgentReport(report) + '\n');
  return { report, models: kept };
}

/** The first n SNIPS test utterances (unseen voices): transcripts and frames of the model. */
function testExamples(data: SpokenAgentData, m: TrainedAudioModel, n: number): Pick<SpeechAgentReport, 'transcripts' | 'frames'> {
  const ctc = m.tasks.find((t) => t.name === 'transcript')!, frame = m.tasks.find((t) => t.name === 'frame')!;
  if (!isCtcTask(ctc)) throw new Error('transcript is not a ctc task');
  const rows = m.testRows, us = data.utterances.test;
  const transcripts: SpeechAgentReport['transcripts'] = [], frames: SpeechAgentReport['frames'] = [];
  const K = ctc.headUnits, U = frame.headUnits;
  // The transcript task has every test row; the frame task the SNIPS rows (first in the test set).
  for (let i = 0; i < Math.min(n, rows.length); i++) {
    const u = us[rows[i]!]!;
    transcripts.push({ voice: u.voice, text: u.text, predicted: ctc.text(ctc.decode(m.predictions.transcript!.subarray(i * K, (i + 1) * K), 1)[0]!) });
    if (u.intent !== undefined) {
      frames.push({ voice: u.voice, utterance: u.text, gold: frameString(snipsFrame(u.intent, u.tokens, u.tags!)), generated: generatedText(decodeIds(m.predictions.frame!.subarray(i * U, (i + 1) * U), frame.spec.labelNames!)) });
    }
  }
  return { transcripts, frames };
}

const pct = (s: Spread | undefined, seeds: number) => (!s || !Number.isFinite(s.mean) ? '–' : seeds > 1 ? `${(100 * s.mean).toFixed(1)} ± ${(100 * s.std).toFixed(1)}` : (100 * s.mean).toFixed(1));

export function formatSpeechAgentReport(r: SpeechAgentReport): string {
  const s = r.settings, d = r.data, k = r.seeds.length;
  const lines = [
    `Spoken agent — test set: ${d.test} utterances spoken by voices never heard in training (${d.voices.test.join(', ')}); ${d.train} train / ${d.dev} dev utterances; ` +
      `${k} seed${k > 1 ? 's' : ''} (${r.seeds.join(', ')})${k > 1 ? ', mean ± std' : ''}; backend ${r.backend}`,
    `audio-hps: log-mel 40 × ${d.frames} frames (10 ms; longer utterances: ${d.droppedTrain} train left out, ${d.cutDev} dev / ${d.cutTest} test cut), ` +
      `conv ${JSON.stringify(s.conv)} (stride 2 each), BiGRU ${s.units}, frame decoder ${JSON.stringify(s.decoder)}; Adam lr ${s.lr}, batch ${s.batchSize}, ≤ ${s.epochs} epochs` +
      (s.patience ? `, early stopping on dev (patience ${s.patience})` : ''),
    '',
    '| model | WER % ↓ | CER % ↓ | intent acc % | sentiment acc % | frame exact match % | frame token F1 % | frame BLEU-4 % | Δm% vs single-task | train time |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const x of r.summary) {
    const m = x.metrics;
    const dm = m.deltaM && Number.isFinite(m.deltaM.mean) ? `${m.deltaM.mean >= 0 ? '+' : ''}${m.deltaM.mean.toFixed(2)}${k > 1 ? ` ± ${m.deltaM.std.toFixed(2)}` : ''}` : x.model.startsWith('MTL') && m.deltaM ? '–' : '';
    lines.push(`| ${x.model} | ${pct(m.wer, k)} | ${pct(m.cer, k)} | ${pct(m.intent_accuracy, k)} | ${pct(m.sentiment_accuracy, k)} | ${pct(m.frame_exact_match, k)} | ${pct(m.frame_token_f1, k)} | ${pct(m.frame_bleu, k)} | ${dm} | ${m.seconds ? `${m.seconds.mean.toFixed(0)} s` : ''} |`);
  }
  lines.push('', 'Δm% over CER (lower is better), intent accuracy, sentiment accuracy and frame token F1 (exact match is often 0 in short runs), against the single-task models of the same encoder and budget' +
    (r.test ? `; ${r.test.verdict}` : '') + '.');
  lines.push(`Time: speech data ${r.timing.data.toFixed(0)} s, training + evaluation ${r.timing.training.toFixed(0)} s, total ${r.timing.total.toFixed(0)} s. Speech by ${d.generator}.`);
  if (r.transcripts.length) {
    lines.push('', `Transcripts (greedy CTC) of test utterances, MTL model, seed ${r.seeds[0]}:`, '');
    for (const t of r.transcripts) lines.push(`- [${t.voice}] "${t.text}"`, `  → "${t.predicted}"`);
  }
  if (r.frames.length) {
    lines.push('', 'Generated frames (greedy):', '');
    for (const f of r.frames) lines.push(`- [${f.voice}] "${f.utterance}"`, `  - gold:      ${f.gold}`, `  - generated: ${f.generated}`);
  }
  return lines.join('\n');
}

