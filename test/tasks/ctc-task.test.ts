import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/engine/backend.js';
import { tf } from '../../src/engine/tf.js';
import type { TaskSpec } from '../../src/data/types.js';
import { TASK_KINDS } from '../../src/data/types.js';
import { buildManifest, parseManifest, tasksFromManifest } from '../../src/models/manifest.js';
import { buildModel } from '../../src/models/registry.js';
import { createTask, taskKindNames } from '../../src/tasks/registry.js';
import { isCtcTask, type CtcTask } from '../../src/tasks/ctc.js';

beforeAll(async () => { await initBackend('wasm'); });

const spec = (over: Partial<TaskSpec> = {}): TaskSpec => ({ name: 'transcript', kind: 'ctc', width: 4, outputSize: 3, labelNames: ['a', 'b', ' '], ...over });
const ctc = (s: TaskSpec = spec(), state?: Record<string, unknown>) => {
  const t = createTask(s, state ? { state } : {});
  if (!isCtcTask(t)) throw new Error('not a ctc task');
  return t;
};

describe('the ctc task kind', () => {
  it('is registered and listed', () => {
    expect(TASK_KINDS).toContain('ctc');
    expect(taskKindNames()).toContain('ctc');
    const t = ctc();
    expect(t.primary).toBe('cer');
    expect(t.higherIsBetter).toBe(false);
    expect(t.blank).toBe(3); // the blank is last: character id c is class c
  });

  it('learns its frames from the architecture; the saved state (and manifest) gives them back', () => {
    const t = ctc();
    expect(() => t.headUnits).toThrow(/needs per-frame outputs.*audio-hps/);
    expect(t.state()).toEqual({});
    t.bindFrames(5);
    expect(t.headUnits).toBe(5 * 4);
    t.bindFrames(5); // the same value again: fine (an MTL model and its STL baseline)
    expect(() => t.bindFrames(6)).toThrow(/already has 5 output frames/);
    expect(() => ctc().bindFrames(0)).toThrow(/positive integer/);
    expect(ctc(spec(), t.state()).headUnits).toBe(20);
    const manifest = parseManifest(JSON.parse(JSON.stringify(buildManifest({ architecture: 'audio-hps', inputShape: [20, 8], tasks: [t] }))), 'manifest.json');
    const [back] = tasksFromManifest(manifest) as CtcTask[];
    expect(back!.kind).toBe('ctc');
    expect(back!.frames).toBe(5);
    expect(back!.alphabet).toEqual(['a', 'b', ' ']);
  });

  it('checks its spec, and an architecture without per-frame heads cannot carry it', () => {
    expect(() => ctc(spec({ labelNames: ['a'] }))).toThrow(/labelNames has 1 characters but outputSize is 3/);
    expect(() => ctc(spec({ width: 0 }))).toThrow(/width/);
    expect(() => buildModel('hps', { inputShape: [6], tasks: [ctc()], seed: 0 }, { encoder: { type: 'mlp', hidden: [4] } })).toThrow(/audio-hps/);
  });

  it('loss: Σ −log p over the labelled rows / Σ transcript lengths, with padded frames not counted', () => {
    // Alphabet ['a'] (C = 1): class 0 = 'a', class 1 = blank. Row 0: "a" over y_0 = (a .6, − .4),
    // y_1 = (a .3, − .7), then a padded frame (all-zero logits): p = .6·.3 + .6·.7 + .4·.3 = .72.
    // Row 1: "aa" over y_0 = (.8, .2), y_1 = (.4, .6), y_2 = (.9, .1): only a − a, p = .8·.6·.9.
    // Row 2: no transcript (mask 0): nothing. Loss = (−log .72 − log .432) / (1 + 2).
    const t = ctc(spec({ width: 2, outputSize: 1, labelNames: ['a'] }));
    t.bindFrames(3);
    const L = (p: number[]) => p.map(Math.log);
    const logits = tf.tensor2d([
      [...L([0.6, 0.4]), ...L([0.3, 0.7]), 0, 0],
      [...L([0.8, 0.2]), ...L([0.4, 0.6]), ...L([0.9, 0.1])],
      [1, 2, 3, 4, 5, 6],
    ]);
    const labels = tf.tensor2d([[0, 0], [0, 0], [0, 0]]), mask = tf.tensor2d([[1, 0], [1, 1], [0, 0]]);
    const loss = t.loss(logits, labels, mask);
    expect(loss.dataSync()[0]).toBeCloseTo((-Math.log(0.72) - Math.log(0.8 * 0.6 * 0.9)) / 3, 5);
    // predict: per-frame probabilities, the padded frame all 0.
    const p = t.predict(logits).arraySync() as number[][][];
    expect(p[0]![0]![0]).toBeCloseTo(0.6, 6);
    expect(p[0]![2]).toEqual([0, 0]);
    tf.dispose([logits, labels, mask, loss]);
  });

  it('metrics: CER and WER of greedy transcripts over the labelled rows, hand-checked', () => {
    // Alphabet a, b, ' ' (blank = 3). Frames per row: 6.
    const t = ctc();
    t.bindFrames(6);
    const K = 4;
    const row = (path: number[]) => {
      const out = new Array(6 * K).fill(0);
      path.forEach((k, f) => { for (let j = 0; j < K; j++) out[f * K + j] = j === k ? 0.7 : 0.1; });
      return out; // frames after the path stay all 0: padding
    };
    // Row 0: reference "ab a", hypothesis path a b − ' ' b → "ab b": 1 substitution of 4 chars; words ab|a vs ab|b: 1 of 2.
    // Row 1: reference "b", hypothesis all blank → "": 1 deletion of 1 char, 1 of 1 word.
    // Row 2: no reference (all NaN): not counted.
    // Row 3: reference "a", hypothesis "a" (path a a − padded): right.
    const pred = Float32Array.from([...row([0, 1, 3, 2, 1]), ...row([3, 3]), ...row([0]), ...row([0, 0, 3])]);
    const N = NaN;
    const labels = Float32Array.from([0, 1, 2, 0, 1, N, N, N, N, N, N, N, 0, N, N, N]);
    const m = t.metrics(pred, labels, 4);
    expect(m.cer).toBeCloseTo((1 + 1 + 0) / (4 + 1 + 1), 12);
    expect(m.wer).toBeCloseTo((1 + 1 + 0) / (2 + 1 + 1), 12);
    expect(m.sentence_accuracy).toBeCloseTo(1 / 3, 12);
    expect(m.count).toBe(3);
    expect(t.decode(pred, 4).map((ids) => t.text(ids))).toEqual(['ab b', '', 'a', 'a']);
    // Prefix beam search gives the same answers on these confident outputs.
    expect(t.decode(pred, 4, { beamWidth: 4 }).map((ids) => t.text(ids))).toEqual(['ab b', '', 'a', 'a']);
  });
});
