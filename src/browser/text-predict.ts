/**
 * Raw sentences → the answers of a text model, shared by `mtl predict` (src/run/predict-text.ts, Node)
 * and the text page's runtime (./text-runtime.ts, bundled with tfjs for the browser), so both print the
 * same thing for the same weights: the texts are tokenized and encoded with the model's text.json
 * (src/data/text/text-state.ts), the model runs once, and every task's output becomes an answer — a
 * class with its probability (multiclass), a label with the positive probability (binary), the tags and
 * their spans (sequence, spans as in conlleval), the generated tokens and text (generate: copy tokens read back
 * as the sentence's words, a frame written as PlayMusic(artist=daft punk)), or raw values (other kinds). Pure code: `tf` is the
 * library's tfjs instance (in a page, the one bundled with this module); no Node module.
 */
import { tf } from '../engine/tf.js';
import { encodeTexts, type TextState } from '../data/text/text-state.js';
import { argmaxTags } from '../tasks/sequence.js';
import { extractSpans } from '../tasks/spans.js';
import { decodeIds } from '../data/generate-targets.js';
import { generatedText } from '../data/frame-text.js';
import type { MultiTaskModel } from '../models/types.js';
import type { Task } from '../tasks/types.js';

export type TextTaskAnswer =
  | { kind: 'class'; label: string; probability: number; probabilities: Record<string, number> }
  | { kind: 'binary'; label: string; probability: number; positiveLabel: string }
  | { kind: 'spans'; tags: string[]; spans: { type: string; text: string; start: number; end: number }[] }
  | { kind: 'generated'; tokens: string[]; text: string }
  | { kind: 'values'; values: number[] };

export interface TextPrediction {
  text: string;
  /** The tokens the model saw (at most L). */
  tokens: string[];
  /** Tokens cut off beyond L. */
  truncated: number;
  tasks: Record<string, TextTaskAnswer>;
}

/** Predicts raw texts with a loaded text model (its tasks in manifest order and its text.json state). */
export function predictTexts(model: MultiTaskModel, tasks: Task[], state: TextState, texts: string[]): TextPrediction[] {
  const L = state.maxLength;
  const { x, tokens } = encodeTexts(state, texts);
  const input = tf.tensor2d(x, [texts.length, L]);
  const outputs = tf.tidy(() => {
    const { logits } = model.forward(input, false);
    return logits.map((l, i) => tasks[i]!.predict(l));
  });
  const values = outputs.map((o) => o.dataSync() as Float32Array);
  tf.dispose([input, ...outputs]);
  return texts.map((text, r) => {
    const kept = tokens[r]!.slice(0, L);
    const answers: Record<string, TextTaskAnswer> = {};
    tasks.forEach((task, i) => {
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
      } else if (spec.kind === 'generate') {
        const out = decodeIds(v.subarray(r * task.headUnits, (r + 1) * task.headUnits), spec.labelNames ?? [], kept);
        answers[task.name] = { kind: 'generated', tokens: out, text: generatedText(out) };
      } else {
        answers[task.name] = { kind: 'values', values: Array.from(v.subarray(r * task.headUnits, (r + 1) * task.headUnits)) };
      }
    });
    return { text, tokens: kept, truncated: tokens[r]!.length - kept.length, tasks: answers };
  });
}
