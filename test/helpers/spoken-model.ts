/**
 * An untrained audio-hps with the spoken agent's four task kinds (ctc transcript, multiclass intent,
 * binary sentiment, generated frame), saved as `mtl agent --speech` saves its models (model/ with
 * audio.json), for tests of the paths that read audio (mtl serve, the audio page): their answers only
 * have to agree with mtl predict --audio, not be right.
 */
import path from 'node:path';
import { generateVocabulary } from '../../src/data/generate-targets.js';
import { audioState } from '../../src/data/audio/audio-state.js';
import type { TaskSpec } from '../../src/data/types.js';
import { buildModel } from '../../src/models/registry.js';
import { saveAudioModel } from '../../src/run/speech-agent-train.js';
import { createTask } from '../../src/tasks/registry.js';

/** Saves the model in `<runDir>/model` reading T frames of 40 mel bins. */
export async function saveUntrainedSpokenModel(runDir: string, T: number, seed: number): Promise<void> {
  const alphabet = [' ', "'", ...'abcdefghijklmnopqrstuvwxyz'];
  const vocabulary = generateVocabulary(['PlayMusic', 'GetWeather', '(', ')', '=', ';', 'artist', 'city', 'jazz', 'paris']);
  const specs: TaskSpec[] = [
    { name: 'transcript', kind: 'ctc', width: 40, outputSize: alphabet.length, labelNames: alphabet },
    { name: 'intent', kind: 'multiclass', width: 1, outputSize: 2, labelNames: ['GetWeather', 'PlayMusic'] },
    { name: 'sentiment', kind: 'binary', width: 1, outputSize: 1, labelNames: ['negative', 'positive'] },
    { name: 'frame', kind: 'generate', width: 8, outputSize: vocabulary.length, labelNames: vocabulary },
  ];
  const tasks = specs.map((s) => createTask(s));
  const model = buildModel('audio-hps', { inputShape: [T, 40], tasks, seed }, { conv: { channels: [8, 8] }, encoder: { type: 'bigru', units: 8 }, decoder: { dim: 8, units: 16 } });
  try {
    await saveAudioModel(path.join(runDir, 'model'), model, tasks, [T, 40], audioState(T), 'spoken-agent');
  } finally {
    model.dispose();
  }
}
