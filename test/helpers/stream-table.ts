/**
 * A small table with a task of every kind a streamed table trains (binary, multiclass, regression,
 * multilabel), missing labels and features, and labels that depend on the features (so a model learns
 * them), written as CSV or JSON lines; seeded. For the streaming tests (test/data/stream, test/train).
 */
import fs from 'node:fs';
import { mulberry32 } from '../../src/data/split.js';

export const STREAM_COLUMNS = ['id', 'x1', 'x2', 'x3', 'color', 'note', 'buy', 'species', 'spend', 'tag_a', 'tag_b'];

/** Rows of cells (text; '' = missing). */
export function streamRows(n: number, seed: number): string[][] {
  const rand = mulberry32(seed);
  const normal = () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
  const colors = ['red', 'green', 'blue', 'black'];
  return Array.from({ length: n }, (_, i) => {
    const x1 = normal();
    const x2 = normal();
    const x3 = rand() * 100;
    const c = Math.floor(rand() * 4);
    const z = 1.5 * x1 - x2 + (c === 0 ? 1 : 0);
    const buy = rand() < 1 / (1 + Math.exp(-2 * z)) ? 'yes' : 'no';
    const species = x1 + 0.3 * normal() > 0.5 ? 'cat' : x2 + 0.3 * normal() > 0 ? 'dog' : 'eel';
    const spend = (20 + 5 * x1 + 3 * x2 + 0.05 * x3 + normal()).toFixed(3);
    const tagA = x2 + 0.5 * normal() > 0 ? '1' : '0';
    const tagB = c >= 2 ? '1' : '0';
    const miss = (v: string, p: number) => (rand() < p ? '' : v);
    return [`r${i}`, miss(x1.toFixed(5), 0.03), x2.toFixed(5), x3.toFixed(2), colors[c]!, i % 97 === 0 ? '"a note, with a comma"' : 'plain',
      miss(buy, 0.1), miss(species, 0.1), miss(spend, 0.2), miss(tagA, 0.1), tagB];
  });
}

export function writeStreamCsv(file: string, rows: string[][]): void {
  fs.writeFileSync(file, [STREAM_COLUMNS.join(','), ...rows.map((r) => r.join(','))].join('\n') + '\n');
}

export function writeStreamJsonl(file: string, rows: string[][]): void {
  const numeric = new Set(['x1', 'x2', 'x3', 'spend']);
  fs.writeFileSync(file, rows.map((r) => JSON.stringify(Object.fromEntries(STREAM_COLUMNS.flatMap((c, i) => {
    const v = r[i]!.replace(/^"|"$/g, '');
    if (v === '') return []; // an absent key is a missing cell
    return [[c, numeric.has(c) ? Number(v) : v]];
  })))).join('\n') + '\n');
}

/** The data part of a config for these files (features listed; targets of every kind). */
export function streamDataYaml(train: string, extra = ''): string {
  return `data:
  dataset: ${train.endsWith('.jsonl') ? 'jsonl' : 'csv'}
  train: ${train}
${extra}  features:
    - { column: x1, type: numeric }
    - { column: x2, type: numeric }
    - { column: x3, type: numeric }
    - { column: color, type: categorical }
  targets:
    - { kind: binary, columns: [buy], positive: [yes] }
    - { kind: multiclass, columns: [species] }
    - { kind: regression, columns: [spend] }
    - { task: tags, kind: multilabel, columns: [tag_a, tag_b] }
`;
}
