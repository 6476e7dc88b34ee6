/**
 * Task outputs → JSON answers, shared by the inference server (Node) and the browser runtime (bundled
 * by esbuild), so both print the same thing for the same numbers. Pure code: no tfjs, no Node APIs.
 *
 * `values` are what a task's `predict` returns (probabilities, real values, box coordinates), row-major,
 * `units` values per row:
 *   multiclass  { label, index, probabilities: { class: p } }               (label = argmax)
 *   binary      { label, probability, positiveLabel }                        (probability of the positive label; label at p ≥ 0.5)
 *   multilabel  { labels: [names with p ≥ 0.5], probabilities: { name: p } }
 *   regression  { values: { output: v } }                                    (in the units of the training labels)
 *   box         { box: { x1, y1, x2, y2 } }                                  (in [0, 1])
 *   sequence    { tags: [tag per token], spans: [{ type, start, end, text? }] } (argmax tag per position;
 *               with the row's tokens: one tag per token and each span's text; spans as in conlleval)
 *   generate    { tokens: [generated tokens], text }                         (the ids up to <eos> as tokens; a copy
 *               token <copy:s> becomes the row's token s; text: the tokens joined by spaces, or a frame-shaped
 *               sequence written as PlayMusic(artist=daft punk; service=spotify))
 */
import { extractSpans } from '../tasks/spans.js';
import { decodeIds } from '../data/generate-targets.js';
import { generatedText } from '../data/frame-text.js';

/** The parts of a manifest task these functions read (a TaskManifest fits). */
export interface TaskInfo {
  name: string;
  kind: string;
  width: number;
  outputSize: number;
  labelNames?: string[];
}

export type TaskAnswer =
  | { label: string; index: number; probabilities: Record<string, number> }
  | { label: string; probability: number; positiveLabel: string }
  | { labels: string[]; probabilities: Record<string, number> }
  | { values: Record<string, number> }
  | { box: { x1: number; y1: number; x2: number; y2: number } }
  | { tags: string[]; spans: { type: string; start: number; end: number; text?: string }[] }
  | { tokens: string[]; text: string };

export const BOX_COORDS = ['x1', 'y1', 'x2', 'y2'] as const;

/** Values per row a task's head produces. */
export function taskUnits(task: TaskInfo): number {
  switch (task.kind) {
    case 'multiclass': return task.outputSize;
    case 'binary': return 1;
    case 'box': return 4;
    case 'sequence': return task.width * task.outputSize;
    default: return task.width;
  }
}

/** A name per output value: class / label / output names, binary's [negative, positive], box's coordinates. */
export function outputNames(task: TaskInfo): string[] {
  const given = task.labelNames;
  switch (task.kind) {
    case 'multiclass':
      return given && given.length === task.outputSize ? given : Array.from({ length: task.outputSize }, (_, i) => String(i));
    case 'binary':
      return given && given.length === 2 ? given : ['0', '1'];
    case 'box':
      return [...BOX_COORDS];
    case 'sequence': // the tags (K of them, at each of the width positions)
      return given && given.length === task.outputSize ? given : Array.from({ length: task.outputSize }, (_, i) => String(i));
    case 'regression':
      if (given && given.length === task.width) return given;
      return task.width === 1 ? [task.name] : Array.from({ length: task.width }, (_, i) => `${task.name}_${i}`);
    default:
      return given && given.length === task.width ? given : Array.from({ length: task.width }, (_, i) => `${task.name}_${i}`);
  }
}

/** The answer of one task for row `row` of `values` (`tokens`: the row's tokens, for sequence tasks on text). */
export function formatTask(task: TaskInfo, values: ArrayLike<number>, row: number, tokens?: string[]): TaskAnswer {
  const k = taskUnits(task);
  const names = outputNames(task);
  const at = (j: number): number => values[row * k + j]!;
  switch (task.kind) {
    case 'multiclass': {
      const probabilities: Record<string, number> = {};
      let best = 0;
      for (let j = 0; j < k; j++) {
        probabilities[names[j]!] = at(j);
        if (at(j) > at(best)) best = j;
      }
      return { label: names[best]!, index: best, probabilities };
    }
    case 'binary': {
      const p = at(0);
      return { label: p >= 0.5 ? names[1]! : names[0]!, probability: p, positiveLabel: names[1]! };
    }
    case 'multilabel': {
      const probabilities: Record<string, number> = {};
      const labels: string[] = [];
      for (let j = 0; j < k; j++) {
        probabilities[names[j]!] = at(j);
        if (at(j) >= 0.5) labels.push(names[j]!);
      }
      return { labels, probabilities };
    }
    case 'box':
      return { box: { x1: at(0), y1: at(1), x2: at(2), y2: at(3) } };
    case 'sequence': {
      const K = task.outputSize;
      const positions = Math.min(task.width, tokens?.length ?? task.width);
      const tags: string[] = [];
      for (let p = 0; p < positions; p++) {
        let best = 0;
        for (let j = 1; j < K; j++) if (at(p * K + j) > at(p * K + best)) best = j;
        tags.push(names[best]!);
      }
      const spans = extractSpans(tags).map((sp) => ({ type: sp.type, start: sp.start, end: sp.end, ...(tokens ? { text: tokens.slice(sp.start, sp.end + 1).join(' ') } : {}) }));
      return { tags, spans };
    }
    case 'generate': {
      const ids = Array.from({ length: k }, (_, j) => at(j));
      const out = decodeIds(ids, task.labelNames ?? [], tokens);
      return { tokens: out, text: generatedText(out) };
    }
    default: {
      const out: Record<string, number> = {};
      for (let j = 0; j < k; j++) out[names[j]!] = at(j);
      return { values: out };
    }
  }
}

/** One object per row: task name → answer. `outputs[task]` holds n × units values; `tokens[r]`: row r's tokens (text models). */
export function formatRows(tasks: TaskInfo[], outputs: Record<string, ArrayLike<number>>, n: number, tokens?: string[][]): Record<string, TaskAnswer>[] {
  const rows: Record<string, TaskAnswer>[] = [];
  for (let r = 0; r < n; r++) {
    const row: Record<string, TaskAnswer> = {};
    for (const t of tasks) row[t.name] = formatTask(t, outputs[t.name]!, r, tokens?.[r]);
    rows.push(row);
  }
  return rows;
}
