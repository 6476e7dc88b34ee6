import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../src/engine/backend.js';
import { tf } from '../../../src/engine/tf.js';
import { mulberry32 } from '../../../src/data/split.js';
import type { Dataset } from '../../../src/data/types.js';
import { loadSavedModel } from '../../../src/models/saved.js';
import { buildModel } from '../../../src/models/registry.js';
import { saveTextModel } from '../../../src/run/text.js';
import { predictText } from '../../../src/run/predict-text.js';
import { createTask } from '../../../src/tasks/registry.js';
import { buildTextEncoder, type TextEncoderConfig } from '../../../src/models/text/encoder.js';
import { encodeTexts, loadTextState, textDataset, textState } from '../../../src/data/text/state.js';
import { Vocabulary } from '../../../src/data/text/tokenizer.js';
import { Trainer } from '../../../src/train/node/trainer.js';
import { disposeBatch, makeBatch, prepare } from '../../../src/train/batches.js';
import { Tape } from '../../../src/engine/tape.js';

beforeAll(async () => { await initBackend('wasm'); });

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mtl-text-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const L = 6;
const TAGS = ['O', 'B-city', 'I-city'];
const CITIES = [['paris'], ['new', 'york'], ['rome']];
const FILLER = ['weather', 'in', 'the', 'show', 'me', 'now'];

/** "show me the weather in <city>" style sentences: intent = whether a city occurs; slots tag the city. */
function toyData(n: number, seed: number): { sentences: string[][]; tags: number[][]; intents: number[] } {
  const rnd = mulberry32(seed);
  const sentences: string[][] = [], tags: number[][] = [], intents: number[] = [];
  for (let i = 0; i < n; i++) {
    const len = 2 + Math.floor(rnd() * 3);
    const s: string[] = [], t: number[] = [];
    for (let j = 0; j < len; j++) { s.push(FILLER[Math.floor(rnd() * FILLER.length)]!); t.push(0); }
    const hasCity = rnd() < 0.5;
    if (hasCity) {
      const c = CITIES[Math.floor(rnd() * CITIES.length)]!;
      const at = Math.floor(rnd() * (s.length + 1));
      s.splice(at, 0, ...c);
      t.splice(at, 0, ...c.map((_, k) => (k === 0 ? 1 : 2)));
    }
    sentences.push(s); tags.push(t); intents.push(hasCity ? 1 : 0);
  }
  return { sentences, tags, intents };
}

function toyDataset(vocab: Vocabulary, n: number, seed: number): Dataset {
  const d = toyData(n, seed);
  return textDataset('toy', d.sentences, vocab, L, [
    { spec: { name: 'intent', kind: 'multiclass', width: 1, outputSize: 2, labelNames: ['other', 'weather_city'] }, values: d.intents },
    { spec: { name: 'slots', kind: 'sequence', width: L, outputSize: 3, labelNames: TAGS }, values: d.tags },
  ]);
}

const vocab = Vocabulary.build(toyData(200, 1).sentences);

describe('text encoder', () => {
  const configs: TextEncoderConfig[] = [{ type: 'transformer', dim: 16, layers: 1, heads: 2, ffn: 16 }, { type: 'bigru', dim: 8, units: 4 }];
  for (const config of configs) {
    it(`${config.type}: zero at padding, and a sentence's features do not depend on the padding around it`, () => {
      const enc = buildTextEncoder({ maxLength: L, vocabSize: vocab.size, seed: 3 }, config);
      const ids = tf.tensor2d([[2, 3, 4, 0, 0, 0], [5, 6, 0, 0, 0, 0], [2, 3, 4, 5, 6, 7]]);
      const out = enc.apply(ids) as tf.Tensor;
      expect(out.shape).toEqual([3, L, enc.outputs[0]!.shape[2]]);
      const v = out.arraySync() as number[][][];
      expect(v[0]!.slice(3).flat().every((x) => x === 0)).toBe(true);
      expect(v[1]!.slice(2).flat().every((x) => x === 0)).toBe(true);
      expect(v[0]!.slice(0, 3).flat().some((x) => x !== 0)).toBe(true);
      // The same sentence alone (the batch is then trimmed to 3 positions instead of 6).
      const alone = tf.tensor2d([[2, 3, 4, 0, 0, 0]]);
      const a = (enc.apply(alone) as tf.Tensor).arraySync() as number[][][];
      a[0]!.flat().forEach((x, i) => expect(x).toBeCloseTo(v[0]!.flat()[i]!, 5));
      tf.dispose([ids, out, alone]);
      enc.dispose();
    });
  }
});

describe('text-hps: intent + slots on one encoder', () => {
  it('trains (also with rep-grad on the per-token representation), saves and loads with its vocabulary', async () => {
    const train = toyDataset(vocab, 160, 2), test = toyDataset(vocab, 60, 3);
    const tasks = train.tasks.map((s) => createTask(s));
    const model = buildModel('text-hps', { inputShape: [L], tasks, seed: 0 }, {
      vocabSize: vocab.size, encoder: { type: 'transformer', dim: 16, layers: 1, heads: 2, ffn: 32 },
    });
    const trainer = new Trainer(model, tasks, { epochs: 14, batchSize: 32, optimizer: { name: 'adam', lr: 1e-2 }, seed: 0, progress: 'silent' });
    const fit = await trainer.fit(train);
    expect(fit.history.at(-1)!.train.slots!.loss).toBeLessThan(fit.history[0]!.train.slots!.loss);
    const m = trainer.evaluate(test);
    expect(m.intent!.accuracy).toBeGreaterThan(0.9);
    expect(m.slots!.span_f1).toBeGreaterThan(0.8);
    trainer.dispose();

    // Rep-grad: per-task gradients w.r.t. the [B, L, D] features (padding rows get none).
    const rep = new Trainer(model, tasks, { epochs: 1, batchSize: 64, optimizer: { name: 'adam', lr: 1e-3 }, seed: 0, progress: 'silent', aggregator: { method: 'pcgrad', mode: 'rep' } });
    const r = await rep.fit(train);
    expect(Number.isFinite(r.history[0]!.train.slots!.loss)).toBe(true);
    rep.dispose();

    // Save beside the vocabulary, load without the trainer, predict from raw text.
    const state = textState({ tokenizer: { lowercase: true }, vocabulary: vocab, maxLength: L, minCount: 1, sources: ['toy'] });
    const dir = path.join(tmp, 'model');
    await saveTextModel(dir, model, tasks, [L], state, 'toy');
    expect(loadTextState(dir).vocabulary).toEqual(vocab.toJSON());
    const saved = await loadSavedModel(dir);
    const { x } = encodeTexts(loadTextState(dir), ['Show me the weather in New York', 'show me now']);
    const input = tf.tensor2d(x, [2, L]);
    const a = model.forward(input, false).logits, b = saved.model.forward(input, false).logits;
    a.forEach((t, i) => expect(Array.from(t.dataSync())).toEqual(Array.from(b[i]!.dataSync())));
    tf.dispose([input, ...a, ...b]);
    saved.model.dispose();
    model.dispose();

    const [p, long] = await predictText(dir, ['Weather in New York', 'show me the weather in the city now']);
    expect(p!.tokens).toEqual(['weather', 'in', 'new', 'york']);
    expect(p!.tasks.intent).toMatchObject({ kind: 'class', label: 'weather_city' });
    const slots = p!.tasks.slots as { kind: 'spans'; spans: { type: string; text: string; start: number; end: number }[] };
    expect(slots.spans).toEqual([{ type: 'city', text: 'new york', start: 2, end: 3 }]);
    expect(long!.tokens.length).toBe(L); // truncated to L
    expect(long!.truncated).toBe(2);
  });

  it('the BiGRU model (the default encoder) saves and loads too', async () => {
    const tasks = toyDataset(vocab, 4, 4).tasks.map((s) => createTask(s));
    const model = buildModel('text-hps', { inputShape: [L], tasks, seed: 5 }, { vocabSize: vocab.size, encoder: { type: 'bigru', dim: 8, units: 4 }, pool: 'max' });
    const state = textState({ tokenizer: {}, vocabulary: vocab, maxLength: L, minCount: 1, sources: ['toy'] });
    const dir = path.join(tmp, 'bigru');
    await saveTextModel(dir, model, tasks, [L], state, 'toy');
    const saved = await loadSavedModel(dir);
    const input = tf.tensor2d([[2, 3, 4, 0, 0, 0], [5, 0, 0, 0, 0, 0]]);
    const a = model.forward(input, false).logits, b = saved.model.forward(input, false).logits;
    a.forEach((t, i) => Array.from(t.dataSync()).forEach((v, j) => expect(b[i]!.dataSync()[j]).toBeCloseTo(v, 6)));
    tf.dispose([input, ...a, ...b]);
    saved.model.dispose();
    model.dispose();
  });
});

describe('one recorded forward pass through the text encoders (src/engine/tape.ts)', () => {
  it('gives variableGrads\' per-task gradients for the Transformer and the BiGRU', () => {
    const data = toyDataset(vocab, 48, 4);
    const tasks = data.tasks.map((s) => createTask(s));
    const batch = makeBatch(prepare(data, tasks.map((t) => t.name)), Array.from({ length: 48 }, (_, i) => i));
    for (const encoder of [{ type: 'transformer', dim: 16, layers: 1, heads: 2, ffn: 16 }, { type: 'bigru', dim: 8, units: 4 }] as const) {
      const model = buildModel('text-hps', { inputShape: [L], tasks, seed: 1 }, { vocabSize: vocab.size, encoder });
      const vars = model.trainableVariables();
      const lossOf = (logits: tf.Tensor[], t: number) => tasks[t]!.loss(logits[t]!, batch.labels[t]!, batch.masks[t]) as tf.Scalar;
      const { tape, result } = Tape.record(() => tasks.map((_, t) => lossOf(model.forward(batch.x, true).logits, t)));
      tasks.forEach((_, t) => {
        const got = tape.grad(result[t]!, vars);
        const { value, grads } = tf.variableGrads(() => lossOf(model.forward(batch.x, true).logits, t), vars);
        vars.forEach((v, k) => {
          const want = grads[v.name];
          if (!want) { expect(got[k], `${encoder.type} ${v.name}`).toBeNull(); return; }
          const a = got[k]!.dataSync(), b = want.dataSync();
          let worst = 0;
          for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!) / (1e-3 + Math.abs(b[i]!)));
          expect(worst, `${encoder.type} task ${t} ${v.name}`).toBeLessThan(1e-3);
        });
        value.dispose();
        [...got, ...Object.values(grads)].forEach((g) => g?.dispose());
      });
      tape.dispose();
      result.forEach((r) => r.dispose());
      model.dispose();
    }
    disposeBatch(batch);
  });
});
