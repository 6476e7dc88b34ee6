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
 */
import fs from 'node:fs';
import path from 'node:path';
import { loadSnips } from '../data/loaders/snips.js';
import { deltaM, type DeltaInput } from '../eval/delta.js';
import { tf } from '../engine/tf.js';
import { loadSnipsSentiment } from '../data/loaders/snips-sentiment.js';
import { writeFileAtomic } from '../train/node/atomic.js';
import { exactMatch, trainTextModel, type TextTrainSettings, type TrainedTextModel } from './text.js';

export interface AgentOptions {
  outDir: string;
  dataDir?: string;
  settings: TextTrainSettings;
  /** Training sentences per dataset (quick runs); all by default. */
  limit?: number;
  /** Also train the four-task model with the sentiment data (default true). */
  sentiment?: boolean;
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
  deltaM?: number;
  epochs?: number;
  seconds: number;
}

export interface AgentReport {
  seed: number;
  backend: string;
  settings: TextTrainSettings;
  limit?: number;
  data: Record<string, { train: number; dev: number; test: number; vocabulary: number; maxLength: number }>;
  rows: AgentRow[];
  createdAt: string;
}

function row(model: string, m: TrainedTextModel, extra: Partial<AgentRow> = {}): AgentRow {
  const t = m.test;
  const r: AgentRow = { model, tasks: m.tasks.map((x) => x.name), epochs: m.epochs, seconds: m.seconds, ...extra };
  if (t.intent) r.intent_accuracy = t.intent.accuracy;
  if (t.slots) r.slot_f1 = t.slots.span_f1;
  if (t.sentiment) { r.sentiment_auc = t.sentiment.auc; r.sentiment_accuracy = t.sentiment.accuracy; }
  if (t.domain) r.domain_accuracy = t.domain.accuracy;
  return r;
}

export async function runAgent(o: AgentOptions): Promise<AgentReport> {
  const log = o.log ?? (() => {});
  const s = o.settings;
  fs.mkdirSync(o.outDir, { recursive: true });
  const rows: AgentRow[] = [];
  const data: AgentReport['data'] = {};

  // 1. SNIPS: joint model and the two single-task models.
  const snips = await loadSnips({ dataDir: o.dataDir, limit: o.limit });
  data.snips = { train: snips.train.n, dev: snips.dev!.n, test: snips.test.n, vocabulary: snips.text.vocabulary.length, maxLength: snips.text.maxLength };
  log(`SNIPS: ${snips.train.n} train / ${snips.dev!.n} dev / ${snips.test.n} test utterances, vocabulary ${snips.text.vocabulary.length}, L = ${snips.text.maxLength}`);
  const common = { name: 'snips', train: snips.train, dev: snips.dev, test: snips.test, text: snips.text, settings: s };
  const dir = path.join(o.outDir, 'snips');
  const joint = await trainTextModel({ ...common, taskNames: ['intent', 'slots'], runDir: dir, label: 'joint intent+slots' });
  const stlIntent = await trainTextModel({ ...common, taskNames: ['intent'], runDir: path.join(dir, 'stl', 'intent'), label: 'single-task intent' });
  const stlSlots = await trainTextModel({ ...common, taskNames: ['slots'], runDir: path.join(dir, 'stl', 'slots'), label: 'single-task slots' });
  const stl = { intent: stlIntent.test.intent!.accuracy!, slots: stlSlots.test.slots!.span_f1! };
  const jointDelta = safeDeltaM([
    { mtl: joint.test.intent!.accuracy!, stl: stl.intent, higherIsBetter: true },
    { mtl: joint.test.slots!.span_f1!, stl: stl.slots, higherIsBetter: true },
  ]);
  rows.push(row('joint: intent + slots (one model)', joint, { exact_match: exactMatch(snips.test, joint.predictions.intent!, joint.predictions.slots!), deltaM: jointDelta }));
  rows.push(row('single-task: intent', stlIntent));
  rows.push(row('single-task: slots', stlSlots));
  rows.push({
    model: 'two single-task models together', tasks: ['intent', 'slots'], intent_accuracy: stl.intent, slot_f1: stl.slots,
    exact_match: exactMatch(snips.test, stlIntent.predictions.intent!, stlSlots.predictions.slots!), seconds: stlIntent.seconds + stlSlots.seconds,
  });
  for (const m of [joint, stlIntent, stlSlots]) m.model.dispose();

  // 2. The agent with the review tasks too: one vocabulary over SNIPS + reviews, multi-input rows.
  if (o.sentiment !== false) {
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

  const report: AgentReport = { seed: s.seed, backend: tf.getBackend(), settings: s, limit: o.limit, data, rows, createdAt: new Date().toISOString() };
  writeFileAtomic(path.join(o.outDir, 'report.json'), JSON.stringify(report, null, 2));
  writeFileAtomic(path.join(o.outDir, 'report.md'), formatAgentReport(report) + '\n');
  return report;
}

/** Δm%, or NaN when a single-task metric is 0 (no relative change exists; tiny smoke runs). */
function safeDeltaM(tasks: DeltaInput[]): number {
  return tasks.some((t) => t.stl === 0 || Number.isNaN(t.stl) || Number.isNaN(t.mtl)) ? NaN : deltaM(tasks);
}

const pct = (v: number | undefined) => (v === undefined || Number.isNaN(v) ? '–' : (100 * v).toFixed(2));

export function formatAgentReport(r: AgentReport): string {
  const enc = r.settings.encoder;
  const lines = [
    `SNIPS test set (${r.data.snips?.test ?? '?'} utterances); seed ${r.seed}; backend ${r.backend}; encoder ${JSON.stringify(enc)}, pool ${r.settings.pool}; ` +
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
  lines.push('', 'Δm% over the primary metrics (intent accuracy, slot span F1; with the review tasks also sentiment AUC and domain accuracy),',
    'against the single-task models of the same encoder and budget. The SNIPS single-task models use the SNIPS-only vocabulary.');
  return lines.join('\n');
}
