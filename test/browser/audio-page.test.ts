/**
 * Audio models in a web page (Debian's Chromium via playwright-core): `mtl serve <audio run> --ui`
 * (createServer(dir, {ui: true})) serves examples/agent/audio-page, which loads model.json + weights +
 * manifest.json + audio.json with the audio runtime (src/browser/audio-runtime.ts, bundled with tfjs and
 * the encoder's layers). A WAV file picked in the page gets the answers `mtl predict --audio`
 * (src/run/predict-audio.ts: Node, wasm backend) gives for the same file — transcript, intent (every
 * probability to 1e-5), sentiment, frame tokens and slots — for a 22.05 kHz mono file (resampled in the
 * page) and an 8 kHz stereo one (mixed down); a file that is not 16-bit PCM shows readWav's message. A
 * recording from the microphone (Chromium's fake capture device playing the spoken file) is answered as
 * Node answers the same samples (AudioModel.predictSamples on the page's decoded recording). The model is
 * an untrained audio-hps with the spoken agent's four task kinds (the answers only have to agree).
 * MTL_SCREENSHOTS=dir saves a screenshot of the page.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readWav } from '../../src/data/audio/wav.js';
import { resample } from '../../src/data/audio/resample.js';
import { initBackend } from '../../src/engine/backend.js';
import { AudioModel, predictAudioFile, type AudioPrediction } from '../../src/run/predict-audio.js';
import { createServer } from '../../src/serve/server.js';
import { saveUntrainedSpokenModel } from '../helpers/spoken-model.js';
import { tmpDir } from '../serve/fixtures.js';
import { launchChromium, pageErrors, type Chromium } from './chromium.js';

const tmp = tmpDir('audio-page');
const screenshots = process.env.MTL_SCREENSHOTS;
const TOL = 1e-5;
const T = 120;
let chrome: Chromium;
const run = path.join(tmp, 'run');
const files = { mono: path.join(tmp, 'weather.wav'), stereo: path.join(tmp, 'music-stereo-8k.wav'), bad: path.join(tmp, 'not-pcm.wav') };

/** A 16-bit PCM stereo WAV of two channels. */
function stereoWav(left: Float32Array, right: Float32Array, rate: number): Buffer {
  const n = left.length;
  const b = Buffer.alloc(44 + 4 * n);
  b.write('RIFF', 0); b.writeUInt32LE(36 + 4 * n, 4); b.write('WAVE', 8); b.write('fmt ', 12);
  b.writeUInt32LE(16, 16); b.writeUInt16LE(1, 20); b.writeUInt16LE(2, 22); b.writeUInt32LE(rate, 24);
  b.writeUInt32LE(rate * 4, 28); b.writeUInt16LE(4, 32); b.writeUInt16LE(16, 34); b.write('data', 36); b.writeUInt32LE(4 * n, 40);
  const s16 = (v: number) => Math.max(-32768, Math.min(32767, Math.round(v * 32767)));
  for (let i = 0; i < n; i++) { b.writeInt16LE(s16(left[i]!), 44 + 4 * i); b.writeInt16LE(s16(right[i]!), 46 + 4 * i); }
  return b;
}

beforeAll(async () => {
  await initBackend('wasm');
  await saveUntrainedSpokenModel(run, T, 5);
  execFileSync('espeak-ng', ['-v', 'en-gb-x-gbcwmd+m5', '-w', files.mono, 'what is the weather in paris']);
  const music = path.join(tmp, 'music.wav');
  execFileSync('espeak-ng', ['-v', 'en-us+f3', '-w', music, 'play some jazz by miles davis']);
  const w = readWav(fs.readFileSync(music));
  const mono = Float32Array.from(w.samples, (v) => v / 32768);
  const at8k = resample(mono, w.sampleRate, 8000);
  fs.writeFileSync(files.stereo, stereoWav(at8k, at8k.map((v) => 0.5 * v), 8000));
  const bad = Buffer.from(fs.readFileSync(files.mono));
  bad.writeUInt16LE(3, 20); // format 3: IEEE float, not 16-bit PCM
  fs.writeFileSync(files.bad, bad);
  chrome = await launchChromium();
}, 240_000);

afterAll(async () => {
  await chrome?.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** Picks `file` in the page's file input and waits for the page's answer (or error). */
async function pick(page: Page, file: string): Promise<AudioPrediction & { error?: string }> {
  await page.evaluate(() => { (window as any).lastPrediction = undefined; });
  await page.getByTestId('wav').setInputFiles({ name: path.basename(file), mimeType: 'audio/wav', buffer: fs.readFileSync(file) });
  await page.waitForFunction(() => (window as any).lastPrediction !== undefined, null, { timeout: 30_000 });
  return page.evaluate(() => (window as any).lastPrediction);
}

describe('the audio page of mtl serve --ui', () => {
  it('a picked WAV file gets the answers mtl predict --audio gives (probabilities to 1e-5); a float WAV gets readWav\'s message', async () => {
    const app: FastifyInstance = await createServer(run, { ui: true });
    const url = await app.listen({ port: 0, host: '127.0.0.1' });
    const page = await chrome.browser.newPage({ viewport: { width: 1000, height: 900 } });
    const errors = pageErrors(page);
    const requests: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    try {
      await page.goto(url);
      await page.waitForFunction(() => !(document.getElementById('wav') as HTMLInputElement).disabled || document.getElementById('status')!.classList.contains('error'), null, { timeout: 60_000 });
      expect(await page.getByTestId('status').textContent()).toBe('pick a WAV file or record');
      expect(await page.evaluate(() => (window as any).audioModel.backend)).toBe('cpu');
      let worst = 0;
      for (const [what, file] of [['22.05 kHz mono', files.mono], ['8 kHz stereo', files.stereo]] as const) {
        const got = await pick(page, file);
        const want = await predictAudioFile(run, file);
        expect(got.error, what).toBeUndefined();
        expect({ seconds: got.seconds, sampleRate: got.sampleRate, channels: got.channels, frames: got.frames, cut: got.cut }, what)
          .toEqual({ seconds: want.seconds, sampleRate: want.sampleRate, channels: want.channels, frames: want.frames, cut: want.cut });
        expect(Object.keys(got.tasks)).toEqual(['transcript', 'intent', 'sentiment', 'frame']);
        expect(got.tasks.transcript, what).toEqual(want.tasks.transcript);
        expect(got.tasks.frame, what).toEqual(want.tasks.frame);
        const [gi, wi] = [got.tasks.intent, want.tasks.intent] as Extract<AudioPrediction['tasks'][string], { kind: 'class' }>[];
        expect(gi!.label, what).toBe(wi!.label);
        for (const [k, p] of Object.entries(wi!.probabilities)) worst = Math.max(worst, Math.abs(gi!.probabilities[k]! - p));
        const [gs, ws] = [got.tasks.sentiment, want.tasks.sentiment] as Extract<AudioPrediction['tasks'][string], { kind: 'binary' }>[];
        expect(gs!.label, what).toBe(ws!.label);
        worst = Math.max(worst, Math.abs(gs!.probability - ws!.probability));
        // What the page shows is the answer.
        expect(await page.getByTestId('answer-intent').textContent()).toBe(wi!.label);
        expect(await page.getByTestId('answer-frame').textContent()).toBe((want.tasks.frame as { text: string }).text);
        expect(await page.getByTestId('audio-info').textContent()).toContain(`${want.frames} frames`);
      }
      expect(worst).toBeLessThanOrEqual(TOL);
      if (screenshots) {
        fs.mkdirSync(screenshots, { recursive: true });
        await page.screenshot({ path: path.join(screenshots, 'audio-agent.png'), fullPage: true });
      }
      const bad = await pick(page, files.bad);
      let message = '';
      try { readWav(fs.readFileSync(files.bad), 'not-pcm.wav'); } catch (e) { message = (e as Error).message; }
      expect(message).not.toBe('');
      expect(bad.error).toBe(message);
      expect(await page.getByTestId('status').textContent()).toBe(message);
      // Nothing leaves the server (blob: URLs are the page's player playing the picked file).
      expect(requests.every((u) => u.startsWith(new URL(url).origin) || u.startsWith(`blob:${new URL(url).origin}/`)), requests.join('\n')).toBe(true);
      for (const p of ['/mtl/audio-runtime.js', '/model/model.json', '/model/manifest.json', '/model/audio.json']) expect(requests).toContain(new URL(url).origin + p);
      expect(errors).toEqual([]);
      console.log(`audio page (cpu) vs mtl predict --audio (wasm): max |Δp| = ${worst.toExponential(2)}`);
    } finally {
      await page.close();
      await app.close();
    }
  });

  it('a recording from the microphone (a fake capture device playing the file), stopped by the page when the model\'s T frames are full, is answered as Node answers its samples', async () => {
    const mic = await launchChromium(undefined, ['--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream', `--use-file-for-fake-audio-capture=${files.mono}`]);
    const app: FastifyInstance = await createServer(run, { ui: true });
    const url = await app.listen({ port: 0, host: '127.0.0.1' });
    const page = await mic.browser.newPage();
    const errors = pageErrors(page);
    const model = await AudioModel.load(run);
    try {
      await page.goto(url);
      await page.waitForFunction(() => !(document.getElementById('record') as HTMLButtonElement).disabled, null, { timeout: 60_000 });
      await page.getByTestId('record').click();
      await page.waitForFunction(() => document.getElementById('record')!.classList.contains('on'), null, { timeout: 10_000 });
      // The model reads 1.2 s (T = 120 frames): the page stops by itself then.
      await page.waitForFunction(() => (window as any).lastPrediction !== undefined, null, { timeout: 30_000 });
      const { prediction, recording } = await page.evaluate(() => {
        const r = (window as any).lastRecording;
        return { prediction: (window as any).lastPrediction, recording: { sampleRate: r.sampleRate, channels: r.channels, samples: Array.from(r.samples as Float32Array) } };
      });
      expect(prediction.error).toBeUndefined();
      const samples = Float32Array.from(recording.samples);
      const rms = Math.sqrt(samples.reduce((a, v) => a + v * v, 0) / samples.length);
      expect(samples.length / recording.sampleRate).toBeGreaterThan(0.8);
      expect(rms, 'the recording holds the spoken file, not silence').toBeGreaterThan(0.01);
      const want = model.predictSamples(samples, recording.sampleRate, recording.channels);
      expect(prediction.frames).toBe(want.frames);
      expect(prediction.frames).toBeGreaterThan(50);
      expect(prediction.tasks.transcript).toEqual(want.tasks.transcript);
      expect(prediction.tasks.frame).toEqual(want.tasks.frame);
      const [gi, wi] = [prediction.tasks.intent, want.tasks.intent] as Extract<AudioPrediction['tasks'][string], { kind: 'class' }>[];
      expect(gi!.label).toBe(wi!.label);
      for (const [k, p] of Object.entries(wi!.probabilities)) expect(Math.abs(gi!.probabilities[k]! - p)).toBeLessThanOrEqual(TOL);
      expect(await page.getByTestId('status').textContent()).toMatch(/^recording: answered in \d+ ms$/);
      expect(await page.getByTestId('record').textContent()).toBe('● Record');
      expect(errors).toEqual([]);
      console.log(`microphone: ${(samples.length / recording.sampleRate).toFixed(2)} s at ${recording.sampleRate} Hz, rms ${rms.toFixed(3)}, ${want.frames} frames; page = Node`);
    } finally {
      model.dispose();
      await page.close();
      await app.close();
      await mic.close();
    }
  });
});
