/**
 * The spoken agent end to end (`mtl agent --speech`, issue 22 parts 4–5) with the real espeak-ng: a tiny
 * run through runSpeechAgent (a few dozen utterances, one epoch, two seeds) gives every metric of every
 * model, Δm% and its spread over the seeds, examples from unseen test voices and saved model folders; then
 * `mtl predict <model> --audio file.wav` on a WAV spoken by espeak-ng with a test voice answers exactly what
 * the trained model says in process, where the features are computed here from the library's log-mel
 * function directly (not through the predict code).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { logMel } from '../../src/data/audio/log-mel.js';
import { readWav } from '../../src/data/audio/wav.js';
import { resample } from '../../src/data/audio/resample.js';
import { decodeIds } from '../../src/data/generate-targets.js';
import { generatedText } from '../../src/data/frame-text.js';
import { normalizeTranscript } from '../../src/data/loaders/spoken-agent.js';
import { DEFAULT_VOICES } from '../../src/data/speech/plan.js';
import { initBackend } from '../../src/engine/backend.js';
import { tf } from '../../src/engine/tf.js';
import { loadSavedModel } from '../../src/models/saved.js';
import { parseFrameTokens } from '../../src/run/predict-audio.js';
import { formatSpeechAgentReport, runSpeechAgent, type SpeechAgentReport } from '../../src/run/speech-agent.js';
import type { TrainedAudioModel } from '../../src/run/speech-agent-train.js';
import { isCtcTask } from '../../src/tasks/ctc.js';
import { runMtl } from '../helpers/cli.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mtl-speech-agent-'));
const out = path.join(tmp, 'run');
let report: SpeechAgentReport;
let mtl: TrainedAudioModel;

beforeAll(async () => {
  await initBackend('wasm');
  const r = await runSpeechAgent({
    outDir: out, seeds: [0, 1], cacheDir: path.join(tmp, 'cache'), speechProgress: false, maxFrames: 300,
    sizes: { snips: { train: 24, dev: 6, test: 6 }, sentiment: { train: 12, dev: 4, test: 4 } },
    settings: { epochs: 1, batchSize: 16, lr: 3e-3, conv: [8, 8], units: 8, decoder: { dim: 8, units: 16 }, patience: 0, progress: 'silent' },
  });
  report = r.report;
  mtl = r.models[0]!;
});

afterAll(() => {
  mtl?.model.dispose();
  fs.rmSync(tmp, { recursive: true, force: true });
});

const inUnit = (v: number | undefined) => typeof v === 'number' && v >= 0 && v <= 1;

describe('mtl agent --speech (runSpeechAgent)', () => {
  it('trains the four-task model and the four single-task models at each seed, with every metric, Δm% and its spread', () => {
    expect(report.seeds).toEqual([0, 1]);
    const models = ['MTL: transcript + intent + sentiment + frame (one model)', 'single-task: transcript', 'single-task: intent', 'single-task: sentiment', 'single-task: frame', 'the four single-task models together'];
    for (const run of report.runs) {
      expect(run.rows.map((r) => r.model)).toEqual(models);
      for (const r of [run.rows[0]!, run.rows[5]!]) {
        for (const k of ['wer', 'cer', 'intent_accuracy', 'sentiment_accuracy', 'frame_exact_match', 'frame_token_f1', 'frame_bleu'] as const) {
          // WER can exceed 1 (insertions); the others are rates.
          if (k === 'wer') expect(r[k]! >= 0).toBe(true);
          else expect(inUnit(r[k]), `${r.model} ${k}`).toBe(true);
        }
      }
      expect(run.rows[1]).toMatchObject({ tasks: ['transcript'] });
      expect(run.rows[1]!.intent_accuracy).toBeUndefined();
      expect(run.rows[2]!.cer).toBeUndefined();
      expect(typeof run.rows[0]!.deltaM).toBe('number');
    }
    // Spread over two seeds: n = 2, the mean of the per-seed values.
    const cer = report.summary[0]!.metrics.cer!;
    expect(cer.n).toBe(2);
    expect(cer.mean).toBeCloseTo((report.runs[0]!.rows[0]!.cer! + report.runs[1]!.rows[0]!.cer!) / 2, 12);
    // The data: 36 train utterances (none dropped at T ≤ 300 → those longer are counted), 10 dev, 10 test.
    expect(report.data.train + report.data.droppedTrain).toBe(36);
    expect(report.data.test).toBe(10);
    expect(report.data.frames).toBeLessThanOrEqual(300);
    expect(report.timing.training).toBeGreaterThan(0);
    const md = formatSpeechAgentReport(report);
    expect(md).toContain('| model | WER % ↓ | CER % ↓ | intent acc % | sentiment acc % | frame exact match % |');
    expect(md).toMatch(/\| MTL: transcript \+ intent \+ sentiment \+ frame \(one model\) \| [\d.]+ ± [\d.]+ \| [\d.]+ ± [\d.]+ \|/);
    expect(fs.readFileSync(path.join(out, 'report.md'), 'utf8')).toBe(md + '\n');
    expect(JSON.parse(fs.readFileSync(path.join(out, 'report.json'), 'utf8')).runs.length).toBe(2);
  });

  it('shows five transcripts and frames of test utterances spoken by voices never heard in training', () => {
    expect(report.transcripts.length).toBe(5);
    expect(report.frames.length).toBe(5);
    for (const t of [...report.transcripts, ...report.frames]) {
      expect(DEFAULT_VOICES.test).toContain(t.voice);
      expect([...DEFAULT_VOICES.train, ...DEFAULT_VOICES.dev]).not.toContain(t.voice);
    }
    expect(report.frames[0]!.gold).toMatch(/^[A-Za-z]+\(.*\)$/);
  });

  it('saves loadable model folders with audio.json and the alphabet, intents and frame vocabulary in the manifest', async () => {
    for (const [sub, kinds] of [['mtl', ['ctc', 'multiclass', 'binary', 'generate']], ['stl/frame', ['generate']]] as const) {
      const dir = path.join(out, 'seed-0', sub, 'model');
      const audio = JSON.parse(fs.readFileSync(path.join(dir, 'audio.json'), 'utf8'));
      expect(audio).toMatchObject({ format: 'mtljs-audio', sampleRate: 16000, features: { nMels: 40, hopMs: 10, normalize: 'utterance' }, maxFrames: report.data.frames });
      const saved = await loadSavedModel(dir);
      expect(saved.tasks.map((t) => t.kind)).toEqual(kinds);
      expect(saved.manifest.inputShape).toEqual([report.data.frames, 40]);
      saved.model.dispose();
    }
    const alphabet = report.data.alphabet;
    expect(alphabet).toContain(' ');
    expect(alphabet).toBe([...alphabet].sort().join(''));
    expect(normalizeTranscript("Great phone, 5 STARS! It's ok.")).toBe("great phone 5 stars it's ok");
    expect(parseFrameTokens('PlayMusic ( artist = daft punk ; service = spotify )'.split(' '))).toEqual({ intent: 'PlayMusic', slots: [{ type: 'artist', value: 'daft punk' }, { type: 'service', value: 'spotify' }] });
    expect(parseFrameTokens('( ( = = ; = )'.split(' ')).slots).toEqual([]);
  });

  it('mtl predict --audio on a WAV spoken with a test voice equals the trained model\'s answer in process', async () => {
    const wav = path.join(tmp, 'utterance.wav');
    execFileSync('espeak-ng', ['-v', 'en-us-nyc+f5', '-s', '170', '-w', wav, 'play some jazz music on spotify']);
    const res = await runMtl(['predict', path.join(out, 'seed-0', 'mtl'), '--audio', wav, '--json']);
    expect(res.err).toBe('');
    expect(res.code).toBe(0);
    const p = JSON.parse(res.out);

    // In process: 22.05 kHz → 16 kHz, normalised log-mel, zero-padded to T, the trained model.
    const w = readWav(fs.readFileSync(wav));
    expect(w.sampleRate).toBe(22050);
    const f = logMel(resample(w.samples, w.sampleRate, 16000), { normalize: 'utterance' });
    const T = report.data.frames;
    const x = new Float32Array(T * 40);
    x.set(f.data.subarray(0, Math.min(f.frames, T) * 40));
    const outs = tf.tidy(() => {
      const { logits } = mtl.model.forward(tf.tensor3d(x, [1, T, 40]), false);
      return mtl.tasks.map((t, i) => t.predict(logits[i]!).dataSync() as Float32Array);
    });
    const [ctc, intent, sentiment, frame] = mtl.tasks;
    if (!isCtcTask(ctc!)) throw new Error('not ctc');
    expect(p.frames).toBe(Math.min(f.frames, T));
    expect(p.tasks.transcript).toEqual({ kind: 'transcript', text: ctc.text(ctc.decode(outs[0]!, 1)[0]!) });
    const probs = Array.from(outs[1]!), best = probs.indexOf(Math.max(...probs));
    expect(p.tasks.intent.label).toBe(intent!.spec.labelNames![best]);
    expect(p.tasks.intent.probability).toBeCloseTo(probs[best]!, 5);
    expect(p.tasks.sentiment.probability).toBeCloseTo(outs[2]![0]!, 5);
    expect(p.tasks.sentiment.label).toBe(outs[2]![0]! >= 0.5 ? 'positive' : 'negative');
    expect(p.tasks.frame.text).toBe(generatedText(decodeIds(outs[3]!, frame!.spec.labelNames!)));
    expect(Array.isArray(p.tasks.frame.frame.slots)).toBe(true);

    // Not a WAV: readWav's message, exit 2.
    const bad = path.join(tmp, 'bad.wav');
    fs.writeFileSync(bad, 'OggS and more bytes');
    const r2 = await runMtl(['predict', path.join(out, 'seed-0', 'mtl'), '--audio', bad]);
    expect(r2.code).toBe(2);
    expect(r2.err).toContain('an Ogg file (Vorbis/Opus), not RIFF/WAVE');
  });
});
