/**
 * `audio-hps`: hard parameter sharing for speech. Input: log-mel frames [T, M] (src/data/audio logMel:
 * 10 ms hop; utterances padded at the end with all-zero frames). One shared audio encoder
 * (src/models/audio/encoder.ts: strided Conv1D layers, ¼ of the frames by default, then the text models'
 * BiGRU or Transformer) gives per-frame features [B, T', D], exactly 0 at padded frames. Each task has its
 * own head on them (like text-hps, src/models/text-hps.ts):
 *   - transcripts (kind `ctc`): a dense per frame → logits [B, T', C + 1], 0 at padded frames
 *     (src/models/audio/ctc-head.ts); the architecture tells the task its T' (CtcTask.bindFrames);
 *   - generation tasks (kind `generate`, e.g. the semantic frame): the attention decoder of the text
 *     models over the per-frame features (src/models/text/decoder.ts generateHead; option `decoder`);
 *   - utterance-level tasks (intent, sentiment: every other kind but `sequence`): masked pooling over the
 *     real frames (`pool`: mean, default, or max), then dense layers → [B, units] (text-hps's textHead).
 * forward = decode(encode(x)) with the per-frame representation in between, so rep-grad methods work on
 * [B, T', D]; the heads find the padding in the representation itself (all-zero rows).
 *
 * Options: `conv` ({ channels: [64, 64], kernel: 3, strides: [2, 2] }), `encoder` ({ type: 'bigru', units }
 * (default, 64 per direction), { type: 'transformer', dim, layers, heads, ffn } or { type: 'none' }; an
 * mlp/cnn encoder — the config default — means the default BiGRU), `pool`, `decoder` (generate heads:
 * { dim, units, beam, lengthPenalty }, as text-hps); the config's `head`
 * ({ hidden, activation }) shapes every head. Saved models load in Node (loadSavedModel) and with tfjs
 * alone once the text layers are registered (no new layer class: src/models/audio/encoder.ts).
 */
import { z } from 'zod';
import { buildAudioEncoder, type AudioSequenceConfig } from './audio/encoder.js';
import { ctcHead } from './audio/ctc-head.js';
import { checkOptions, enumOption } from './blocks.js';
import { encoderWithHeads } from './encoder-heads.js';
import type { Activation } from './encoders.js';
import { textHead } from './text-hps.js';
import { decoderOptionsSchema, generateHead, type DecoderOptions } from './text/decoder.js';
import { isCtcTask } from '../tasks/ctc.js';
import type { ArchitectureContext, MultiTaskModel } from './types.js';

const ARCH = 'audio-hps';
const size = z.number().int().min(1);

export const audioHpsOptions = z.strictObject({
  conv: z.strictObject({ channels: z.array(size).min(1).max(6).optional(), kernel: size.optional(), strides: z.array(size).optional() }).optional(),
  encoder: z.discriminatedUnion('type', [
    z.strictObject({ type: z.literal('bigru'), units: size.optional() }),
    z.strictObject({ type: z.literal('transformer'), dim: size.optional(), layers: size.optional(), heads: size.optional(), ffn: size.optional() }),
    z.strictObject({ type: z.literal('none') }),
  ]).optional(),
  pool: z.enum(['mean', 'max']).optional(),
  /** The attention decoder of `generate` tasks (src/models/text/decoder.ts). */
  decoder: decoderOptionsSchema.optional(),
});

export type AudioHpsConfig = z.infer<typeof audioHpsOptions> & { head?: { hidden?: number[]; activation?: Activation } };

export function audioHardSharing(ctx: ArchitectureContext, config: Record<string, unknown>): MultiTaskModel {
  checkOptions(ARCH, config, audioHpsOptions);
  if (ctx.inputShape.length !== 2) throw new Error(`${ARCH}: the input must be log-mel frames of shape [frames, mels], got [${ctx.inputShape.join(', ')}]`);
  const [frames, mels] = ctx.inputShape as [number, number];
  const parsed = audioHpsOptions.safeParse(Object.fromEntries(Object.entries(config).filter(([k]) => k in audioHpsOptions.shape && !(k === 'encoder' && isBaseEncoder(config.encoder)))));
  if (!parsed.success) throw new Error(`${ARCH}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  const options = parsed.data;
  const pool = enumOption(ARCH, config, 'pool', ['mean', 'max'] as const, 'mean');
  const head = (config.head ?? {}) as { hidden?: number[]; activation?: Activation };
  const sequence = options.encoder as AudioSequenceConfig | undefined;

  const encoder = buildAudioEncoder({ frames, mels, seed: ctx.seed, prefix: 'audio' }, { conv: options.conv, sequence });
  const [, T1, dim] = encoder.outputs[0]!.shape as [null, number, number];
  const heads = ctx.tasks.map((t, i) => {
    const seed = ctx.seed + 7919 * (i + 1);
    const hidden = head.hidden ?? [], activation = head.activation ?? 'relu';
    if (t.kind === 'sequence') throw new Error(`${ARCH}: task "${t.name}" is a sequence (per-token tags) task; for transcripts use kind ctc`);
    if (t.kind === 'ctc') {
      if (!isCtcTask(t)) throw new Error(`${ARCH}: task "${t.name}" has kind ctc but is not a CTC task object`);
      t.bindFrames(T1);
      return ctcHead({ frames: T1, dim, units: t.spec.outputSize + 1, hidden, activation, seed, task: t.name });
    }
    if (t.kind === 'generate') return generateHead({ memoryShape: [T1, dim], task: t, seed, options: options.decoder as DecoderOptions | undefined });
    return textHead({ maxLength: T1, dim, perToken: false, pool, units: t.headUnits, hidden, activation, seed, task: t.name });
  });
  return encoderWithHeads(ARCH, ctx, encoder, heads);
}

/** The model config's own encoder (mlp / cnn, the config default) is not an audio encoder: the default is used. */
function isBaseEncoder(e: unknown): boolean {
  const type = (e as { type?: unknown } | undefined)?.type;
  return type === 'mlp' || type === 'cnn' || type === 'custom';
}
