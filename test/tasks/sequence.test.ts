import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/engine/backend.js';
import { tf } from '../../src/engine/tf.js';
import type { TaskSpec } from '../../src/data/types.js';
import { createTask } from '../../src/tasks/registry.js';
import { extractSpans, spanF1 } from '../../src/tasks/spans.js';
import { sequenceMetrics } from '../../src/tasks/sequence.js';
import { disposeBatch, makeBatch, prepare } from '../../src/train/batches.js';

beforeAll(async () => { await initBackend('wasm'); });

const TAGS = ['O', 'B-PER', 'I-PER', 'B-LOC', 'I-LOC', 'B-ORG', 'I-ORG'];
const idx = (tags: string[]) => tags.map((t) => TAGS.indexOf(t));

describe('span F1 (conlleval)', () => {
  it('extracts BIO spans with conlleval\'s rules', () => {
    expect(extractSpans(['B-PER', 'I-PER', 'O', 'B-LOC'])).toEqual([{ start: 0, end: 1, type: 'PER' }, { start: 3, end: 3, type: 'LOC' }]);
    // B after B of the same type starts a new span; I after O starts one; a type change ends one.
    expect(extractSpans(['B-PER', 'B-PER'])).toEqual([{ start: 0, end: 0, type: 'PER' }, { start: 1, end: 1, type: 'PER' }]);
    expect(extractSpans(['O', 'I-LOC', 'I-LOC'])).toEqual([{ start: 1, end: 2, type: 'LOC' }]);
    expect(extractSpans(['B-PER', 'I-LOC'])).toEqual([{ start: 0, end: 0, type: 'PER' }, { start: 1, end: 1, type: 'LOC' }]);
    expect(extractSpans(['I-PER'])).toEqual([{ start: 0, end: 0, type: 'PER' }]);
    expect(extractSpans(['O', 'O'])).toEqual([]);
  });

  it('counts a span only if its type and both boundaries match; micro-averages over sentences', () => {
    // Sentence A: PER right, LOC predicted as ORG → 1 correct of 2 predicted, 2 gold.
    // Sentence B: the gold PER spans tokens 0-2, the prediction stops at 1 → wrong boundary, 0 correct.
    // Sentence C: I-LOC after O is a span start in conlleval, so it matches gold B-LOC I-LOC.
    const a = { gold: ['B-PER', 'I-PER', 'O', 'B-LOC'], pred: ['B-PER', 'I-PER', 'O', 'B-ORG'] };
    const b = { gold: ['B-PER', 'I-PER', 'I-PER'], pred: ['B-PER', 'I-PER', 'O'] };
    const c = { gold: ['O', 'B-LOC', 'I-LOC'], pred: ['O', 'I-LOC', 'I-LOC'] };
    expect(spanF1([a])).toMatchObject({ correct: 1, predicted: 2, gold: 2, precision: 0.5, recall: 0.5, f1: 0.5 });
    expect(spanF1([b])).toMatchObject({ correct: 0, predicted: 1, gold: 1, f1: 0 });
    const all = spanF1([a, b, c]); // correct 2, predicted 4, gold 4
    expect(all.precision).toBeCloseTo(0.5, 12);
    expect(all.recall).toBeCloseTo(0.5, 12);
    expect(all.f1).toBeCloseTo(0.5, 12);
    const ab = spanF1([a, { gold: ['B-PER', 'O'], pred: ['B-PER', 'B-LOC'] }]); // correct 2, predicted 4, gold 3
    expect(ab.precision).toBeCloseTo(2 / 4, 12);
    expect(ab.recall).toBeCloseTo(2 / 3, 12);
    expect(ab.f1).toBeCloseTo((2 * 0.5 * (2 / 3)) / (0.5 + 2 / 3), 12);
    expect(spanF1([]).f1).toBe(0);
  });

  it('the task metrics read only labelled tokens: padding never counts', () => {
    const L = 5;
    // Two sentences of 4 and 3 tokens; the rest is padding (NaN).
    const labels = Float32Array.from([...idx(['B-PER', 'I-PER', 'O', 'B-LOC']), NaN, ...idx(['B-PER', 'I-PER', 'I-PER']), NaN, NaN]);
    const pred = Int32Array.from([...idx(['B-PER', 'I-PER', 'O', 'B-ORG']), 1, ...idx(['B-PER', 'I-PER', 'O']), 1, 3]);
    const m = sequenceMetrics(pred, labels, 2, L, TAGS);
    expect(m.span_f1).toBeCloseTo(spanF1([
      { gold: ['B-PER', 'I-PER', 'O', 'B-LOC'], pred: ['B-PER', 'I-PER', 'O', 'B-ORG'] },
      { gold: ['B-PER', 'I-PER', 'I-PER'], pred: ['B-PER', 'I-PER', 'O'] },
    ]).f1, 12);
    expect(m.token_accuracy).toBeCloseTo(5 / 7, 12);
    expect(m.sentence_accuracy).toBe(0);
    expect(m.count).toBe(2);
    // Whatever is predicted at padding positions changes nothing.
    const other = Int32Array.from(pred);
    other[4] = 5; other[8] = 0; other[9] = 6;
    expect(sequenceMetrics(other, labels, 2, L, TAGS)).toEqual(m);
  });
});

describe('sequence task loss', () => {
  const spec: TaskSpec = { name: 'slots', kind: 'sequence', width: 2, outputSize: 3, labelNames: ['O', 'B-X', 'I-X'] };

  function loss(logits: number[][][], labels: number[]): number {
    const n = logits.length;
    const task = createTask(spec);
    const data = prepare({ name: 't', inputShape: [1], n, x: new Float32Array(n), tasks: [spec], labels: { slots: Float32Array.from(labels) } }, ['slots']);
    const batch = makeBatch(data, Array.from({ length: n }, (_, i) => i));
    const z = tf.tensor3d(logits);
    const l = task.loss(z, batch.labels[0]!, batch.masks[0]!);
    const v = l.dataSync()[0]!;
    l.dispose(); z.dispose(); disposeBatch(batch);
    return v;
  }

  it('is the mean token cross-entropy over labelled tokens (hand-worked)', () => {
    expect(loss([[[0, 0, 0], [0, 0, 0]]], [1, NaN])).toBeCloseTo(Math.log(3), 5);
    // s1: token 0 label 0 with logits [2, 0, 0]; token 1 padding with wild logits.
    // s2: token 0 label 1 with logits [0, ln 2, 0] → −log(2/4); token 1 label 2 with zeros → ln 3.
    const expected = (Math.log(1 + 2 * Math.exp(-2)) + Math.log(2) + Math.log(3)) / 3;
    expect(loss([[[2, 0, 0], [100, -100, 0]], [[0, Math.log(2), 0], [0, 0, 0]]], [0, NaN, 1, 2])).toBeCloseTo(expected, 5);
    // Padding logits never count.
    expect(loss([[[2, 0, 0], [-50, 80, 3]], [[0, Math.log(2), 0], [0, 0, 0]]], [0, NaN, 1, 2])).toBeCloseTo(expected, 5);
    // A flat [B, L·K] head output is the same thing.
    const task = createTask(spec);
    expect(task.headUnits).toBe(6);
    expect(task.primary).toBe('span_f1');
  });

  it('predictions are per-token probabilities; metrics through the task', () => {
    const task = createTask(spec);
    const z = tf.tensor2d([[5, 0, 0, 0, 5, 0]]); // flat logits: token 0 → O, token 1 → B-X
    const p = task.predict(z);
    expect(p.shape).toEqual([1, 2, 3]);
    const m = task.metrics(p.dataSync() as Float32Array, Float32Array.from([0, 1]), 1);
    expect(m.token_accuracy).toBe(1);
    expect(m.span_f1).toBe(1);
    z.dispose(); p.dispose();
  });
});

describe('sentence-level exact match (intent and every slot tag right)', () => {
  it('counts a sentence only when the intent and all labelled tags are right; padding is ignored', async () => {
    const { exactMatch } = await import('../../src/run/text.js');
    const L = 3, K = 3;
    const test = {
      name: 't', inputShape: [L], n: 3, x: new Float32Array(9),
      tasks: [
        { name: 'intent', kind: 'multiclass' as const, width: 1, outputSize: 2 },
        { name: 'slots', kind: 'sequence' as const, width: L, outputSize: K, labelNames: ['O', 'B-X', 'I-X'] },
      ],
      labels: { intent: Float32Array.from([0, 1, 1]), slots: Float32Array.from([1, 2, NaN, 0, 1, NaN, 0, 0, 0]) },
    };
    const onehot = (tags: number[]) => tags.flatMap((t) => Array.from({ length: K }, (_, k) => (k === t ? 1 : 0)));
    const intentPred = Float32Array.from([0.9, 0.1, 0.2, 0.8, 0.3, 0.7]);
    // Row 0 all right (its padding position predicts B-X: ignored); row 1 one tag wrong; row 2 all right.
    const slotPred = Float32Array.from([...onehot([1, 2, 1]), ...onehot([0, 0, 0]), ...onehot([0, 0, 0])]);
    expect(exactMatch(test, intentPred, slotPred)).toBeCloseTo(2 / 3, 12);
    // A wrong intent breaks row 2.
    const wrongIntent = Float32Array.from([0.9, 0.1, 0.2, 0.8, 0.7, 0.3]);
    expect(exactMatch(test, wrongIntent, slotPred)).toBeCloseTo(1 / 3, 12);
  });
});
