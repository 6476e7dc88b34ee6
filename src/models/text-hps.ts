/**
 * `text-hps`: hard parameter sharing for text. Input: token ids [L] (floats, 0 = `<pad>`). One shared
 * sequence encoder (src/models/text/encoder.ts: embedding + bidirectional GRU, default, or a Transformer)
 * gives per-token features [B, L, D], exactly 0 at padding. Each task has its own head on them:
 *   - token-level tasks (kind `sequence`): a dense per token (optional hidden layers, then K logits) →
 *     [B, L, K];
 *   - generation tasks (kind `generate`): an attention decoder over the per-token features
 *     (src/models/text/decoder.ts; option `decoder: { dim, units, beam, lengthPenalty }`) → ids [B, U];
 *   - sentence-level tasks (every other kind): masked pooling over the non-padding tokens (`pool`: mean,
 *     default, or max), then dense layers → [B, units].
 * forward = decode(encode(x)) with the per-token representation in between, so rep-grad methods
 * (aggregator mode `rep`) differentiate each task w.r.t. the [B, L, D] features; the pooling heads find
 * the padding in the representation itself (all-zero rows), so decode needs nothing but it.
 *
 * Options: `vocabSize` (required: ids must be < vocabSize; the text loaders report it as
 * `split.text.vocabulary.length`), `encoder` ({ type: 'bigru', dim, units } or
 * { type: 'transformer', dim, layers, heads, ffn }; an mlp/cnn encoder — the config default — means the
 * default BiGRU), `pool`, `head: { hidden, activation }`.
 */
import { z } from 'zod';
import { tfl } from '../engine/tf.js';
import { buildTextEncoder, type TextEncoderConfig } from './text/encoder.js';
import { decoderOptionsSchema, generateHead, type DecoderOptions } from './text/decoder.js';
import { MaskedPooling, type PoolingMode } from './text/layers.js';
import { checkOptions, enumOption, safeName } from './blocks.js';
import { encoderWithHeads } from './encoder-heads.js';
import { seededInit, uniqueName, type Activation } from './encoders.js';
import type { ArchitectureContext, MultiTaskModel } from './types.js';

export interface TextHpsConfig {
  vocabSize: number;
  encoder?: TextEncoderConfig | { type: 'mlp' | 'cnn' };
  pool?: PoolingMode;
  head?: { hidden?: number[]; activation?: Activation };
}

const ARCH = 'text-hps';

const size = z.number().int().min(1);
/** text-hps's options (its text encoder is `options.encoder`; the model's mlp/cnn encoder means the default BiGRU). */
export const textHpsOptions = z.strictObject({
  vocabSize: z.number().int().min(2).optional(),
  encoder: z.discriminatedUnion('type', [
    z.strictObject({ type: z.literal('bigru'), dim: size.optional(), units: size.optional() }),
    z.strictObject({ type: z.literal('transformer'), dim: size.optional(), layers: size.optional(), heads: size.optional(), ffn: size.optional() }),
  ]).optional(),
  pool: z.enum(['mean', 'max']).optional(),
  /** The attention decoder of `generate` tasks (src/models/text/decoder.ts). */
  decoder: decoderOptionsSchema.optional(),
});

/** A head on per-token features [L, D]: per-token logits [L, units] or pooled logits [units]. */
export function textHead(args: {
  maxLength: number; dim: number; units: number; perToken: boolean; pool: PoolingMode;
  hidden: number[]; activation: Activation; seed: number; task: string;
}): tfl.LayersModel {
  const safe = safeName(args.task);
  const input = tfl.input({ shape: [args.maxLength, args.dim], name: uniqueName(`head_${safe}_input`) });
  let h: tfl.SymbolicTensor = input;
  if (!args.perToken) h = new MaskedPooling({ mode: args.pool, name: uniqueName(`head_${safe}_pool`) }).apply(h) as tfl.SymbolicTensor;
  let layerSeed = args.seed * 1000 + 501;
  for (const u of args.hidden) {
    h = tfl.layers.dense({ units: u, activation: args.activation, kernelInitializer: seededInit(layerSeed++), name: uniqueName(`head_${safe}_dense`) }).apply(h) as tfl.SymbolicTensor;
  }
  const out = tfl.layers.dense({ units: args.units, kernelInitializer: seededInit(layerSeed++), name: uniqueName(`head_${safe}_logits`) }).apply(h) as tfl.SymbolicTensor;
  return tfl.model({ inputs: input, outputs: out, name: uniqueName(`head_${safe}`) });
}

export function textHardSharing(ctx: ArchitectureContext, config: Record<string, unknown>): MultiTaskModel {
  checkOptions(ARCH, config, textHpsOptions);
  if (ctx.inputShape.length !== 1) throw new Error(`${ARCH}: the input must be token ids of shape [L], got [${ctx.inputShape.join(', ')}]`);
  const L = ctx.inputShape[0]!;
  const vocabSize = config.vocabSize;
  if (typeof vocabSize !== 'number' || !Number.isInteger(vocabSize) || vocabSize < 2) {
    throw new Error(`${ARCH}: option vocabSize (the vocabulary size, <pad> and <unk> included) must be an integer ≥ 2, got ${JSON.stringify(vocabSize)}`);
  }
  const pool = enumOption(ARCH, config, 'pool', ['mean', 'max'] as const, 'mean');
  const enc = config.encoder as { type?: string } | undefined;
  const encoderConfig = enc && (enc.type === 'transformer' || enc.type === 'bigru') ? (enc as TextEncoderConfig) : undefined;
  const head = (config.head ?? {}) as { hidden?: number[]; activation?: Activation };

  const encoder = buildTextEncoder({ maxLength: L, vocabSize, seed: ctx.seed, prefix: 'text' }, encoderConfig);
  const dim = encoder.outputs[0]!.shape[2] as number;
  const heads = ctx.tasks.map((t, i) => {
    if (t.kind === 'generate') return generateHead({ memoryShape: [L, dim], task: t, seed: ctx.seed + 7919 * (i + 1), options: config.decoder as DecoderOptions | undefined });
    const perToken = t.kind === 'sequence';
    if (perToken && t.spec.width !== L) throw new Error(`${ARCH}: sequence task "${t.name}" has width ${t.spec.width}, the input length is ${L}`);
    return textHead({
      maxLength: L, dim, perToken, pool, units: perToken ? t.spec.outputSize : t.headUnits,
      hidden: head.hidden ?? [], activation: head.activation ?? 'relu', seed: ctx.seed + 7919 * (i + 1), task: t.name,
    });
  });
  return encoderWithHeads(ARCH, ctx, encoder, heads);
}
