/**
 * What a text model needs beside its weights to read raw text: the tokenizer settings, the vocabulary
 * (built from the training split only) and the sequence length. Saved as `text.json` next to
 * model.json + manifest.json in the model folder, and read back by `mtl predict`.
 *
 * The pure part (the TextState type, parsing, encoding raw texts) is ./text-state.ts, which a web page
 * bundles; this module adds the file IO and re-exports it.
 *
 * Also the text datasets' shared types: a loader returns a `TextSplit` (train/test, an optional dev
 * split for validation, and the TextState), and builds its Datasets with `textDataset`.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Dataset, DatasetSplit, TaskSpec } from '../types.js';
import type { LoadOptions } from '../loaders/common.js';
import { encodeSentences, type Vocabulary } from './tokenizer.js';
import { parseTextState, TEXT_STATE_FILE, type TextState } from './text-state.js';

export { encodeTexts, parseTextState, TEXT_STATE_FILE, textState, type TextState } from './text-state.js';

export interface TextSplit extends DatasetSplit {
  /** A held-out validation split (SNIPS dev; a stratified part of the sentiment training data). */
  dev?: Dataset;
  text: TextState;
}

export interface TextLoadOptions extends LoadOptions {
  /** Sequence length L (longer sentences are truncated). Default: per loader. */
  maxLength?: number;
  /** Vocabulary minimum count in the training split (default 2). */
  minCount?: number;
  /** Use this vocabulary (tokens by id) instead of building one, e.g. to share it between datasets. */
  vocabulary?: string[];
}

export function saveTextState(dir: string, state: TextState): void {
  fs.writeFileSync(path.join(dir, TEXT_STATE_FILE), JSON.stringify(state));
}

export function loadTextState(dir: string): TextState {
  const file = path.join(dir, TEXT_STATE_FILE);
  if (!fs.existsSync(file)) throw new Error(`${dir} has no ${TEXT_STATE_FILE}: not a text model folder`);
  return parseTextState(JSON.parse(fs.readFileSync(file, 'utf8')), file);
}

/** Per-task labels of a text dataset: sentence-level (n × 1 or n × width) or per token (`sequence`). */
export interface TextTaskLabels {
  spec: TaskSpec;
  /** Sentence-level: one value per sentence (width 1). Sequence: the tag index per token. */
  values: number[] | number[][];
}

/**
 * A Dataset of token ids (inputShape [L]) and its labels. Sequence labels are cut to the kept tokens
 * and NaN at padding; `spec.width` of a sequence task must be L.
 */
export function textDataset(name: string, sentences: string[][], vocab: Vocabulary, maxLength: number, tasks: TextTaskLabels[]): Dataset {
  const n = sentences.length;
  const { x, lengths } = encodeSentences(sentences, vocab, maxLength);
  const labels: Record<string, Float32Array> = {};
  for (const t of tasks) {
    if (t.values.length !== n) throw new Error(`${name}: task ${t.spec.name} has ${t.values.length} labels for ${n} sentences`);
    if (t.spec.kind === 'sequence') {
      if (t.spec.width !== maxLength) throw new Error(`${name}: sequence task ${t.spec.name} has width ${t.spec.width}, not L = ${maxLength}`);
      const y = new Float32Array(n * maxLength).fill(NaN);
      (t.values as number[][]).forEach((tags, i) => {
        if (tags.length !== sentences[i]!.length) throw new Error(`${name}: sentence ${i + 1} has ${sentences[i]!.length} tokens but ${tags.length} tags`);
        for (let j = 0; j < lengths[i]!; j++) y[i * maxLength + j] = tags[j]!;
      });
      labels[t.spec.name] = y;
    } else {
      labels[t.spec.name] = Float32Array.from(t.values as number[]);
    }
  }
  return { name, inputShape: [maxLength], n, x, tasks: tasks.map((t) => ({ ...t.spec })), labels };
}
