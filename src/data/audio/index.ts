/**
 * Audio for speech tasks, browser-safe: 16-bit PCM WAV reading and writing (./wav.ts), sample-rate
 * conversion (./resample.ts) and log-mel filterbank features (./log-mel.ts, ./mel.ts, ./fft.ts).
 */
export { readWav, writeWav, floatToInt16, int16ToFloat, type WavAudio } from './wav.js';
export { resample, resampleSettings, type ResampleOptions } from './resample.js';
export { hzToMel, melToHz, melFilterbank, type MelFilter, type MelFilterbank } from './mel.js';
export { LogMel, logMel, logMelBatch, logMelConfig, frameCount, normalizePerBin, logMelOptionsSchema, type LogMelOptions, type LogMelConfig, type LogMelFeatures, type LogMelBatch, type AudioSamples } from './log-mel.js';
