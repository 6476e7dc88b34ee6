import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../src/engine/backend.js';
import { tf, tfl } from '../../../src/engine/tf.js';
import { mulberry32 } from '../../../src/data/split.js';
import type { Dataset } from '../../../src/data/types.js';
import { textDataset, textState } from '../../../src/data/text/state.js';
import { Vocabulary } from '../../../src/data/text/tokenizer.js';
import { loadSavedModel } from '../../../src/models/saved.js';
import { buildModel } from '../../../src/models/registry.js';
import { decodersOf, generateHead, setDecoding, type AttentionDecoderLayer } from '../../../src/models/text/decoder.js';
import { beamSearch, topTokens } from '../../../src/models/text/decoder-search.js';
import { saveTextModel } from '../../../src/run/text.js';
import { createTask } from '../../../src/tasks/registry.js';
import { encodeTargets, generateVocabulary, GENERATE_IDS } from '../../../src/tasks/generate.js';
import type { Task } from '../../../src/tasks/types.js';
import { Trainer } from '../../../src/train/node/trainer.js';
import { disposeBatch, makeBatch, prepare } from '../../../src/train/batches.js';

beforeAll(async () => { await initBackend('wasm'); });
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mtl-decoder-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** A generate task over `words` (vocabulary: <pad> <bos> <eos> <unk> + words) with U target positions. */
function generateTaskOf(words: string[], U: number): Task {
  const labelNames = generateVocabulary(words);
  return createTask({ name: 'out', kind: 'generate', width: U, outputSize: labelNames.length, labelNames });
}

/** A decoder head on memory [S, D] and its decoder layer. */
function head(task: Task, S: number, D: number, seed: number, units = 6, dim = 5): { model: tfl.LayersModel; dec: AttentionDecoderLayer } {
  const model = generateHead({ memoryShape: [S, D], task, seed, options: { units, dim } });
  return { model, dec: decodersOf(model)[0]! };
}

/** A seeded memory [B, S, D]; row b has its last `pad[b]` positions all zero (padding). */
function memoryOf(B: number, S: number, D: number, seed: number, pad: number[] = []): tf.Tensor3D {
  const rnd = mulberry32(seed);
  const v = new Float32Array(B * S * D);
  for (let b = 0; b < B; b++) for (let s = 0; s < S - (pad[b] ?? 0); s++) for (let d = 0; d < D; d++) v[(b * S + s) * D + d] = 2 * rnd() - 1;
  return tf.tensor3d(v, [B, S, D]);
}

const weightsOf = (dec: AttentionDecoderLayer) => Object.fromEntries(dec.weights.map((w) => [w.originalName.split('/').pop()!, { v: Array.from(w.read().dataSync()), shape: w.shape as number[] }]));

/** Row-major x [n, k] · W [k, m] in float64. */
const matvec = (x: number[], W: { v: number[]; shape: number[] }) => {
  const [k, m] = W.shape as [number, number];
  return Array.from({ length: m }, (_, j) => x.reduce((s, xi, i) => s + xi * W.v[i * m + j]!, 0));
};
const sig = (x: number) => 1 / (1 + Math.exp(-x));

/** Σ −log p(label) over every labelled step of every row (NaN = no label), by handLogProbs; `each` sees each row's log-probabilities. */
function handNllSum(dec: AttentionDecoderLayer, mem: number[][][], labels: number[][], each?: (lp: number[][], b: number) => void): number {
  let sum = 0;
  labels.forEach((row, b) => {
    const target = row.filter((v) => !Number.isNaN(v));
    const lp = handLogProbs(dec, mem[b]!, target);
    target.forEach((v, t) => { sum -= lp[t]![v]!; });
    each?.(lp, b);
  });
  return sum;
}

/** log p(y_t | y_<t, memory) of one example, by the header's equations in float64 (independent of the layer's tf code). */
function handLogProbs(dec: AttentionDecoderLayer, raw: number[][], target: number[]): number[][] {
  const w = weightsOf(dec);
  const H = dec.units, V = dec.vocabSize;
  const live = raw.map((r) => r.some((x) => x !== 0));
  // Rows standardised over their features (normalizeMemory); all-zero rows stay zero.
  const mem = !dec.normalizeMemory ? raw : raw.map((r) => {
    const mu = r.reduce((a, b) => a + b, 0) / r.length;
    const sd = Math.sqrt(r.reduce((a, b) => a + (b - mu) ** 2, 0) / r.length + 1e-6);
    return r.map((x) => (x - mu) / sd);
  });
  const rows = mem.filter((_, s) => live[s]);
  const mean = mem[0]!.map((_, d) => rows.reduce((s, r) => s + r[d]!, 0) / Math.max(1, rows.length));
  let h = matvec(mean, w.init_kernel!).map((x, j) => Math.tanh(x + w.init_bias!.v[j]!));
  const keys = mem.map((r) => matvec(r, w.attention_kernel!));
  const out: number[][] = [];
  let prev: number = GENERATE_IDS.bos;
  for (const y of target) {
    const e = w.embedding!.v.slice(prev * dec.embeddingDim, (prev + 1) * dec.embeddingDim);
    const xp = matvec(e, w.gru_kernel!).map((x, j) => x + w.gru_bias!.v[j]!);
    const hp = matvec(h, w.gru_recurrent_kernel!);
    const z = h.map((_, j) => sig(xp[j]! + hp[j]!));
    const r = h.map((_, j) => sig(xp[H + j]! + hp[H + j]!));
    const n = h.map((_, j) => Math.tanh(xp[2 * H + j]! + r[j]! * hp[2 * H + j]!));
    h = h.map((hj, j) => (1 - z[j]!) * n[j]! + z[j]! * hj);
    const scores = mem.map((_, s) => (live[s] ? keys[s]!.reduce((acc, k, j) => acc + k * h[j]!, 0) : -1e9));
    const mx = Math.max(...scores);
    const ex = scores.map((s) => Math.exp(s - mx));
    const a = ex.map((x) => x / ex.reduce((p, q) => p + q, 0));
    const c = mem[0]!.map((_, d) => mem.reduce((s, row, si) => s + a[si]! * row[d]!, 0));
    const ht = matvec([...c, ...h], w.combine_kernel!).map((x, j) => Math.tanh(x + w.combine_bias!.v[j]!));
    const logits = matvec(ht, w.output_kernel!).map((x, j) => x + w.output_bias!.v[j]!);
    // Copy ids (the last C): the pointer h̃ · (m_s W_p), −1e9 at padding.
    if (dec.copy > 0) mem.forEach((row, s) => { const k = matvec(row, w.copy_kernel!); logits.push(live[s] ? k.reduce((acc, kj, j) => acc + kj * ht[j]!, 0) : -1e9); });
    const m2 = Math.max(...logits);
    const lse = m2 + Math.log(logits.reduce((s, l) => s + Math.exp(l - m2), 0));
    out.push(logits.map((l) => l - lse));
    expect(out.at(-1)!.length).toBe(V);
    prev = y;
  }
  return out;
}

/** log P(seq) under teacher forcing (seq: generated ids, <eos> included when generated). */
function teacherLogProb(dec: AttentionDecoderLayer, memory: tf.Tensor, b: number, seq: number[]): number {
  return tf.tidy(() => {
    const U = dec.maxLength;
    const row = new Float32Array(U);
    seq.forEach((v, t) => { row[t] = v; });
    const mem = tf.slice(memory, [b, 0, 0], [1, -1, -1]);
    const lp = tf.logSoftmax(dec.teacherForced(mem, tf.tensor2d(row, [1, U]))).arraySync() as number[][][];
    return seq.reduce((s, v, t) => s + lp[0]![t]![v]!, 0);
  });
}

describe('attention decoder: teacher forcing', () => {
  it('the masked loss equals the hand sum of per-step cross-entropies (two examples, one padded memory row)', () => {
    const task = generateTaskOf(['a', 'b', 'c'], 3); // vocabulary <pad> <bos> <eos> <unk> a b c: V = 7
    const { model, dec } = head(task, 3, 4, 11);
    const memory = memoryOf(2, 3, 4, 5, [0, 1]);
    // Targets: "a c <eos>" and "b <eos>" (then padding).
    const labels = [[4, 6, 2], [5, 2, NaN]];
    const y = tf.tensor2d(labels.map((r) => r.map((v) => (Number.isNaN(v) ? 0 : v))));
    const mask = tf.tensor2d(labels.map((r) => r.map((v) => (Number.isNaN(v) ? 0 : 1))));
    const out = model.apply(memory, { training: true }) as tf.Tensor;
    expect(out.shape).toEqual([2, 3]);
    const loss = task.loss(out, y, mask).dataSync()[0]!;
    const mem = memory.arraySync() as number[][][];
    // Hand: ℓ = (−log p(a) − log p(c|a) − log p(eos|a c) − log p(b) − log p(eos|b)) / 5.
    expect(loss).toBeCloseTo(handNllSum(dec, mem, labels) / 5, 4);
    tf.dispose([memory, y, mask, out]);
    model.dispose();
  });

  it('copy tokens: the pointer scores memory positions (padding never), the loss equals the hand sum, steps past the last label skipped', () => {
    const words = ['a', 'b'];
    const labelNames = generateVocabulary(words, { copy: 3 }); // <pad> <bos> <eos> <unk> a b <copy:0> <copy:1> <copy:2>: V = 9
    const task = createTask({ name: 'out', kind: 'generate', width: 5, outputSize: labelNames.length, labelNames });
    const { model, dec } = head(task, 3, 4, 12);
    expect([dec.copy, dec.normalizeMemory, dec.vocabSize]).toEqual([3, true, 9]);
    const memory = memoryOf(2, 3, 4, 6, [0, 1]);
    // Targets "a <copy:1> <copy:2> <eos>" and "<copy:0> b <eos>"; U = 5, so the last step has no label in the batch.
    const labels = [[4, 7, 8, 2, NaN], [6, 5, 2, NaN, NaN]];
    const y = tf.tensor2d(labels.map((r) => r.map((v) => (Number.isNaN(v) ? 0 : v))));
    const mask = tf.tensor2d(labels.map((r) => r.map((v) => (Number.isNaN(v) ? 0 : 1))));
    const out = model.apply(memory, { training: true }) as tf.Tensor;
    const loss = task.loss(out, y, mask).dataSync()[0]!;
    const mem = memory.arraySync() as number[][][];
    const sum = handNllSum(dec, mem, labels, (lp, b) => {
      // Row 1's memory position 2 is padding: its copy token is never likely.
      if (b === 1) lp.forEach((step) => expect(step[8]!).toBeLessThan(-1e6));
    });
    expect(loss).toBeCloseTo(sum / 7, 4);
    // Row standardisation: the memory's scale does not matter (up to the 1e-6 in the variance).
    const scaled = tf.mul(memory, 0.1);
    const out2 = model.apply(scaled, { training: true }) as tf.Tensor;
    expect(task.loss(out2, y, mask).dataSync()[0]!).toBeCloseTo(loss, 3);
    // A memory of another length than the copy tokens is refused, when building the head and when called.
    expect(() => generateHead({ memoryShape: [4, 4], task, seed: 1 })).toThrow(/3 copy tokens, one per memory position, but the memory is \[4, 4\]/);
    expect(() => dec.teacherForced(tf.zeros([1, 2, 4]), tf.zeros([1, 5]))).toThrow(/3 copy tokens need a memory of 3 positions, got 2/);
    tf.dispose([memory, scaled, y, mask, out, out2]);
    model.dispose();
  });

  it('a decoder configured before the copy and normalizeMemory options (a saved model) keeps their old meaning: none, off', () => {
    const task = generateTaskOf(['a', 'b'], 3);
    const { model, dec } = head(task, 3, 4, 13);
    const config = dec.getConfig() as Record<string, unknown>;
    expect([config.copy, config.normalizeMemory]).toEqual([0, true]);
    const { copy: _c, normalizeMemory: _n, ...old } = config;
    const Decoder = dec.constructor as new (args: Record<string, unknown>) => AttentionDecoderLayer;
    const loaded = new Decoder(old);
    expect([loaded.copy, loaded.normalizeMemory]).toEqual([0, false]);
    model.dispose();
  });

  it('a head output that no decoder produced is refused with a clear message', () => {
    const task = generateTaskOf(['a'], 2);
    const z = tf.zeros([1, 2]);
    expect(() => task.loss(z, z, z)).toThrow(/must come from a decoder head/);
    z.dispose();
  });
});

describe('attention decoder: greedy and beam search', () => {
  const task = generateTaskOf(['a', 'b'], 3); // V = 6: <pad> <bos> <eos> <unk> a b
  let cases: { seed: number; model: tfl.LayersModel; dec: AttentionDecoderLayer; memory: tf.Tensor3D }[] = [];
  beforeAll(() => { cases = [1, 2, 3, 4, 5, 6].map((seed) => ({ seed, ...head(task, 3, 4, seed, 4, 3), memory: memoryOf(3, 3, 4, 100 + seed, [0, 1, 2]) })); });
  afterAll(() => cases.forEach((c) => { c.memory.dispose(); c.model.dispose(); }));

  it('greedy = beam search of width 1 (any length penalty)', () => {
    for (const c of cases) {
      const g = c.dec.greedy(c.memory);
      for (const alpha of [0, 0.6, 1]) expect(c.dec.beamSearch(c.memory, 1, alpha).map((h) => h.tokens), `seed ${c.seed} α ${alpha}`).toEqual(g);
      g.forEach((s) => { expect(s).not.toContain(GENERATE_IDS.pad); expect(s).not.toContain(GENERATE_IDS.bos); });
    }
  });

  it('beam scores are the sequences\' log-probabilities; an exhaustive beam finds the most probable sequence, ≥ greedy\'s', () => {
    // Allowed tokens: <eos> <unk> a b (4); U = 3. All sequences: ended by <eos> within 3 tokens, or 3 tokens without.
    const all: number[][] = [];
    const grow = (s: number[]) => {
      for (const v of [2, 3, 4, 5]) {
        const t = [...s, v];
        if (v === 2 || t.length === 3) all.push(t);
        else grow(t);
      }
    };
    grow([]);
    expect(all.length).toBe(1 + 3 * (1 + 3 * 4)); // 40
    let beatsGreedy = 0;
    for (const c of cases) {
      const greedy = c.dec.greedy(c.memory);
      const wide = c.dec.beamSearch(c.memory, 64, 0); // ≥ 3 × 3 × 4 prefixes: exhaustive
      for (let b = 0; b < 3; b++) {
        const scored = all.map((s) => ({ s, lp: teacherLogProb(c.dec, c.memory, b, s) }));
        const best = scored.reduce((p, q) => (q.lp > p.lp ? q : p));
        expect(wide[b]!.logProb).toBeCloseTo(teacherLogProb(c.dec, c.memory, b, wide[b]!.tokens), 4);
        expect(wide[b]!.logProb).toBeCloseTo(best.lp, 4);
        const g = teacherLogProb(c.dec, c.memory, b, greedy[b]!);
        expect(wide[b]!.logProb).toBeGreaterThanOrEqual(g - 1e-5);
        for (const k of [2, 3]) expect(c.dec.beamSearch(c.memory, k, 0)[b]!.logProb, `seed ${c.seed} row ${b} k ${k}`).toBeGreaterThanOrEqual(g - 1e-5);
        if (wide[b]!.logProb > g + 1e-4) beatsGreedy++;
      }
    }
    // The search is not trivial here: somewhere greedy is not the most probable sequence.
    expect(beatsGreedy).toBeGreaterThan(0);
  });

  it('length normalisation: α picks the finished hypothesis with the best log P / |y|^α', () => {
    // Two steps of fixed log-probabilities: <eos> now (log 0.4) or a (log 0.6) then <eos> (log 0.9).
    const V = 5, ln = Math.log;
    const rows = [[-Infinity, -Infinity, ln(0.4), -Infinity, ln(0.6)], [-Infinity, -Infinity, ln(0.9), -Infinity, ln(0.1)]];
    let t = 0;
    const step = (parents: Int32Array) => { const r = rows[Math.min(t++, 1)]!; return Float32Array.from({ length: parents.length * V }, (_, i) => r[i % V]!); };
    const opts = { examples: 1, vocabSize: V, width: 2, maxLength: 3, eos: 2, bos: 1, banned: [0, 1] };
    // P([eos]) = 0.4 < P([a, eos]) = 0.54: [a, eos] wins at α = 0…
    t = 0;
    expect(beamSearch(step, { ...opts, lengthPenalty: 0 })[0]!.tokens).toEqual([4, 2]);
    // …and more so at α = 1 (−0.31 per token vs −0.92).
    t = 0;
    expect(beamSearch(step, { ...opts, lengthPenalty: 1 })[0]!.tokens).toEqual([4, 2]);
    // A worse second step: P([eos]) = 0.4 > P([a, eos]) = 0.3 > P([a, a, eos]) = P([a, a, a]) = 0.15 (the last unterminated at U = 3).
    // α = 0 takes [eos]; α = 1 compares log P / |y|: −0.92, −0.60, −0.63, −0.63, and takes [a, eos].
    rows[1] = [-Infinity, -Infinity, ln(0.5), -Infinity, ln(0.5)];
    t = 0;
    expect(beamSearch(step, { ...opts, lengthPenalty: 0 })[0]!.tokens).toEqual([2]);
    t = 0;
    expect(beamSearch(step, { ...opts, lengthPenalty: 1 })[0]!.tokens).toEqual([4, 2]);
  });

  it('topTokens keeps the k best allowed ids, ties to the lower id', () => {
    const row = Float32Array.from([5, 1, 3, 3, 9, 0]);
    expect(topTokens(row, 0, 6, 3, new Set([4]))).toEqual([0, 2, 3]);
    expect(topTokens(row, 0, 6, 10, new Set())).toEqual([4, 0, 2, 3, 1, 5]);
  });
});

// ---------------------------------------------------------------------------------------------------
// Learning: copy (input words → the same words) and reverse, on text-hps with the BiGRU encoder.

const WORDS = ['red', 'green', 'blue', 'cat', 'dog', 'sun'];
const L = 4, U = L + 1;

function copyData(n: number, seed: number, reverse: boolean): { sentences: string[][]; targets: string[][] } {
  const rnd = mulberry32(seed);
  const sentences: string[][] = [], targets: string[][] = [];
  for (let i = 0; i < n; i++) {
    const len = 2 + Math.floor(rnd() * 3);
    const s = Array.from({ length: len }, () => WORDS[Math.floor(rnd() * WORDS.length)]!);
    sentences.push(s);
    targets.push(reverse ? [...s].reverse() : s);
  }
  return { sentences, targets };
}

const inputVocab = Vocabulary.build([WORDS], { minCount: 1 });
const targetVocab = generateVocabulary(WORDS);

function copyDataset(n: number, seed: number, reverse = false): Dataset {
  const d = copyData(n, seed, reverse);
  const ds = textDataset('copy', d.sentences, inputVocab, L, []);
  const spec = { name: 'out', kind: 'generate' as const, width: U, outputSize: targetVocab.length, labelNames: targetVocab };
  return { ...ds, tasks: [spec], labels: { out: encodeTargets(d.targets, targetVocab, U).labels } };
}

describe('generate on text-hps: learning, saving, loading', () => {
  it('learns to reverse its input (exact match ≥ 0.9 on held-out sentences); the loaded model predicts and scores the same', async () => {
    const train = copyDataset(600, 1, true), test = copyDataset(100, 2, true);
    const tasks = train.tasks.map((s) => createTask(s));
    const model = buildModel('text-hps', { inputShape: [L], tasks, seed: 0 }, {
      vocabSize: inputVocab.size, encoder: { type: 'bigru', dim: 16, units: 16 }, decoder: { dim: 16, units: 32 },
    });
    const trainer = new Trainer(model, tasks, { epochs: 12, batchSize: 32, optimizer: { name: 'adam', lr: 1e-2 }, seed: 0, progress: 'silent' });
    const fit = await trainer.fit(train);
    expect(fit.history.at(-1)!.train.out!.loss).toBeLessThan(fit.history[0]!.train.out!.loss / 4);
    const m = trainer.evaluate(test);
    expect(m.out!.exact_match).toBeGreaterThanOrEqual(0.9);
    expect(m.out!.token_f1).toBeGreaterThanOrEqual(m.out!.exact_match!);
    expect(m.out!.bleu).toBeGreaterThan(0.8);
    // No tensor is left behind by an evaluation (the decoder keeps one memory reference, replaced at each call).
    const live = tf.memory().numTensors;
    trainer.evaluate(test);
    expect(tf.memory().numTensors).toBe(live);
    trainer.dispose();

    // Gradient methods on the representation (rep-grad) reach the decoder's loss too.
    const rep = new Trainer(model, tasks, { epochs: 1, batchSize: 64, optimizer: { name: 'adam', lr: 1e-3 }, seed: 0, progress: 'silent', aggregator: { method: 'pcgrad', mode: 'rep' } });
    const before = model.sharedVariables().map((v) => Array.from(v.dataSync()));
    const r = await rep.fit(train);
    expect(Number.isFinite(r.history[0]!.train.out!.loss)).toBe(true);
    // The encoder moved: the decoder's loss reached the representation through the link's memory.
    expect(model.sharedVariables().some((v, i) => Array.from(v.dataSync()).some((x, j) => x !== before[i]![j]))).toBe(true);
    rep.dispose();

    // Save (with a text.json), load without the trainer: the same ids, and the same teacher-forced loss.
    const state = textState({ tokenizer: { lowercase: true }, vocabulary: inputVocab, maxLength: L, minCount: 1, sources: ['copy'] });
    const dir = path.join(tmp, 'reverse');
    await saveTextModel(dir, model, tasks, [L], state, 'copy');
    const saved = await loadSavedModel(dir);
    expect(saved.tasks[0]!.kind).toBe('generate');
    const batch = makeBatch(prepare(test, ['out']), Array.from({ length: 20 }, (_, i) => i));
    const compare = () => {
      const a = model.forward(batch.x, false).logits[0]!, b = saved.model.forward(batch.x, false).logits[0]!;
      expect(Array.from(b.dataSync())).toEqual(Array.from(a.dataSync()));
      const la = tasks[0]!.loss(a, batch.labels[0]!, batch.masks[0]!), lb = saved.tasks[0]!.loss(b, batch.labels[0]!, batch.masks[0]!);
      expect(lb.dataSync()[0]).toBeCloseTo(la.dataSync()[0]!, 5);
      tf.dispose([a, b, la, lb]);
    };
    compare();
    // Beam search at prediction, set on both.
    setDecoding(model.layersModel(), { beam: 3 });
    setDecoding(saved.model.layersModel(), { beam: 3 });
    expect(decodersOf(saved.model.layersModel())[0]!.beam).toBe(3);
    compare();
    disposeBatch(batch);
    saved.model.dispose();
    model.dispose();
  });
});
