/**
 * Predictions of an audio model on audio (16-bit PCM WAV bytes, or samples at any rate), shared by
 * `mtl predict --audio` and `mtl serve` (src/run/predict-audio.ts, Node) and the browser's audio runtime
 * (./audio-runtime.ts), so a page answers what the command line answers. The audio is mixed down to mono,
 * resampled to the model's rate (src/data/audio/resample.ts), turned into per-utterance normalised
 * log-mel frames with the model's audio.json and padded / cut to its T frames exactly as in training
 * (src/data/audio/audio-state.ts), and the model runs once. Each task's output becomes an answer by its kind:
 *   ctc        the greedy transcript (src/tasks/ctc-decode.ts)
 *   multiclass the class and its probability (and every class's probability)
 *   binary     the label and p(positive)
 *   generate   the generated tokens; for a task named `frame` also the frame string
 *              (`PlayMusic(artist=daft punk)`) and its slots parsed from it
 * Pure code (tfjs and the library's own modules, no Node APIs).
 */
import { readWav } from '../data/audio/wav.js';
import { resample } from '../data/audio/resample.js';
import { audioFeatures, writeAudioInput, type AudioState } from '../data/audio/audio-state.js';
import { decodeIds } from '../data/generate-targets.js';
import { generatedText } from '../data/frame-text.js';
import { tf } from '../engine/tf.js';
import type { MultiTaskModel } from '../models/types.js';
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

/** A model that reads audio (its AudioState) and answers; the model stays the caller's. */
export class AudioPredictor {
  constructor(readonly model: MultiTaskModel, readonly tasks: Task[], readonly state: AudioState) {}

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
    const { model, tasks } = this;
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
}
