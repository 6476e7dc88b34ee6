/**
 * Predictions of a saved text model on raw text (`mtl predict <run folder> "text"`): the text is
 * tokenized and encoded with the model folder's text.json (tokenizer, vocabulary, L), the tfjs model
 * runs once, and every task's output is turned into an answer — a class with its probability
 * (multiclass), a label with the positive probability (binary), the tags and their spans (sequence, spans
 * as in conlleval), or raw values (other kinds). Needs only the model folder.
 */
import fs from 'node:fs';
import path from 'node:path';
import { tf } from '../engine/tf.js';
import { loadSavedModel } from '../models/saved.js';
import { argmaxTags } from '../tasks/sequence.js';
import { extractSpans } from '../tasks/spans.js';
import '../models/text/layers.js'; // registers the custom layers of text models before loading one
import { loadTextState, TEXT_STATE_FILE, encodeTexts } from '../data/text/state.js';

export type TextTaskAnswer =
  | { kind: 'class'; label: string; probability: number; probabilities: Record<string, number> }
  | { kind: 'binary'; label: string; probability: number; positiveLabel: string }
  | { kind: 'spans'; tags: string[]; spans: { type: string; text: string; start: number; end: number }[] }
  | { kind: 'values'; values: number[] };

export interface TextPrediction {
  text: string;
  /** The tokens the model saw (at most L). */
  tokens: string[];
  /** Tokens cut off beyond L. */
  truncated: number;
  tasks: Record<string, TextTaskAnswer>;
}

/** A model folder (model.json + manifest.json + text.json) or a run folder holding one in model/. */
export function resolveTextModelDir(dir: string): string {
  for (const d of [dir, path.join(dir, 'model')]) {
    if (fs.existsSync(path.join(d, 'model.json')) && fs.existsSync(path.join(d, TEXT_STATE_FILE))) return d;
  }
  const inside = fs.existsSync(dir) && fs.statSync(dir).isDirectory()
    ? fs.readdirSync(dir).filter((f) => fs.existsSync(path.join(dir, f, 'model', TEXT_STATE_FILE))) : [];
  const hint = inside.length ? `; it holds text runs in: ${inside.join(', ')}` : '';
  throw new Error(`${dir} is not a text model folder (model.json + ${TEXT_STATE_FILE}) nor a run folder with one in model/${hint}`);
}

export async function predictText(dir: string, texts: string[]): Promise<TextPrediction[]> {
  const modelDir = resolveTextModelDir(dir);
  const state = loadTextState(modelDir);
  const saved = await loadSavedModel(modelDir);
  const L = state.maxLength;
  if (saved.manifest.inputShape.join(',') !== String(L)) throw new Error(`${modelDir}: the model reads [${saved.manifest.inputShape}] but text.json says L = ${L}`);
  const { x, tokens } = encodeTexts(state, texts);
  const input = tf.tensor2d(x, [texts.length, L]);
  const outputs = tf.tidy(() => {
    const { logits } = saved.model.forward(input, false);
    return logits.map((l, i) => saved.tasks[i]!.predict(l));
  });
  const values = outputs.map((o) => o.dataSync() as Float32Array);
  tf.dispose([input, ...outputs]);
  saved.model.dispose();
  return texts.map((text, r) => {
    const kept = tokens[r]!.slice(0, L);
    const answers: Record<string, TextTaskAnswer> = {};
    saved.tasks.forEach((task, i) => {
      const v = values[i]!;
      const spec = task.spec;
      if (spec.kind === 'multiclass') {
        const K = spec.outputSize, row = v.subarray(r * K, (r + 1) * K);
        const names = spec.labelNames ?? Array.from({ length: K }, (_, k) => String(k));
        let best = 0;
        for (let k = 1; k < K; k++) if (row[k]! > row[best]!) best = k;
        answers[task.name] = { kind: 'class', label: names[best]!, probability: row[best]!, probabilities: Object.fromEntries(names.map((n, k) => [n, row[k]!])) };
      } else if (spec.kind === 'binary') {
        const p = v[r]!;
        const names = spec.labelNames ?? ['0', '1'];
        answers[task.name] = { kind: 'binary', label: p >= 0.5 ? names[1]! : names[0]!, probability: p, positiveLabel: names[1]! };
      } else if (spec.kind === 'sequence') {
        const K = spec.outputSize;
        const names = spec.labelNames ?? Array.from({ length: K }, (_, k) => String(k));
        const ids = argmaxTags(v.subarray(r * L * K, (r + 1) * L * K), 1, L, K);
        const tags = kept.map((_, j) => names[ids[j]!]!);
        const spans = extractSpans(tags).map((s) => ({ type: s.type, text: kept.slice(s.start, s.end + 1).join(' '), start: s.start, end: s.end }));
        answers[task.name] = { kind: 'spans', tags, spans };
      } else {
        answers[task.name] = { kind: 'values', values: Array.from(v.subarray(r * task.headUnits, (r + 1) * task.headUnits)) };
      }
    });
    return { text, tokens: kept, truncated: tokens[r]!.length - kept.length, tasks: answers };
  });
}

/** Human-readable lines of one prediction. */
export function formatTextPrediction(p: TextPrediction): string {
  const lines = [`text: ${p.text}`, `tokens: ${p.tokens.join(' ')}${p.truncated ? ` (+${p.truncated} cut beyond L)` : ''}`];
  for (const [name, a] of Object.entries(p.tasks)) {
    if (a.kind === 'class') lines.push(`${name}: ${a.label} (p = ${a.probability.toFixed(3)})`);
    else if (a.kind === 'binary') lines.push(`${name}: ${a.label} (p(${a.positiveLabel}) = ${a.probability.toFixed(3)})`);
    else if (a.kind === 'spans') {
      lines.push(`${name}:${a.spans.length ? '' : ' (none)'}`);
      for (const s of a.spans) lines.push(`  ${s.type} = "${s.text}" (tokens ${s.start}–${s.end})`);
      lines.push(`  tags: ${p.tokens.map((t, j) => `${t}/${a.tags[j]}`).join(' ')}`);
    } else lines.push(`${name}: ${a.values.map((x) => x.toFixed(4)).join(', ')}`);
  }
  return lines.join('\n');
}
