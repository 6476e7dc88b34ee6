/**
 * The conversational-agent example (`mtl agent`): a SNIPS joint intent + slot model against the two
 * single-task models with the same encoder and budget, and optionally one model that also learns the
 * review sentiment and its domain from the UCI sentiment sentences (multi-input data, one shared
 * vocabulary). Reports intent accuracy, slot F1 (conlleval spans), sentence-level exact match (intent
 * and every slot tag right) and Δm% (src/eval/delta.ts) on the SNIPS test set, plus sentiment AUC /
 * accuracy and domain accuracy on the held-out reviews.
 *
 * Run folder (outDir):
 *   snips/                  joint intent + slots: history.jsonl, checkpoint/, model/ (with text.json)
 *   snips/stl/intent, snips/stl/slots                 the single-task models
 *   snips-sentiment/        the four-task model (if enabled), snips-sentiment/stl/{sentiment,domain}
 *   report.json, report.md
 * `mtl predict <outDir>/snips-sentiment "…"` (or …/snips) reads any of the model folders.
 *
 * `frame` (SNIPS only) also trains text-to-frame generation (src/data/loaders/snips-frame.ts: the intent
 * and slots as `PlayMusic(artist=daft punk; service=spotify)`, an attention decoder head): the frame task
 * alone (<outDir>/snips/stl/frame) and next to intent + slots in one model (<outDir>/snips-frame), with
 * exact match, token F1 and BLEU-4 on the test set and five generated test frames in the report.
 *
 * `corpus` replaces SNIPS by another intent + slots corpus (e.g. one of the user's own, read by
 * src/data/loaders/sequence-corpus.ts): its models go to <outDir>/<corpus name>/, the report is titled
 * with its name, and the review-sentiment model (built on SNIPS) is not trained.
 */
import fs from 'node:fs';
import path from 'node:path';
import { loadSnips, readSnips, type SnipsRaw } from '../data/loaders/snips.js';
import { deltaM, type DeltaInput } from '../eval/delta.js';
import { tf } from '../engine/tf.js';
import { loadSnipsSentiment } from '../data/loaders/snips-sentiment.js';
import { writeFileAtomic } from '../train/node/atomic.js';
import type { TextSplit } from '../data/text/state.js';
import { exactMatch, trainTextModel, type TextTrainSettings, type TrainedTextModel } from './text.js';
import { decodeIds } from '../data/generate-targets.js';
import { frameString, snipsFrame } from '../data/loaders/snips-frame.js';
import { generatedText } from '../data/frame-text.js';

/** An intent + slots corpus for the agent instead of SNIPS. */
export interface AgentCorpus {
  /** The dataset's own name: its run folder <outDir>/<name>/ and its key in the report. */
  name: string;
  /** How the report calls it (default: the name). */
  title?: string;
  /** Its data (the dev split, when there is one, for early stopping). */
  split: TextSplit;
  /** Task names of the sentence label and the tags (default intent, slots). */
  intentTask?: string;
  slotTask?: string;
}

export interface AgentOptions {
  outDir: string;
  dataDir?: string;
  settings: TextTrainSettings;
  /** Training sentences per dataset (quick runs); all by default. With `corpus`: applied by whoever loaded it. */
  limit?: number;
  /** Also train the four-task model with the sentiment data (default true; SNIPS only, so false with `corpus`). */
  sentiment?: boolean;
  /** Another intent + slots corpus instead of SNIPS. */
  corpus?: AgentCorpus;
  /** Also train SNIPS text-to-frame generation (alone, and with intent + slots). */
  frame?: boolean;
  log?: (line: string) => void;
}

export interface AgentRow {
  model: string;
  tasks: string[];
  intent_accuracy?: number;
  slot_f1?: number;
  exact_match?: number;
  sentiment_auc?: number;
  sentiment_accuracy?: number;
  domain_accuracy?: number;
  frame_exact_match?: number;
  frame_token_f1?: number;
  frame_bleu?: number;
  deltaM?: number;
  epochs?: number;
  seconds: number;
}

export interface AgentReport {
  /** The intent + slots corpus: its name (a key of `data`, its run folder) and its title in the report. Absent in older reports (SNIPS). */
  corpus?: { name: string; title: string };
  seed: number;
  backend: string;
  settings: TextTrainSettings;
  limit?: number;
  data: Record<string, { train: number; dev: number; test: number; vocabulary: number; maxLength: number }>;
  rows: AgentRow[];
  /** With `frame`: generated test frames of the model with intent + slots + frame (the first five test utterances). */
  frameExamples?: { utterance: string; gold: string; generated: string }[];
  createdAt: string;
}

function row(model: string, m: TrainedTextModel, extra: Partial<AgentRow> = {}, intentTask = 'intent', slotTask = 'slots'): AgentRow {
  const t = m.test;
  const r: AgentRow = { model, tasks: m.tasks.map((x) => x.name), epochs: m.epochs, seconds: m.seconds, ...extra };
  if (t[intentTask]) r.intent_accuracy = t[intentTask].accuracy;
  if (t[slotTask]) r.slot_f1 = t[slotTask].span_f1;
  if (t.sentiment) { r.sentiment_auc = t.sentiment.auc; r.sentiment_accuracy = t.sentiment.accuracy; }
  if (t.domain) r.domain_accuracy = t.domain.accuracy;
  if (t.frame) { r.frame_exact_match = t.frame.exact_match; r.frame_token_f1 = t.frame.token_f1; r.frame_bleu = t.frame.bleu; }
  return r;
}

export async function runAgent(o: AgentOptions): Promise<AgentReport> {
  const log = o.log ?? (() => {});
  const s = o.settings;
  fs.mkdirSync(o.outDir, { recursive: true });
  const rows: AgentRow[] = [];
  const data: AgentReport['data'] = {};

  // 1. SNIPS (or the corpus given): joint model and the two single-task models.
  if (o.corpus && o.frame) throw new Error(`the text-to-frame task is built from SNIPS; it cannot be trained with the corpus ${o.corpus.name}`);
  const corpus = o.corpus ?? { name: 'snips', title: 'SNIPS', split: await loadSnips({ dataDir: o.dataDir, limit: o.limit, frame: o.frame }) };
  if (o.corpus && o.sentiment === true) throw new Error(`the model with the review sentiment tasks is built on SNIPS; it cannot be trained with the corpus ${o.corpus.name}`);
  const title = corpus.title ?? corpus.name;
  const it = o.corpus?.intentTask ?? 'intent', st = o.corpus?.slotTask ?? 'slots';
  const snips = corpus.split;
  for (const [task, kind] of [[it, 'multiclass'], [st, 'sequence']] as const) {
    if (snips.train.tasks.find((t) => t.name === task)?.kind !== kind) throw new Error(`${corpus.name}: the agent needs a ${kind} task '${task}'; the dataset has ${snips.train.tasks.map((t) => `${t.name} (${t.kind})`).join(', ')}`);
  }
  const dev = snips.dev;
  data[corpus.name] = { train: snips.train.n, dev: dev?.n ?? 0, test: snips.test.n, vocabulary: snips.text.vocabulary.length, maxLength: snips.text.maxLength };
  log(`${title}: ${snips.train.n} train / ${dev?.n ?? 0} dev / ${snips.test.n} test utterances, vocabulary ${snips.text.vocabulary.length}, L = ${snips.text.maxLength}`);
  const common = { name: corpus.name, train: snips.train, dev, test: snips.test, text: snips.text, settings: s };
  const dir = path.join(o.outDir, corpus.name);
  const joint = await trainTextModel({ ...common, taskNames: [it, st], runDir: dir, label: `joint ${it}+${st}` });
  const stlIntent = await trainTextModel({ ...common, taskNames: [it], runDir: path.join(dir, 'stl', it), label: `single-task ${it}` });
  const stlSlots = await trainTextModel({ ...common, taskNames: [st], runDir: path.join(dir, 'stl', st), label: `single-task ${st}` });
  const stl = { intent: stlIntent.test[it]!.accuracy!, slots: stlSlots.test[st]!.span_f1! };
  const jointDelta = safeDeltaM([
    { mtl: joint.test[it]!.accuracy!, stl: stl.intent, higherIsBetter: true },
    { mtl: joint.test[st]!.span_f1!, stl: stl.slots, higherIsBetter: true },
  ]);
  const em = (a: TrainedTextModel, b: TrainedTextModel) => exactMatch(snips.test, a.predictions[it]!, b.predictions[st]!, it, st);
  rows.push(row(`joint: ${it} + ${st} (one model)`, joint, { exact_match: em(joint, joint), deltaM: jointDelta }, it, st));
  rows.push(row(`single-task: ${it}`, stlIntent, {}, it, st));
  rows.push(row(`single-task: ${st}`, stlSlots, {}, it, st));
  rows.push({
    model: 'two single-task models together', tasks: [it, st], intent_accuracy: stl.intent, slot_f1: stl.slots,
    exact_match: em(stlIntent, stlSlots), seconds: stlIntent.seconds + stlSlots.seconds,
  });
  for (const m of [joint, stlIntent, stlSlots]) m.model.dispose();
  let frameExamples: AgentReport['frameExamples'];
  if (o.frame) {
    const alone = await trainTextModel({ ...common, taskNames: ['frame'], runDir: path.join(dir, 'stl', 'frame'), label: 'single-task frame' });
    const three = await trainTextModel({ ...common, taskNames: [it, st, 'frame'], runDir: path.join(o.outDir, 'snips-frame'), label: 'joint intent+slots+frame' });
    rows.push(row('single-task: frame (generate)', alone, {}, it, st));
    rows.push(row('joint: intent + slots + frame (one model)', three, { exact_match: exactMatch(snips.test, three.predictions[it]!, three.predictions[st]!, it, st) }, it, st));
    frameExamples = frameSamples(await readSnips(o.dataDir), snips, three.predictions.frame!, 5);
    for (const m of [alone, three]) m.model.dispose();
  }

  // 2. The agent with the review tasks too: one vocabulary over SNIPS + reviews, multi-input rows.
  if (!o.corpus && o.sentiment !== false) {
    const both = await loadSnipsSentiment({ dataDir: o.dataDir, limit: o.limit, seed: s.seed });
    data['snips-sentiment'] = { train: both.train.n, dev: both.dev!.n, test: both.test.n, vocabulary: both.text.vocabulary.length, maxLength: both.text.maxLength };
    log(`SNIPS + UCI sentiment: ${both.train.n} train / ${both.dev!.n} dev / ${both.test.n} test rows, vocabulary ${both.text.vocabulary.length}, L = ${both.text.maxLength}`);
    const c2 = { name: 'snips-sentiment', train: both.train, dev: both.dev, test: both.test, text: both.text, settings: s };
    const dir2 = path.join(o.outDir, 'snips-sentiment');
    const four = await trainTextModel({ ...c2, taskNames: ['intent', 'slots', 'sentiment', 'domain'], runDir: dir2, label: 'agent: intent+slots+sentiment+domain' });
    const stlSent = await trainTextModel({ ...c2, taskNames: ['sentiment'], runDir: path.join(dir2, 'stl', 'sentiment'), label: 'single-task sentiment' });
    const stlDomain = await trainTextModel({ ...c2, taskNames: ['domain'], runDir: path.join(dir2, 'stl', 'domain'), label: 'single-task domain' });
    const d4 = safeDeltaM([
      { mtl: four.test.intent!.accuracy!, stl: stl.intent, higherIsBetter: true },
      { mtl: four.test.slots!.span_f1!, stl: stl.slots, higherIsBetter: true },
      { mtl: four.test.sentiment!.auc!, stl: stlSent.test.sentiment!.auc!, higherIsBetter: true },
      { mtl: four.test.domain!.accuracy!, stl: stlDomain.test.domain!.accuracy!, higherIsBetter: true },
    ]);
    rows.push(row('agent: intent + slots + sentiment + domain (one model)', four, {
      exact_match: exactMatch(both.test, four.predictions.intent!, four.predictions.slots!), deltaM: d4,
    }));
    rows.push(row('single-task: sentiment', stlSent));
    rows.push(row('single-task: domain', stlDomain));
    for (const m of [four, stlSent, stlDomain]) m.model.dispose();
  }

  const report: AgentReport = { corpus: { name: corpus.name, title }, seed: s.seed, backend: tf.getBackend(), settings: s, limit: o.limit, data, rows, ...(frameExamples ? { frameExamples } : {}), createdAt: new Date().toISOString() };
  writeFileAtomic(path.join(o.outDir, 'report.json'), JSON.stringify(report, null, 2));
  writeFileAtomic(path.join(o.outDir, 'report.md'), formatAgentReport(report) + '\n');
  return report;
}

/** The first `n` test utterances with their gold frames (from the raw tags, no <unk>) and generated frames. */
function frameSamples(raw: SnipsRaw, split: TextSplit, pred: Float32Array, n: number): NonNullable<AgentReport['frameExamples']> {
  const spec = split.test.tasks.find((t) => t.name === 'frame')!;
  const U = spec.width, names = spec.labelNames!;
  return Array.from({ length: Math.min(n, split.test.n) }, (_, i) => ({
    utterance: raw.test.tokens[i]!.join(' '),
    gold: frameString(snipsFrame(raw.test.intents[i]!, raw.test.tokens[i]!, raw.test.tags[i]!)),
    // Copy tokens (<copy:s>, src/data/loaders/snips-frame.ts) become the utterance's word s.
    generated: generatedText(decodeIds(pred.subarray(i * U, (i + 1) * U), names, raw.test.tokens[i]!)),
  }));
}

/** Δm%, or NaN when a single-task metric is 0 (no relative change exists; tiny smoke runs). */
function safeDeltaM(tasks: DeltaInput[]): number {
  return tasks.some((t) => t.stl === 0 || Number.isNaN(t.stl) || Number.isNaN(t.mtl)) ? NaN : deltaM(tasks);
}

const pct = (v: number | undefined) => (v === undefined || Number.isNaN(v) ? '–' : (100 * v).toFixed(2));

export function formatAgentReport(r: AgentReport): string {
  const enc = r.settings.encoder;
  const corpus = r.corpus ?? { name: 'snips', title: 'SNIPS' };
  const lines = [
    `${corpus.title} test set (${r.data[corpus.name]?.test ?? '?'} utterances); seed ${r.seed}; backend ${r.backend}; encoder ${JSON.stringify(enc)}, pool ${r.settings.pool}; ` +
      `Adam lr ${r.settings.lr}, batch ${r.settings.batchSize}, ≤ ${r.settings.epochs} epochs, early stopping on dev (patience ${r.settings.patience})` +
      (r.limit ? `; first ${r.limit} training sentences per dataset` : ''),
    '',
    '| model | intent acc % | slot F1 % | exact match % | sentiment AUC % | sentiment acc % | domain acc % | Δm% vs single-task | epochs | train time |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const x of r.rows) {
    const dm = x.deltaM === undefined ? '' : Number.isNaN(x.deltaM) ? '–' : `${x.deltaM >= 0 ? '+' : ''}${x.deltaM.toFixed(2)}`;
    lines.push(`| ${x.model} | ${pct(x.intent_accuracy)} | ${pct(x.slot_f1)} | ${pct(x.exact_match)} | ${pct(x.sentiment_auc)} | ${pct(x.sentiment_accuracy)} | ${pct(x.domain_accuracy)} | ${dm} | ${x.epochs ?? ''} | ${x.seconds.toFixed(0)} s |`);
  }
  const frames = r.rows.filter((x) => x.frame_exact_match !== undefined);
  if (frames.length) {
    lines.push('', 'Text-to-frame generation (greedy decoding; a gold <unk> never counts as right):', '',
      '| model | frame exact match % | token F1 % | BLEU-4 % |', '|---|---:|---:|---:|');
    for (const x of frames) lines.push(`| ${x.model} | ${pct(x.frame_exact_match)} | ${pct(x.frame_token_f1)} | ${pct(x.frame_bleu)} |`);
    for (const e of r.frameExamples ?? []) lines.push('', `- "${e.utterance}"`, `  - gold:      ${e.gold}`, `  - generated: ${e.generated}`);
  }
  lines.push('', 'Δm% over the primary metrics (intent accuracy, slot span F1; with the review tasks also sentiment AUC and domain accuracy),',
    `against the single-task models of the same encoder and budget. The ${corpus.title} single-task models use the ${corpus.title}-only vocabulary.`);
  return lines.join('\n');
}
