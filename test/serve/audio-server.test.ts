/**
 * `mtl serve` on an audio model (a folder with audio.json, as `mtl agent --speech` saves them): a WAV body
 * (Content-Type audio/wav) is answered exactly as `mtl predict --audio` (src/run/predict-audio.ts)
 * answers the same file; a body that is not a 16-bit PCM WAV gets a 400 with readWav's message, one over
 * the body limit a 413, JSON sent to it a 415, and a WAV sent to a model without audio.json a 415. The model is an untrained
 * audio-hps with the spoken agent's four task kinds (the answers only have to agree, not be right).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeWav } from '../../src/data/audio/wav.js';
import { initBackend } from '../../src/engine/backend.js';
import { saveLayersModel } from '../../src/models/io.js';
import { buildModel } from '../../src/models/registry.js';
import { createTask } from '../../src/tasks/registry.js';
import { buildManifest } from '../../src/models/manifest.js';
import { predictAudioFile } from '../../src/run/predict-audio.js';
import { createServer } from '../../src/serve/server.js';
import { saveUntrainedSpokenModel } from '../helpers/spoken-model.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mtl-audio-serve-'));
const T = 120;
let app: FastifyInstance;
const wavFile = path.join(tmp, 'utterance.wav');

beforeAll(async () => {
  await initBackend('wasm');
  await saveUntrainedSpokenModel(path.join(tmp, 'run'), T, 3);
  execFileSync('espeak-ng', ['-v', 'en-gb-x-gbcwmd+m5', '-w', wavFile, 'what is the weather in paris']);
  app = await createServer(path.join(tmp, 'run'), { bodyLimit: 1 << 20 });
});

afterAll(async () => {
  await app?.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

const postWav = async (url: string, body: Buffer | Uint8Array, type = 'audio/wav') => {
  const res = await app.inject({ method: 'POST', url, headers: { 'content-type': type }, payload: Buffer.from(body) });
  return { status: res.statusCode, json: res.json() };
};

/** A 44-byte-header PCM WAV with `bits` per sample (the body is silence). */
function pcmWav(bits: number, samples = 800): Buffer {
  const bytes = (samples * bits) / 8;
  const b = Buffer.alloc(44 + bytes);
  b.write('RIFF', 0); b.writeUInt32LE(36 + bytes, 4); b.write('WAVE', 8); b.write('fmt ', 12);
  b.writeUInt32LE(16, 16); b.writeUInt16LE(1, 20); b.writeUInt16LE(1, 22); b.writeUInt32LE(8000, 24);
  b.writeUInt32LE((8000 * bits) / 8, 28); b.writeUInt16LE(bits / 8, 32); b.writeUInt16LE(bits, 34); b.write('data', 36); b.writeUInt32LE(bytes, 40);
  return b;
}

describe('POST /predict with a WAV body on an audio model', () => {
  it('answers as mtl predict --audio does: transcript, intent, sentiment, frame with slots', async () => {
    const r = await postWav('/predict', fs.readFileSync(wavFile));
    expect(r.status).toBe(200);
    const cli = await predictAudioFile(path.join(tmp, 'run'), wavFile);
    expect(r.json.n).toBe(1);
    expect(r.json.predictions[0]).toEqual(JSON.parse(JSON.stringify(cli.tasks)));
    expect(r.json.audio).toEqual({ seconds: cli.seconds, sampleRate: 22050, channels: 1, frames: cli.frames, cut: cli.cut });
    expect(Object.keys(r.json.predictions[0])).toEqual(['transcript', 'intent', 'sentiment', 'frame']);
    const one = await postWav('/predict/intent', fs.readFileSync(wavFile), 'audio/x-wav');
    expect(one.status).toBe(200);
    expect(one.json.predictions[0]).toEqual(r.json.predictions[0].intent);
    // 16 kHz mono written by the library: the same answer path (no resampling).
    const same = await postWav('/predict', writeWav(new Float32Array(8000).map((_, i) => 0.3 * Math.sin(i / 7)), 16000));
    expect(same.status).toBe(200);
    expect(same.json.audio.frames).toBe(1 + Math.floor((8000 - 400) / 160));
    const meta = (await app.inject({ method: 'GET', url: '/metadata' })).json();
    expect(meta.input).toMatchObject({ kind: 'audio', sampleRate: 16000, maxFrames: T });
  });

  it('answers a body that is not a 16-bit PCM WAV with a 400 and readWav\'s message, a too-large one with 413', async () => {
    const eight = await postWav('/predict', pcmWav(8));
    expect(eight.status).toBe(400);
    expect(eight.json.error).toBe('body: 8-bit PCM; only 16-bit PCM is read');
    const ogg = await postWav('/predict', Buffer.from('OggS\u0000\u0002 not really'));
    expect(ogg.status).toBe(400);
    expect(ogg.json.error).toBe('body: an Ogg file (Vorbis/Opus), not RIFF/WAVE');
    const text = await postWav('/predict', Buffer.from('hello, this is not audio'));
    expect(text.status).toBe(400);
    expect(text.json.error).toMatch(/^body: not a RIFF\/WAVE file/);
    const huge = await postWav('/predict', Buffer.alloc((1 << 20) + 10));
    expect(huge.status).toBe(413);
    expect(huge.json.error).toMatch(/request body too large/);
    const json = await app.inject({ method: 'POST', url: '/predict', payload: { inputs: [[1, 2]] } });
    expect(json.statusCode).toBe(415);
    expect(json.json().error).toMatch(/this model reads audio: POST a 16-bit PCM WAV file/);
    const unknown = await postWav('/predict/nope', fs.readFileSync(wavFile));
    expect(unknown.status).toBe(404);
  });

  it('answers a WAV sent to a model without audio.json with a 415', async () => {
    // A plain tensor model (no audio.json).
    const other = path.join(tmp, 'plain');
    fs.mkdirSync(other);
    const tasks = [createTask({ name: 'y', kind: 'regression', width: 1, outputSize: 1 })];
    const m = buildModel('hps', { inputShape: [3], tasks, seed: 0 }, { encoder: { type: 'mlp', hidden: [4] } });
    await saveLayersModel(other, m.layersModel());
    fs.writeFileSync(path.join(other, 'manifest.json'), JSON.stringify(buildManifest({ architecture: m.architecture, inputShape: [3], tasks })));
    m.dispose();
    const server = await createServer(other);
    try {
      const res = await server.inject({ method: 'POST', url: '/predict', headers: { 'content-type': 'audio/wav' }, payload: fs.readFileSync(wavFile) });
      expect(res.statusCode).toBe(415);
      expect(res.json().error).toMatch(/this model does not read audio/);
    } finally {
      await server.close();
    }
  });
});
