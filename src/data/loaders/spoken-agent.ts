/**
 * The spoken agent's dataset (issue 22, part 4): SNIPS utterances and UCI review sentences spoken by
 * eSpeak NG (src/data/node/speech-corpus.ts) as one multi-input dataset of log-mel frames, with four tasks
 *   transcript  ctc        the lower-cased text as characters (every row)
 *   intent      multiclass the SNIPS intent (SNIPS rows; NaN on review rows)
 *   sentiment   binary     negative / positive (review rows; NaN on SNIPS rows)
 *   frame       generate   the SNIPS frame `PlayMusic ( artist = daft punk )` (./snips-frame.ts; SNIPS rows)
 * so one model learns L = λ₁L_asr + λ₂L_intent + λ₃L_sentiment + λ₄L_frame, the founding example of MTL
 * for an agent, and each task alone trains on exactly its own rows (src/run/text.ts rowsFor).
 *
 * Input: per-utterance normalised log-mel frames [T, 40] (src/data/audio/log-mel.ts: 25 ms window, 10 ms
 * hop, 40 HTK mel bins, each bin to mean 0 / std 1 over the utterance — cepstral mean and variance
 * normalisation, so speakers' loudness and channel differences do not matter), padded at the end with
 * all-zero frames (the audio encoder's padding convention, src/models/audio/encoder.ts) to T = the longest
 * training utterance, at most `maxFrames` (default 500 = 5 s). Too-long utterances: a training utterance
 * longer than T is left out (cut audio would lose the end of its transcript, which CTC would then learn to
 * hallucinate); a dev or test utterance (and one sent to `mtl predict --audio` / `mtl serve`) is cut to its
 * first T frames — normalised over the whole utterance first — and scored against its whole transcript, so
 * a cut costs errors instead of vanishing from the evaluation. The counts are returned.
 *
 * Transcripts: lower-cased; characters other than letters, digits and the apostrophe become spaces; runs of
 * spaces collapse (`Great phone, 5 stars!` → `great phone 5 stars`): punctuation is not spoken. The alphabet
 * is the characters of the training transcripts (sorted); a dev/test character outside it is dropped.
 *
 * What a saved model needs to read audio again — the feature settings, T, the transcript normalisation —
 * is the AudioState, saved as audio.json beside model.json (as text models save text.json); the alphabet,
 * the intents and the frame vocabulary are the tasks' labelNames in manifest.json. Pure code (no Node
 * APIs): the loading of the corpora is the caller's (src/run/speech-agent.ts).
 */
import type { Dataset, TaskSpec } from '../types.js';
import { audioFeatures, audioState, DEFAULT_MAX_FRAMES, writeAudioInput, type AudioState } from '../audio/audio-state.js';
import type { SpokenUtterance } from '../speech/plan.js';
import { encodeTargets, generateVocabulary } from '../generate-targets.js';
import { frameTokens, snipsFrame } from './snips-frame.js';

export { AUDIO_STATE_FILE, DEFAULT_MAX_FRAMES, audioState, parseAudioState, writeAudioInput, audioFeatures, type AudioState } from '../audio/audio-state.js';
export const SENTIMENT_LABELS = ['negative', 'positive'];

/** `Great phone, 5 stars!` → `great phone 5 stars`. */
export function normalizeTranscript(text: string): string {
  return text.toLowerCase().replace(/[^\p{L}\p{N}']+/gu, ' ').trim();
}

export interface SpokenAgentData {
  train: Dataset;
  dev: Dataset;
  test: Dataset;
  audio: AudioState;
  /** Per split, the utterances kept, in dataset row order (for examples: voice, text, gold frame). */
  utterances: { train: SpokenUtterance[]; dev: SpokenUtterance[]; test: SpokenUtterance[] };
  /** Training utterances left out as longer than T; dev and test utterances cut to T. */
  dropped: { train: number };
  cut: { dev: number; test: number };
}

export interface SpokenAgentInput {
  snips: { train: SpokenUtterance[]; dev: SpokenUtterance[]; test: SpokenUtterance[] };
  sentiment: { train: SpokenUtterance[]; dev: SpokenUtterance[]; test: SpokenUtterance[] };
  /** The most frames T (default 500); T = min(this, the longest training utterance). */
  maxFrames?: number;
}

const isSnips = (u: SpokenUtterance) => u.intent !== undefined;

/** The four-task dataset of spoken SNIPS + spoken reviews (see the module comment). */
export function spokenAgentData(input: SpokenAgentInput): SpokenAgentData {
  const cap = input.maxFrames ?? DEFAULT_MAX_FRAMES;
  if (!Number.isInteger(cap) || cap < 8) throw new Error(`spoken agent: maxFrames must be an integer ≥ 8, got ${cap}`);
  const probe = audioFeatures(audioState(cap));
  const framesOf = (u: SpokenUtterance) => probe.frameCount(u.samples.length);
  const all = { train: [...input.snips.train, ...input.sentiment.train], dev: [...input.snips.dev, ...input.sentiment.dev], test: [...input.snips.test, ...input.sentiment.test] };
  if (!all.train.length) throw new Error('spoken agent: no training utterances');
  const longest = all.train.reduce((m, u) => Math.max(m, framesOf(u)), 0);
  const T = Math.max(8, Math.min(cap, longest));
  const state = audioState(T);
  const keep = { train: all.train.filter((u) => framesOf(u) <= T), dev: all.dev, test: all.test };
  const dropped = { train: all.train.length - keep.train.length };
  if (!keep.train.some(isSnips)) throw new Error('spoken agent: no SNIPS training utterance is short enough');

  const texts = (us: SpokenUtterance[]) => us.map((u) => normalizeTranscript(u.text));
  const trainTexts = texts(keep.train);
  const alphabet = [...new Set(trainTexts.join(''))].sort();
  const intents = [...new Set(keep.train.filter(isSnips).map((u) => u.intent!))].sort();
  const frameOf = (u: SpokenUtterance) => frameTokens(snipsFrame(u.intent!, u.tokens, u.tags!));
  const trainFrames = keep.train.filter(isSnips).map(frameOf);
  const vocabulary = generateVocabulary(trainFrames.flat());
  const Uf = trainFrames.reduce((m, t) => Math.max(m, t.length), 0) + 1;
  const Uc = Math.max(1, ...[keep.train, keep.dev, keep.test].flatMap((us) => texts(us).map((t) => t.length)));
  const specs: TaskSpec[] = [
    { name: 'transcript', kind: 'ctc', width: Uc, outputSize: alphabet.length, labelNames: alphabet },
    { name: 'intent', kind: 'multiclass', width: 1, outputSize: intents.length, labelNames: intents },
    { name: 'sentiment', kind: 'binary', width: 1, outputSize: 1, labelNames: [...SENTIMENT_LABELS] },
    { name: 'frame', kind: 'generate', width: Uf, outputSize: vocabulary.length, labelNames: vocabulary },
  ];
  const charId = new Map(alphabet.map((c, i) => [c, i]));
  const intentId = new Map(intents.map((c, i) => [c, i]));
  const mel = audioFeatures(state);
  const D = T * state.features.nMels;
  let cut = 0;
  const build = (name: string, us: SpokenUtterance[]): Dataset => {
    const n = us.length;
    const x = new Float32Array(n * D);
    const transcript = new Float32Array(n * Uc).fill(NaN), intent = new Float32Array(n).fill(NaN), sentiment = new Float32Array(n).fill(NaN);
    const frame = new Float32Array(n * Uf).fill(NaN);
    us.forEach((u, i) => {
      if (writeAudioInput(mel, u.samples, T, x, i * D).cut) cut++;
      const ids = [...normalizeTranscript(u.text)].flatMap((c) => (charId.has(c) ? [charId.get(c)!] : []));
      ids.forEach((c, j) => (transcript[i * Uc + j] = c));
      if (isSnips(u)) {
        intent[i] = intentId.get(u.intent!) ?? NaN;
        frame.set(encodeTargets([frameOf(u)], vocabulary, Uf).labels, i * Uf);
      } else if (u.sentiment !== undefined) sentiment[i] = u.sentiment;
    });
    return { name, inputShape: [T, state.features.nMels], n, x, tasks: specs.map((s) => ({ ...s })), labels: { transcript, intent, sentiment, frame } };
  };
  const train = build('spoken-agent/train', keep.train);
  cut = 0;
  const dev = build('spoken-agent/dev', keep.dev);
  const cutDev = cut;
  cut = 0;
  const test = build('spoken-agent/test', keep.test);
  return { train, dev, test, audio: state, utterances: keep, dropped, cut: { dev: cutDev, test: cut } };
}
