/**
 * `mtl serve` on a text model (a folder with text.json): {"texts": [...]} / {"text": "..."} are tokenized
 * with the training vocabulary, and the answers — class probabilities, per-token tags and spans — equal
 * what `mtl predict` (src/run/predict-text.ts, its own formatting code) says for the same sentences.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSnips } from '../../src/data/loaders/snips.js';
import { initBackend } from '../../src/engine/backend.js';
import { buildModel } from '../../src/models/registry.js';
import { predictText } from '../../src/run/predict-text.js';
import { saveTextModel } from '../../src/run/text.js';
import { createServer } from '../../src/serve/server.js';
import { createTask } from '../../src/tasks/registry.js';
import { Trainer } from '../../src/train/node/trainer.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mtl-text-serve-'));
const dir = path.join(tmp, 'model');
let app: FastifyInstance;
const SENTENCES = ['play some jazz music on spotify', 'what is the weather in paris tomorrow', 'book a table for two at a sushi place'];

beforeAll(async () => {
  await initBackend('wasm');
  const split = await loadSnips({ limit: 300, dataDir: path.resolve('../shared/data') });
  const tasks = split.train.tasks.map((s) => createTask(s));
  const model = buildModel('text-hps', { inputShape: split.train.inputShape, tasks, seed: 0 }, { vocabSize: split.text.vocabulary.length });
  const trainer = new Trainer(model, tasks, { epochs: 2, batchSize: 32, optimizer: { name: 'adam', lr: 5e-3 }, seed: 0, progress: 'silent' });
  await trainer.fit(split.train);
  await saveTextModel(dir, model, tasks, split.train.inputShape, split.text, 'snips');
  trainer.dispose();
  model.dispose();
  app = await createServer(tmp); // a run-like folder holding model/
});

afterAll(async () => {
  await app?.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

async function post(url: string, body: unknown) {
  const res = await app.inject({ method: 'POST', url, payload: body as object });
  return { status: res.statusCode, json: res.json() };
}

describe('POST /predict on a text model', () => {
  it('answers raw sentences as mtl predict does: intent probabilities, tags per token, spans with their text', async () => {
    const r = await post('/predict', { texts: SENTENCES });
    expect(r.status).toBe(200);
    expect(r.json.n).toBe(3);
    const cli = await predictText(dir, SENTENCES);
    SENTENCES.forEach((_, i) => {
      const p = r.json.predictions[i];
      const want = cli[i]!;
      expect(r.json.tokens[i]).toEqual(want.tokens);
      const intent = want.tasks.intent as { label: string; probabilities: Record<string, number> };
      expect(p.intent.label).toBe(intent.label);
      for (const [k, v] of Object.entries(intent.probabilities)) expect(p.intent.probabilities[k]).toBeCloseTo(v, 6);
      const slots = want.tasks.slots as { tags: string[]; spans: { type: string; text: string; start: number; end: number }[] };
      expect(p.slots.tags).toEqual(slots.tags);
      expect(p.slots.spans).toEqual(slots.spans.map((s) => ({ type: s.type, start: s.start, end: s.end, text: s.text })));
    });
    const one = await post('/predict/intent', { text: SENTENCES[0] });
    expect(one.status).toBe(200);
    expect(one.json.predictions[0].label).toBe(r.json.predictions[0].intent.label);
  });

  it('says what it reads in /metadata, and refuses records and non-strings with a 400', async () => {
    const meta = (await app.inject({ method: 'GET', url: '/metadata' })).json();
    expect(meta.input.kind).toBe('text');
    expect(meta.input.maxLength).toBe(meta.inputShape[0]);
    const rows = await post('/predict', { rows: [{ a: 1 }] });
    expect(rows.status).toBe(400);
    expect(rows.json.error).toMatch(/unknown field\(s\) 'rows'.*"texts"/);
    const bad = await post('/predict', { texts: ['ok', 3] });
    expect(bad.status).toBe(400);
    expect(bad.json.error).toBe('texts[1]: expected a string, got number');
    const empty = await post('/predict', { texts: [] });
    expect(empty.status).toBe(400);
    const long = await post('/predict', { text: Array.from({ length: 80 }, () => 'play').join(' ') });
    expect(long.status).toBe(200);
    expect(long.json.warnings[0]).toMatch(/80 tokens, only the first \d+ are read/);
  });
});
