/**
 * The browser's audio runtime: a saved audio model folder (model.json + weights.bin + manifest.json +
 * audio.json, as `mtl agent --speech` saves them) answering WAV files or recorded samples in a web page.
 * Like ./text-runtime.ts it is bundled WITH tfjs-core, tfjs-layers and the cpu backend (src/browser/
 * bundle.ts audioRuntimeBundle), so the audio encoder's custom layers (the text layers it reuses, the
 * attention decoder of the frame) are the very classes the model was saved from. Reading the audio,
 * the log-mel features and the answers are the code of `mtl predict --audio` (./audio-predict.ts), so the
 * page gives what the command line gives.
 *
 *   import { loadAudioModel } from './mtl/audio-runtime.js';
 *   const m = await loadAudioModel('/model/');
 *   const p = m.predictWav(new Uint8Array(await file.arrayBuffer()));
 *   // { seconds, sampleRate, channels, frames, cut, tasks: { transcript: { kind: 'transcript', text }, intent: {...}, ... } }
 *   const q = m.predictSamples(float32Samples, audioContext.sampleRate);   // e.g. from getUserMedia
 */
import { tf } from '../engine/tf.js';
import '../models/text/layers.js'; // registers the text layers (and the decoder) with this bundle's tfjs
import { AUDIO_STATE_FILE, parseAudioState, type AudioState } from '../data/audio/audio-state.js';
import type { Manifest } from '../models/manifest.js';
import { loadPageModel } from './page-model.js';
import { AudioPredictor, type AudioPrediction, type AudioTaskAnswer } from './audio-predict.js';

export type { AudioPrediction, AudioTaskAnswer, AudioState, Manifest };

export class AudioModel extends AudioPredictor {
  /** The backend the predictions run on. */
  get backend(): string {
    return tf.getBackend();
  }

  dispose(): void {
    this.model.dispose();
  }
}

/** Loads `<baseUrl>/manifest.json`, `audio.json` and `model.json` (+ weights) on the cpu backend. */
export async function loadAudioModel(baseUrl: string): Promise<AudioModel> {
  const { model, tasks, state } = await loadPageModel(baseUrl, AUDIO_STATE_FILE, parseAudioState, (manifest, audio) => {
    const want = `${audio.maxFrames},${audio.features.nMels}`;
    if (manifest.inputShape.join(',') !== want) throw new Error(`the model reads [${manifest.inputShape}] but ${AUDIO_STATE_FILE} says [${want}]`);
  });
  return new AudioModel(model, tasks, state);
}
