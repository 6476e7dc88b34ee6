/**
 * Predictions of a saved audio model on a WAV file (`mtl predict <run> --audio file.wav`, and `mtl serve`
 * for a WAV body): the file is read (16-bit PCM only — any other format is readWav's DataError, which says
 * what the file is instead), mixed down to mono, resampled to the model's rate (src/data/audio/resample.ts),
 * turned into per-utterance normalised log-mel frames with the model folder's audio.json and padded / cut to
 * its T frames exactly as in training (src/data/loaders/spoken-agent.ts), and the model runs once. Each
 * task's output becomes an answer by its kind:
 *   ctc        the greedy transcript (src/tasks/ctc-decode.ts)
 *   multiclass the class and its probability (and every class's probability)
 *   binary     the label and p(positive)
 *   generate   the generated tokens; for a task named `frame` also the frame string
 *              (`PlayMusic(artist=daft punk)`) and its slots parsed from it
 * Needs only the model folder (model.json, weights.bin, manifest.json, audio.json).
 */
import fs from 'node:fs';
import path from 'node:path';
import { readWav } from '../data/audio/wav.js';
import { resample } from '../data/audio/resample.js';
import { AUDIO_STATE_FILE, audioFeatures, parseAudioState, writeAudioInput, type AudioState } from '../data/loaders/spoken-agent.js';
import { decodeIds } from '../data/generate-targets.js';
import { generatedText } from '../data/frame-text.js';
import { tf } from '../engine/tf.js';
import { loadSavedModel, type SavedModel } from '../models/saved.js';
import '../models/text/layers.js'; // registers the custom layers of text (and audio) models before loading one
import { isCtcTask } from '../tasks/ctc.js';
import type { Task } from '../tasks/types.js';

export type AudioTaskAnswer =
  | { kind: 'transcript'; text: string }
  | { kind: 'class'; label: string; probability: number; probabilities: Record<string, number> }
  | { kind: 'binary'; label: string; probability: number; positiveLabel: string }
  | { kind: 'generated'; tokens: string[]; text: string; frame?: { intent: string; slots: { type: string; value: string }[] } }
  | { kind: 'values'; values: number[] };

export interface AudioPrediction {
  /** Seconds of audio as read (before resampling), its sample rate and channels. */
  seconds: number;
  sampleRate: number;
  channels: number;
  /** Frames the model read, and whether the audio was longer than its T frames (then cut). */
  frames: number;
  cut: boolean;
  tasks: Record<string, AudioTaskAnswer>;
}

/** A model folder (model.json + audio.json) or a run folder holding one in model/. */
export function resolveAudioModelDir(dir: string): string {
  for (const d of [dir, path.join(dir, 'model')]) {
    if (fs.existsSync(path.join(d, 'model.json')) && fs.existsSync(path.join(d, AUDIO_STATE_FILE))) return d;
  }
  const inside = fs.existsSync(dir) && fs.statSync(dir).isDirectory()
    ? fs.readdirSync(dir).filter((f) => fs.existsSync(path.join(dir, f, 'model', AUDIO_STATE_FILE))) : [];
  const hint = inside.length ? `; it holds audio runs in: ${inside.join(', ')}` : '';
  throw new Error(`${dir} is not an audio model folder (model.json + ${AUDIO_STATE_FILE}) nor a run folder with one in model/${hint}`);
}

export function readAudioState(modelDir: string): AudioState {
  const file = path.join(modelDir, AUDIO_STATE_FILE);
  let json: unknown;
  try {
    json = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new Error(`${file}: not valid JSON (${(e as Error).message})`);
  }
  return parseAudioState(json, file);
}

const PUNCTUATION = new Set(['(', ')', '=', ';']);

/** Frame tokens `Intent ( type = w w ; type = w )` → the intent and its slots (malformed slots are skipped). */
export function parseFrameTokens(tokens: readonly string[]): { intent: string; slots: { type: string; value: string }[] } {
  const intent = tokens[0] ?? '';
  const slots: { type: string; value: string }[] = [];
  const inner = tokens.slice(tokens[1] === '(' ? 2 : 1);
  const end = inner.indexOf(')');
  const body = end >= 0 ? inner.slice(0, end) : inner;
  let group: string[] = [];
  for (const t of [...body, ';']) {
    if (t !== ';') { group.push(t); continue; }
    const eq = group.indexOf('=');
    // A well-formed slot: `type = words` with one type token and no punctuation in it (a half-learned decoder's output may not be).
    if (eq === 1 && !PUNCTUATION.has(group[0]!) && group.slice(2).every((w) => !PUNCTUATION.has(w))) slots.push({ type: group[0]!, value: group.slice(2).join(' ') });
    group = [];
  }
  return { intent, slots };
}

/** The answer of each task for row i of the tasks' predictions (task.predict outputs, n rows). */
export function audioAnswers(tasks: Task[], outputs: Record<string, Float32Array>, i: number): Record<string, AudioTaskAnswer> {
  const out: Record<string, AudioTaskAnswer> = {};
  for (const t of tasks) {
    const u = t.headUnits;
    const row = outputs[t.name]!.subarray(i * u, (i + 1) * u);
    const names = t.spec.labelNames;
    if (isCtcTask(t)) out[t.name] = { kind: 'transcript', text: t.text(t.decode(row, 1)[0]!) };
    else if (t.kind === 'multiclass') {
      let best = 0;
      for (let k = 1; k < row.length; k++) if (row[k]! > row[best]!) best = k;
      const label = (k: number) => names?.[k] ?? String(k);
      out[t.name] = { kind: 'class', label: label(best), probability: row[best]!, probabilities: Object.fromEntries(Array.from(row, (p, k) => [label(k), p])) };
    } else if (t.kind === 'binary') {
      const p = row[0]!;
      const [neg, pos] = names ?? ['0', '1'];
      out[t.name] = { kind: 'binary', label: p >= 0.5 ? pos! : neg!, probability: p, positiveLabel: pos! };
    } else if (t.kind === 'generate') {
      const tokens = decodeIds(row, names ?? []);
      out[t.name] = t.name === 'frame' ? { kind: 'generated', tokens, text: generatedText(tokens), frame: parseFrameTokens(tokens) } : { kind: 'generated', tokens, text: tokens.join(' ') };
    } else out[t.name] = { kind: 'values', values: Array.from(row) };
  }
  return out;
}

/** A loaded audio model: reads WAV bytes (or 16 kHz samples) and answers. Dispose when done. */
export class AudioModel {
  private constructor(readonly saved: SavedModel, readonly state: AudioState, readonly modelDir: string) {}

  /** Over a model already loaded (the server's); checks that it reads audio.json's [T, nMels]. */
  static fromSaved(saved: SavedModel, state: AudioState, modelDir: string): AudioModel {
    const want = `${state.maxFrames},${state.features.nMels}`;
    if (saved.manifest.inputShape.join(',') !== want) throw new Error(`${modelDir}: the model reads [${saved.manifest.inputShape}] but ${AUDIO_STATE_FILE} says [${want}]`);
    return new AudioModel(saved, state, modelDir);
  }

  static async load(dir: string): Promise<AudioModel> {
    const modelDir = resolveAudioModelDir(dir);
    const state = readAudioState(modelDir);
    const saved = await loadSavedModel(modelDir);
    try {
      return AudioModel.fromSaved(saved, state, modelDir);
    } catch (e) {
      saved.model.dispose();
      throw e;
    }
  }

  get tasks(): Task[] {
    return this.saved.tasks;
  }

  /** Model input [1, T, nMels] of mono samples at the model's rate. */
  input(samples: Float32Array | Int16Array): { x: Float32Array; frames: number; cut: boolean } {
    const { maxFrames, features } = this.state;
    const x = new Float32Array(maxFrames * features.nMels);
    const { frames, cut } = writeAudioInput(audioFeatures(this.state), samples, maxFrames, x, 0);
    if (frames === 0) throw new Error(`the audio is shorter than one ${features.windowMs} ms analysis window`);
    return { x, frames, cut };
  }

  /** Task outputs (task.predict) for model inputs x of n rows. */
  outputs(x: Float32Array, n: number): Record<string, Float32Array> {
    const { model, tasks } = this.saved;
    const outs = tf.tidy(() => {
      const { logits } = model.forward(tf.tensor3d(x, [n, this.state.maxFrames, this.state.features.nMels]), false);
      return tasks.map((t, i) => t.predict(logits[i]!));
    });
    return Object.fromEntries(outs.map((o, i) => {
      const v = o.dataSync() as Float32Array;
      o.dispose();
      return [tasks[i]!.name, v];
    }));
  }

  /** The answers for mono samples at `sampleRate` (resampled to the model's rate). */
  predictSamples(samples: Float32Array | Int16Array, sampleRate: number, channels = 1): AudioPrediction {
    const seconds = samples.length / sampleRate;
    const at = sampleRate === this.state.sampleRate ? samples : resample(samples instanceof Int16Array ? Float32Array.from(samples, (v) => v / 32768) : samples, sampleRate, this.state.sampleRate);
    const { x, frames, cut } = this.input(at);
    return { seconds, sampleRate, channels, frames, cut, tasks: audioAnswers(this.tasks, this.outputs(x, 1), 0) };
  }

  /** The answers for a WAV file's bytes (a DataError naming `name` for anything but 16-bit PCM). */
  predictWav(bytes: Uint8Array, name = 'wav'): AudioPrediction {
    const wav = readWav(bytes, name);
    return this.predictSamples(wav.samples, wav.sampleRate, wav.channels);
  }

  dispose(): void {
    this.saved.model.dispose();
  }
}

/** `mtl predict --audio`: the answers of the model in `dir` for a WAV file. */
export async function predictAudioFile(dir: string, file: string): Promise<AudioPrediction> {
  const bytes = fs.readFileSync(file);
  const model = await AudioModel.load(dir);
  try {
    return model.predictWav(bytes, file);
  } finally {
    model.dispose();
  }
}

/** Human-readable lines of one prediction. */
export function formatAudioPrediction(p: AudioPrediction, file?: string): string {
  const lines = [`${file ? `${file}: ` : ''}${p.seconds.toFixed(2)} s at ${p.sampleRate} Hz${p.channels > 1 ? ` (${p.channels} channels mixed down)` : ''}; ${p.frames} frames${p.cut ? ' (cut: longer than the model reads)' : ''}`];
  for (const [name, a] of Object.entries(p.tasks)) {
    if (a.kind === 'transcript') lines.push(`${name}: "${a.text}"`);
    else if (a.kind === 'class') lines.push(`${name}: ${a.label} (p = ${a.probability.toFixed(3)})`);
    else if (a.kind === 'binary') lines.push(`${name}: ${a.label} (p(${a.positiveLabel}) = ${a.probability.toFixed(3)})`);
    else if (a.kind === 'generated') {
      lines.push(`${name}: ${a.text}`);
      if (a.frame) {
        lines.push(`slots:${a.frame.slots.length ? '' : ' (none)'}`);
        for (const s of a.frame.slots) lines.push(`  ${s.type} = "${s.value}"`);
      }
    } else lines.push(`${name}: ${a.values.map((x) => x.toFixed(4)).join(', ')}`);
  }
  return lines.join('\n');
}
