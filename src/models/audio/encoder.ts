/**
 * The shared audio encoder: log-mel frames [T, M] (src/data/audio: 10 ms hop) → per-frame features
 * [T', D], exactly 0 at padded frames, as one tfjs LayersModel.
 *
 *   strided 1-D convolutions over time (default 2 layers, 64 channels, kernel 3, stride 2 each, ReLU,
 *   'same' padding: T' = ⌈T / 2⌉ then ⌈T' / 2⌉, i.e. ¼ of the frames: 40 ms per output frame, as in
 *   Deep Speech 2 (Amodei et al. 2016, §3.5 — strided convolutions before the recurrent layers shorten the
 *   sequence the expensive layers and the CTC loss run on),
 *   then the text models' sequence layers (src/models/text/): a bidirectional GRU (`MtlBiGru`, default) or a
 *   pre-LayerNorm Transformer (a per-frame projection to `dim`, learned positions, `MtlMaskedSelfAttention`
 *   blocks), or none (the convolutions alone).
 *
 * Padding. Utterances of different lengths are padded at the end with all-zero frames (src/data/audio's
 * logMelBatch pads so; a real log-mel frame is never exactly all zero — a log of energies — except, with
 * per-utterance normalisation, in an utterance whose every frame is the same, e.g. digital silence, which
 * then reads as all padding). The encoder finds them in
 * its input — frame energy e_t = mean_m x_tm², zero exactly at padding — and carries that mask down the
 * strides by max pooling with the conv's stride ('same' padding, so the mask has the conv output's length
 * T': output frame j is real when one of the input frames j·s … j·s + s − 1 is). The mask [B, T'] then plays the
 * role the token ids play in the text encoder: the BiGRU carries its state over padded steps (the
 * backward direction starts at the last real frame), attention never looks at padded frames, and the
 * output is multiplied by it (`MtlTokenMask`), so padded frames come out exactly 0 — the convention
 * MaskedPooling (sentence-level heads) and the CTC head (src/models/audio/ctc-head.ts) rely on. (With
 * `{ type: 'none' }` the features are the last conv's ReLU outputs, and a real frame whose channels are all
 * 0 would read as padding to the heads; the BiGRU and Transformer outputs have no such zeros in practice.)
 *
 * Only standard tfjs-layers layers (Multiply, Permute, GlobalAveragePooling1D, Reshape, Conv1D,
 * MaxPooling1D, Dense, Add) and the text layers registered by src/models/text/layers.ts are used, so a saved
 * audio model loads wherever a text model does (Node, and the browser bundle of src/browser/text-runtime.ts),
 * with no new layer class. A real frame's features may depend on the padding length only through the
 * convolutions' 'same' padding, which depends on T alone (fixed by the model's input shape).
 */
import { tfl } from '../../engine/tf.js';
import { seededInit, uniqueName } from '../encoders.js';
import { BiGru } from '../text/bigru.js';
import { LayerNorm, MaskedSelfAttention, PositionEmbedding, TokenDense, TokenMask } from '../text/layers.js';

type Sym = tfl.SymbolicTensor;

export interface AudioConvConfig {
  /** Channels of each conv layer (default [64, 64]). */
  channels?: number[];
  /** Kernel size over time (default 3). */
  kernel?: number;
  /** Stride of each conv layer (default 2 for each). */
  strides?: number[];
}

export type AudioSequenceConfig =
  | { type: 'bigru'; units?: number }
  | { type: 'transformer'; dim?: number; layers?: number; heads?: number; ffn?: number }
  | { type: 'none' };

export interface AudioEncoderConfig {
  conv?: AudioConvConfig;
  /** The sequence layers after the convolutions (default { type: 'bigru', units: 64 }). */
  sequence?: AudioSequenceConfig;
}

export interface AudioEncoderContext {
  /** Input frames T (the padded length) and mel bins M. */
  frames: number;
  mels: number;
  seed: number;
  prefix?: string;
}

function apply(layer: tfl.layers.Layer, x: Sym | Sym[]): Sym {
  return layer.apply(x) as Sym;
}

/** The output frames of `frames` input frames through convolutions with these strides ('same' padding). */
export function outputFrames(frames: number, strides: readonly number[]): number {
  return strides.reduce((t, s) => Math.ceil(t / s), frames);
}

/**
 * x [B, T, D] → frame energy [B, T] = mean_d x_td², 0 exactly where the frame is all zero (padding), from
 * standard layers only (x·x, then an average over the feature axis).
 */
export function frameEnergy(x: Sym, prefix: string): Sym {
  const sq = apply(tfl.layers.multiply({ name: uniqueName(`${prefix}_square`) }), [x, x]);
  const byFeature = apply(tfl.layers.permute({ dims: [2, 1], name: uniqueName(`${prefix}_transpose`) }), sq);
  return apply(tfl.layers.globalAveragePooling1d({ name: uniqueName(`${prefix}_energy`) }), byFeature);
}

const positive = (v: unknown) => typeof v === 'number' && Number.isInteger(v) && v >= 1;

/** The encoder's settings with defaults filled in, checked. */
export function audioEncoderDefaults(config: AudioEncoderConfig = {}): { channels: number[]; kernel: number; strides: number[]; sequence: AudioSequenceConfig } {
  const channels = config.conv?.channels ?? [64, 64];
  const kernel = config.conv?.kernel ?? 3;
  const strides = config.conv?.strides ?? channels.map(() => 2);
  if (!channels.length || !channels.every(positive)) throw new Error(`audio encoder: conv.channels must be positive integers (one per conv layer), got ${JSON.stringify(channels)}`);
  if (!positive(kernel)) throw new Error(`audio encoder: conv.kernel must be a positive integer, got ${JSON.stringify(kernel)}`);
  if (strides.length !== channels.length || !strides.every(positive)) {
    throw new Error(`audio encoder: conv.strides must be ${channels.length} positive integers (one per conv layer), got ${JSON.stringify(strides)}`);
  }
  const seq = config.sequence ?? { type: 'bigru' };
  let sequence: AudioSequenceConfig;
  if (seq.type === 'bigru') sequence = { type: 'bigru', units: seq.units ?? 64 };
  else if (seq.type === 'transformer') {
    const dim = seq.dim ?? 64;
    sequence = { type: 'transformer', dim, layers: seq.layers ?? 2, heads: seq.heads ?? 4, ffn: seq.ffn ?? 2 * dim };
  } else if (seq.type === 'none') sequence = { type: 'none' };
  else throw new Error(`audio encoder: sequence type must be bigru, transformer or none, got ${JSON.stringify((seq as { type?: unknown }).type)}`);
  for (const [k, v] of Object.entries(sequence)) if (k !== 'type' && !positive(v)) throw new Error(`audio encoder: ${k} must be a positive integer, got ${JSON.stringify(v)}`);
  return { channels, kernel, strides, sequence };
}

/** log-mel frames [T, M] → per-frame features [T', D] (0 at padded frames), as a LayersModel. */
export function buildAudioEncoder(ctx: AudioEncoderContext, config: AudioEncoderConfig = {}): tfl.LayersModel {
  const c = audioEncoderDefaults(config);
  const prefix = ctx.prefix ?? 'audio';
  if (!positive(ctx.frames) || !positive(ctx.mels)) throw new Error(`audio encoder: the input must be [frames, mels] with both ≥ 1, got [${ctx.frames}, ${ctx.mels}]`);
  let seed = ctx.seed * 1000 + 1;
  const input = tfl.input({ shape: [ctx.frames, ctx.mels], name: uniqueName(`${prefix}_frames`) });
  // The frame mask [B, T, 1] (energy > 0), downsampled with each conv's stride.
  let mask = apply(tfl.layers.reshape({ targetShape: [ctx.frames, 1], name: uniqueName(`${prefix}_mask`) }), frameEnergy(input, prefix));
  let h: Sym = input;
  c.channels.forEach((filters, i) => {
    const strides = c.strides[i]!;
    h = apply(tfl.layers.conv1d({
      filters, kernelSize: c.kernel, strides, padding: 'same', activation: 'relu',
      kernelInitializer: seededInit(seed++), name: uniqueName(`${prefix}_conv`),
    }), h);
    if (strides > 1) mask = apply(tfl.layers.maxPooling1d({ poolSize: strides, strides, padding: 'same', name: uniqueName(`${prefix}_mask_pool`) }), mask);
  });
  const T1 = outputFrames(ctx.frames, c.strides);
  const frameMask = apply(tfl.layers.reshape({ targetShape: [T1], name: uniqueName(`${prefix}_frame_mask`) }), mask);
  // Padded frames to 0 before the sequence layers (the convolutions' bias and 'same' borders make them non-zero).
  h = apply(new TokenMask({ name: uniqueName(`${prefix}_conv_mask`) }), [h, frameMask]);
  const s = c.sequence;
  if (s.type === 'bigru') {
    h = apply(new BiGru({ units: s.units!, seed, name: uniqueName(`${prefix}_bigru`) }), [h, frameMask]);
    seed += 4;
  } else if (s.type === 'transformer') {
    const dim = s.dim!;
    h = apply(new TokenDense({ units: dim, seed: seed++, name: uniqueName(`${prefix}_projection`) }), h);
    h = apply(new PositionEmbedding({ maxLength: T1, dim, seed: seed++, name: uniqueName(`${prefix}_positions`) }), h);
    for (let i = 0; i < s.layers!; i++) {
      const a = apply(new LayerNorm({ name: uniqueName(`${prefix}_ln`) }), h);
      const att = apply(new MaskedSelfAttention({ dim, heads: s.heads!, seed: (seed += 4), name: uniqueName(`${prefix}_attention`) }), [a, frameMask]);
      h = apply(tfl.layers.add({ name: uniqueName(`${prefix}_residual`) }), [h, att]);
      const f = apply(new LayerNorm({ name: uniqueName(`${prefix}_ln`) }), h);
      const f1 = apply(new TokenDense({ units: s.ffn!, activation: 'relu', seed: seed++, name: uniqueName(`${prefix}_ffn`) }), f);
      const f2 = apply(new TokenDense({ units: dim, seed: seed++, name: uniqueName(`${prefix}_ffn`) }), f1);
      h = apply(tfl.layers.add({ name: uniqueName(`${prefix}_residual`) }), [h, f2]);
    }
    h = apply(new LayerNorm({ name: uniqueName(`${prefix}_ln`) }), h);
  }
  if (s.type !== 'none') h = apply(new TokenMask({ name: uniqueName(`${prefix}_frame_mask_out`) }), [h, frameMask]);
  return tfl.model({ inputs: input, outputs: h, name: uniqueName(`${prefix}_encoder`) });
}
