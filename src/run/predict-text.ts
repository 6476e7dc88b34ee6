/**
 * Predictions of a saved text model on raw text (`mtl predict <run folder> "text"`): the text is
 * tokenized and encoded with the model folder's text.json (tokenizer, vocabulary, L), the tfjs model
 * runs once, and every task's output is turned into an answer — a class with its probability
 * (multiclass), a label with the positive probability (binary), the tags and their spans (sequence, spans
 * as in conlleval), or raw values (other kinds). Needs only the model folder. The prediction itself is
 * src/browser/text-predict.ts, which the text page runs in the browser too.
 */
import fs from 'node:fs';
import path from 'node:path';
import { loadSavedModel } from '../models/saved.js';
import '../models/text/layers.js'; // registers the custom layers of text models before loading one
import { loadTextState, TEXT_STATE_FILE } from '../data/text/state.js';
import { predictTexts, type TextPrediction, type TextTaskAnswer } from '../browser/text-predict.js';

export type { TextPrediction, TextTaskAnswer };

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
  try {
    return predictTexts(saved.model, saved.tasks, state, texts);
  } finally {
    saved.model.dispose();
  }
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
    } else if (a.kind === 'generated') lines.push(`${name}: ${a.text}`);
    else lines.push(`${name}: ${a.values.map((x) => x.toFixed(4)).join(', ')}`);
  }
  return lines.join('\n');
}
