/**
 * How a saved model reads audio — the AudioState, saved as audio.json beside model.json (as text models
 * save text.json) — and the model input of one utterance from it: per-utterance normalised log-mel frames
 * [T, nMels], padded at the end with all-zero frames to T or cut to its first T frames (the module comment
 * of src/data/loaders/spoken-agent.ts says why). Pure code, no Node APIs: `mtl predict --audio`, `mtl serve`
 * and the browser's audio runtime (src/browser/audio-runtime.ts) all read audio through it.
 */
import { LogMel, type LogMelOptions } from './log-mel.js';

export const AUDIO_STATE_FILE = 'audio.json';
export const DEFAULT_MAX_FRAMES = 500;

/** How a model reads audio: saved as audio.json beside model.json. */
export interface AudioState {
  format: 'mtljs-audio';
  version: 1;
  /** Sample rate the features are computed at; other rates are resampled to it. */
  sampleRate: number;
  /** The log-mel settings (src/data/audio/log-mel.ts), normalize 'utterance'. */
  features: Required<Pick<LogMelOptions, 'sampleRate' | 'windowMs' | 'hopMs' | 'nMels' | 'normalize'>>;
  /** Frames the model reads (T): shorter utterances are padded with zero frames, longer ones cut. */
  maxFrames: number;
  /** How transcripts were normalised (see the module comment). */
  transcript: 'lowercase; letters, digits, apostrophe; other characters as spaces';
}

export function audioState(maxFrames: number, features: { nMels?: number; windowMs?: number; hopMs?: number } = {}): AudioState {
  return {
    format: 'mtljs-audio', version: 1, sampleRate: 16000,
    features: { sampleRate: 16000, windowMs: features.windowMs ?? 25, hopMs: features.hopMs ?? 10, nMels: features.nMels ?? 40, normalize: 'utterance' },
    maxFrames, transcript: 'lowercase; letters, digits, apostrophe; other characters as spaces',
  };
}

/** Checks a parsed audio.json; `where` labels errors. */
export function parseAudioState(json: unknown, where: string): AudioState {
  const s = json as Partial<AudioState> | null;
  const fail = (why: string): never => {
    throw new Error(`${where}: ${why}`);
  };
  if (!s || typeof s !== 'object' || s.format !== 'mtljs-audio') fail('not an mtljs audio.json (format "mtljs-audio")');
  if (s!.version !== 1) fail(`unknown version ${JSON.stringify(s!.version)}`);
  const f = s!.features;
  if (!f || typeof f !== 'object') fail('no features');
  for (const k of ['sampleRate', 'windowMs', 'hopMs', 'nMels'] as const) if (typeof f![k] !== 'number' || !(f![k] > 0)) fail(`features.${k} must be a positive number`);
  if (f!.normalize !== 'utterance' && f!.normalize !== 'none') fail('features.normalize must be utterance or none');
  if (!Number.isInteger(s!.maxFrames) || s!.maxFrames! < 1) fail('maxFrames must be a positive integer');
  if (s!.sampleRate !== f!.sampleRate) fail('sampleRate and features.sampleRate differ');
  return s as AudioState;
}

/**
 * Writes the features of one utterance (samples at the state's rate) into `out` at `offset` (maxFrames ×
 * nMels values, zero-filled beyond the utterance): the real frames and whether the utterance was cut.
 */
export function writeAudioInput(mel: LogMel, samples: Int16Array | Float32Array, maxFrames: number, out: Float32Array, offset: number): { frames: number; cut: boolean } {
  const f = mel.compute(samples);
  const frames = Math.min(f.frames, maxFrames);
  out.set(f.data.subarray(0, frames * f.nMels), offset);
  return { frames, cut: f.frames > maxFrames };
}

/** The log-mel extractor of an AudioState. */
export function audioFeatures(state: AudioState): LogMel {
  return new LogMel(state.features);
}
