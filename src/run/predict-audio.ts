/**
 * Predictions of a saved audio model on a WAV file (`mtl predict <run> --audio file.wav`, and `mtl serve`
 * for a WAV body): the model folder (model.json, weights.bin, manifest.json, audio.json) is found and
 * loaded here; reading the audio and answering is src/browser/audio-predict.ts (shared with the browser's
 * audio runtime): 16-bit PCM only — any other format is readWav's DataError, which says what the file is.
 */
import fs from 'node:fs';
import path from 'node:path';
import { AUDIO_STATE_FILE, parseAudioState, type AudioState } from '../data/audio/audio-state.js';
import { AudioPredictor, type AudioPrediction } from '../browser/audio-predict.js';
import { loadSavedModel, type SavedModel } from '../models/saved.js';
import '../models/text/layers.js'; // registers the custom layers of text (and audio) models before loading one

export { AudioPredictor, audioAnswers, parseFrameTokens, type AudioPrediction, type AudioTaskAnswer } from '../browser/audio-predict.js';

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

/** A loaded audio model: reads WAV bytes (or samples) and answers (src/browser/audio-predict.ts). Dispose when done. */
export class AudioModel extends AudioPredictor {
  private constructor(readonly saved: SavedModel, state: AudioState, readonly modelDir: string) {
    super(saved.model, saved.tasks, state);
  }

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
