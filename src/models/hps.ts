/**
 * Hard parameter sharing (Caruana 1997): one shared encoder, one head per task. The most common MTL
 * architecture and the baseline the others are measured against. With a single task it is the
 * single-task baseline with the same encoder and budget.
 */
import { z } from 'zod';
import { encoderWithHeads } from './encoder-heads.js';
import { buildEncoder, buildHead, type Activation, type EncoderConfig } from './encoders.js';
import type { ArchitectureContext, MultiTaskModel } from './types.js';

export interface HpsConfig {
  encoder: EncoderConfig;
  head?: { hidden?: number[]; activation?: Activation };
}

/** hps takes no options beyond the model's encoder and head. */
export const hpsOptions = z.strictObject({});

export function hardSharing(ctx: ArchitectureContext, config: HpsConfig): MultiTaskModel {
  const encoder = buildEncoder(ctx.inputShape, config.encoder, ctx.seed);
  const repShape = encoder.outputs[0].shape.slice(1) as number[];
  const heads = ctx.tasks.map((t, i) =>
    buildHead(repShape, t.headUnits, config.head?.hidden ?? [], ctx.seed + 7919 * (i + 1), t.name, config.head?.activation),
  );
  return encoderWithHeads('hps', ctx, encoder, heads);
}
