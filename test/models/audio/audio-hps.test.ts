import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../src/engine/backend.js';
import { tf } from '../../../src/engine/tf.js';
import { buildAudioEncoder, outputFrames, type AudioSequenceConfig } from '../../../src/models/audio/encoder.js';
import { saveLayersModel } from '../../../src/models/io.js';
import { buildManifest } from '../../../src/models/manifest.js';
import { buildModel } from '../../../src/models/registry.js';
import { loadSavedModel } from '../../../src/models/saved.js';
import { createTask } from '../../../src/tasks/registry.js';
import { isCtcTask } from '../../../src/tasks/ctc.js';
import { ctcLoss } from '../../../src/tasks/ctc-loss.js';
import { Trainer } from '../../../src/train/node/trainer.js';
import { BINS, toneDataset } from './tones.js';

beforeAll(async () => { await initBackend('wasm'); });

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mtl-audio-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** [B, T, M] frames: row b has lengths[b] real frames (seeded values, never all zero), then zeros. */
function frames(lengths: number[], T: number, M: number, seed = 1): tf.Tensor3D {
  let s = seed;
  const v = new Float32Array(lengths.length * T * M);
  lengths.forEach((len, b) => {
    for (let i = 0; i < len * M; i++) v[b * T * M + i] = Math.sin(++s * 12.9898) * 2;
  });
  return tf.tensor3d(v, [lengths.length, T, M]);
}

describe('audio encoder', () => {
  const sequences: AudioSequenceConfig[] = [{ type: 'bigru', units: 4 }, { type: 'transformer', dim: 8, layers: 1, heads: 2, ffn: 8 }, { type: 'none' }];
  for (const sequence of sequences) {
    it(`${sequence.type}: ¼ of the frames, exactly 0 at padded frames, and a row does not depend on the rest of the batch`, () => {
      const T = 9, M = 3;
      const enc = buildAudioEncoder({ frames: T, mels: M, seed: 2 }, { conv: { channels: [6, 5] }, sequence });
      expect(outputFrames(T, [2, 2])).toBe(3); // 9 → 5 → 3
      const x = frames([4, 9, 1], T, M);
      const out = enc.apply(x) as tf.Tensor;
      expect(out.shape.slice(0, 2)).toEqual([3, 3]);
      const v = out.arraySync() as number[][][];
      const live = (row: number[][]) => row.map((f) => f.some((z) => z !== 0));
      // Row 0: 4 real frames → 2 after the first stride (frames 0–3 start output frames 0, 1) → 1 after the second.
      expect(live(v[0]!)).toEqual([true, false, false]);
      expect(live(v[1]!)).toEqual([true, true, true]);
      expect(live(v[2]!)).toEqual([true, false, false]);
      // The same utterance alone.
      const alone = frames([4], T, M);
      const a = (enc.apply(alone) as tf.Tensor).arraySync() as number[][][];
      a[0]!.flat().forEach((z, i) => expect(z).toBeCloseTo(v[0]!.flat()[i]!, 6));
      tf.dispose([x, out, alone]);
      enc.dispose();
    });
  }

  it('checks its options', () => {
    expect(() => buildAudioEncoder({ frames: 8, mels: 2, seed: 0 }, { conv: { channels: [4, 4], strides: [2] } })).toThrow(/conv.strides must be 2 positive integers/);
    expect(() => buildModel('audio-hps', { inputShape: [8], tasks: [], seed: 0 }, {})).toThrow(/\[frames, mels\]/);
    expect(() => buildModel('audio-hps', { inputShape: [8, 2], tasks: [], seed: 0 }, { kernel: 3 })).toThrow(/unknown option\(s\) kernel/);
  });
});

describe('audio-hps with a generate task (the text models\' attention decoder over the frames)', () => {
  it('builds its head on the per-frame features and trains an epoch', async () => {
    const T = 72;
    const data = toneDataset(64, 5, T);
    // Target: "<first tone's token> <eos>" over the vocabulary <pad>, <bos>, <eos>, a, b, c, d.
    const gen = new Float32Array(64 * 3).fill(NaN);
    for (let i = 0; i < 64; i++) { gen[i * 3] = 3 + data.labels.first![i]!; gen[i * 3 + 1] = 2; }
    data.tasks.push({ name: 'frame', kind: 'generate', width: 3, outputSize: 7, labelNames: ['<pad>', '<bos>', '<eos>', 'a', 'b', 'c', 'd'] });
    data.labels.frame = gen;
    const tasks = data.tasks.map((s) => createTask(s));
    const model = buildModel('audio-hps', { inputShape: [T, BINS], tasks, seed: 1 }, {
      conv: { channels: [8, 8] }, encoder: { type: 'bigru', units: 8 }, decoder: { dim: 8, units: 16 },
    });
    const x = tf.tensor3d(data.x.subarray(0, 2 * T * BINS), [2, T, BINS]);
    const out = model.forward(x, false).logits;
    expect(out.map((o) => o.shape)).toEqual([[2, 18, 5], [2, 4], [2, 3]]);
    tf.dispose([x, ...out]);
    const trainer = new Trainer(model, tasks, { epochs: 1, batchSize: 32, optimizer: { name: 'adam', lr: 1e-2 }, seed: 0, progress: 'silent' });
    const fit = await trainer.fit(data);
    for (const t of ['transcript', 'first', 'frame']) expect(Number.isFinite(fit.history[0]!.train[t]!.loss), t).toBe(true);
    trainer.dispose();
    model.dispose();
  });
});

describe('audio-hps: transcript (ctc) + first tone (multiclass) on one encoder', () => {
  it('learns the tone sequences (CER far below chance) and the class, trains with rep-grad, saves and loads', async () => {
    const T = 72;
    const train = toneDataset(320, 1, T), test = toneDataset(100, 2, T);
    const tasks = train.tasks.map((s) => createTask(s));
    const model = buildModel('audio-hps', { inputShape: [T, BINS], tasks, seed: 0 }, { conv: { channels: [32, 32] }, encoder: { type: 'bigru', units: 24 } });
    const transcript = tasks[0]!;
    if (!isCtcTask(transcript)) throw new Error('not a ctc task');
    expect(transcript.frames).toBe(18); // 72 → 36 → 18
    expect(transcript.headUnits).toBe(18 * 5);

    // The CTC head zeroes the padded frames' logits, so the loss counts ⌈⌈len/2⌉/2⌉ frames per row: the same
    // loss as with those lengths given explicitly.
    const xb = tf.tensor3d(test.x.subarray(0, 8 * T * BINS), [8, T, BINS]);
    const lengths = Array.from({ length: 8 }, (_, b) => {
      let len = 0;
      for (let t = 0; t < T; t++) if (test.x.subarray((b * T + t) * BINS, (b * T + t + 1) * BINS).some((v) => v !== 0)) len = t + 1;
      return outputFrames(len, [2, 2]);
    });
    tf.tidy(() => {
      const logits = tf.reshape(model.forward(xb, false).logits[0]!, [8, 18, 5]);
      const lab = test.labels.transcript!.subarray(0, 32);
      const labels = tf.tensor2d(Array.from(lab, (v) => (Number.isNaN(v) ? 0 : v)), [8, 4]);
      const mask = tf.tensor2d(Array.from(lab, (v) => (Number.isNaN(v) ? 0 : 1)), [8, 4]);
      const implicit = ctcLoss(logits, labels, mask, { blank: 4 }).dataSync();
      const explicit = ctcLoss(logits, labels, mask, { blank: 4, lengths }).dataSync();
      expect(Array.from(implicit)).toEqual(Array.from(explicit));
      expect(lengths.some((l) => l < 18)).toBe(true);
    });

    const trainer = new Trainer(model, tasks, { epochs: 8, batchSize: 32, optimizer: { name: 'adam', lr: 1e-2 }, seed: 0, progress: 'silent' });
    const before = trainer.evaluate(test);
    // Untrained: chance. Random outputs decode to a wrong transcript of some length (CER ≈ 1).
    expect(before.transcript!.cer).toBeGreaterThan(0.7);
    expect(before.first!.accuracy).toBeLessThan(0.5);
    await trainer.fit(train);
    const after = trainer.evaluate(test);
    expect(after.transcript!.cer).toBeLessThan(0.15);
    expect(after.transcript!.sentence_accuracy).toBeGreaterThan(0.6);
    expect(after.first!.accuracy).toBeGreaterThan(0.85);
    trainer.dispose();

    // Rep-grad: per-task gradients w.r.t. the per-frame representation [B, T', D] (one epoch runs, finite).
    const rep = new Trainer(model, tasks, { epochs: 1, batchSize: 64, optimizer: { name: 'adam', lr: 1e-3 }, seed: 0, progress: 'silent', aggregator: { method: 'pcgrad', mode: 'rep' } });
    const r = await rep.fit(train);
    expect(Number.isFinite(r.history[0]!.train.transcript!.loss)).toBe(true);
    rep.dispose();

    // Save (model.json + weights.bin + manifest.json), load without the trainer: equal outputs, same frames.
    const dir = path.join(tmp, 'model');
    fs.mkdirSync(dir);
    await saveLayersModel(dir, model.layersModel());
    fs.writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(buildManifest({ architecture: model.architecture, inputShape: [T, BINS], tasks, dataset: { name: 'tones' } })));
    const saved = await loadSavedModel(dir);
    const a = model.forward(xb, false).logits, b = saved.model.forward(xb, false).logits;
    a.forEach((t, i) => {
      const u = t.dataSync(), w = b[i]!.dataSync();
      let worst = 0;
      for (let j = 0; j < u.length; j++) worst = Math.max(worst, Math.abs(u[j]! - w[j]!));
      expect(worst).toBeLessThan(1e-6);
    });
    const loadedCtc = saved.tasks[0]!;
    expect(isCtcTask(loadedCtc) && loadedCtc.frames).toBe(18);
    tf.dispose([xb, ...a, ...b]);

    // Nothing but standard tfjs-layers classes and the text layers (which the browser text runtime registers).
    const classes = new Set<string>();
    const walk = (v: unknown): void => {
      if (Array.isArray(v)) v.forEach(walk);
      else if (v && typeof v === 'object') {
        const o = v as Record<string, unknown>;
        if (typeof o.class_name === 'string') classes.add(o.class_name);
        Object.values(o).forEach(walk);
      }
    };
    walk(JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8')).modelTopology);
    const custom = [...classes].filter((c) => c.startsWith('Mtl')).sort();
    expect(custom).toEqual(['MtlBiGru', 'MtlMaskedPooling', 'MtlTokenMask']);
    // (layers, and the initialisers their configs name)
    const standard = ['Conv1D', 'Dense', 'GlobalAveragePooling1D', 'InputLayer', 'MaxPooling1D', 'Model', 'Multiply', 'Permute', 'Reshape', 'VarianceScaling', 'Zeros'];
    expect([...classes].filter((c) => !c.startsWith('Mtl') && !standard.includes(c))).toEqual([]);
    saved.model.dispose();
    model.dispose();
  });
});
