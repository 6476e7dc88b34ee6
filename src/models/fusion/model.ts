/**
 * `fusion`: multimodal / multi-view fusion for any number of named views of a flat input vector.
 *
 *   x ─┬─ SelectColumns(view 1) → encoder_1 (MLP) → e_1 ─┐
 *      ├─ …                                             ├─ fusion → z → one head per task
 *      └─ SelectColumns(view V) → encoder_V (MLP) → e_V ─┘
 *
 * fusion: `concat` (z = [e_1; …; e_V]) or `attention` (cross-modal attention, src/models/fusion/layers.ts:
 * each view's embedding attends over the views' embeddings — softmax over views of scaled dot products —
 * and the outputs, weighted sums, are concatenated). With a single view, z = e_1 (both fusions are the
 * identity), so a one-view fusion model is exactly the single-view model: view 1's encoder is seeded as
 * `buildEncoder(…, seed)` and the heads as in `hps`, so it even equals `hps` on that view's columns.
 *
 * Options: `views` ({ name: [column indices | feature-name prefixes] }), `fusion` ('attention' default |
 * 'concat'), `featureNames` (needed for prefixes: `inputNames(split.preprocessing)`), `attention`
 * ({ keyDim, attendSelf }), `encoder` (mlp, one per view; with attention every view's last layer must have
 * the same size), `head` ({ hidden, activation }). forward = decode(encode(x)) with z in between, so
 * rep-grad methods work on the fused representation.
 */
import { z } from 'zod';
import { tfl } from '../../engine/tf.js';
import { checkOptions, componentSeed, enumOption } from '../blocks.js';
import { encoderWithHeads } from '../encoder-heads.js';
import { buildEncoder, buildHead, uniqueName, variablesOf, type Activation, type MlpEncoderConfig } from '../encoders.js';
import type { ArchitectureContext, MultiTaskModel } from '../types.js';
import { CrossViewAttention, SelectColumns } from './layers.js';
import { resolveViews, type ViewSpecs } from './views.js';

export type FusionMode = 'attention' | 'concat';

export interface FusionConfig {
  views: ViewSpecs;
  fusion?: FusionMode;
  featureNames?: string[];
  attention?: { keyDim?: number; attendSelf?: boolean };
  encoder?: MlpEncoderConfig;
  head?: { hidden?: number[]; activation?: Activation };
}

const ARCH = 'fusion';

/** fusion's options (its view encoders are the model's mlp encoder, its heads the model's head). */
export const fusionOptions = z.strictObject({
  views: z.record(z.string(), z.array(z.union([z.number().int().nonnegative(), z.string()])).min(1)),
  fusion: z.enum(['attention', 'concat']).optional(),
  featureNames: z.array(z.string()).optional(),
  attention: z.strictObject({ keyDim: z.number().int().min(1).optional(), attendSelf: z.boolean().optional() }).optional(),
});

export interface FusionParts {
  /** x → z (the fused representation). */
  encoder: tfl.LayersModel;
  /** x → [e_1, …, e_V] (the view embeddings before fusion). */
  views: tfl.LayersModel;
  attention: CrossViewAttention | null;
  viewNames: string[];
  columns: Record<string, number[]>;
}

export function buildFusionEncoder(ctx: ArchitectureContext, config: FusionConfig): FusionParts {
  if (ctx.inputShape.length !== 1) throw new Error(`${ARCH}: views are slices of a flat input; got input shape [${ctx.inputShape.join(', ')}]`);
  const columns = resolveViews(config.views, ctx.inputShape[0]!, config.featureNames);
  const enc = config.encoder ?? { type: 'mlp', hidden: [32] };
  if (enc.type !== 'mlp') throw new Error(`${ARCH}: the view encoders are MLPs ({ type: 'mlp', hidden: [...] }), got type ${String((enc as { type: unknown }).type)}`);
  if (enc.hidden.length === 0) throw new Error(`${ARCH}: the view encoders need at least one hidden layer (the view embedding)`);
  const fusion = config.fusion ?? 'attention';
  const viewNames = Object.keys(columns);
  const input = tfl.input({ shape: ctx.inputShape, name: uniqueName('fusion_input') });
  const embeddings = viewNames.map((name, v) => {
    const safe = name.replace(/[^A-Za-z0-9_]/g, '_');
    const cols = columns[name]!;
    const sliced = new SelectColumns({ indices: cols, name: uniqueName(`view_${safe}_select`) }).apply(input) as tfl.SymbolicTensor;
    const encoder = buildEncoder([cols.length], enc, componentSeed(ctx.seed, v), `view_${safe}`);
    return encoder.apply(sliced) as tfl.SymbolicTensor;
  });
  let attention: CrossViewAttention | null = null;
  let z: tfl.SymbolicTensor;
  if (embeddings.length === 1) z = embeddings[0]!;
  else if (fusion === 'concat') z = tfl.layers.concatenate({ axis: -1, name: uniqueName('fusion_concat') }).apply(embeddings) as tfl.SymbolicTensor;
  else {
    attention = new CrossViewAttention({
      keyDim: config.attention?.keyDim, attendSelf: config.attention?.attendSelf ?? true,
      seed: componentSeed(ctx.seed, viewNames.length) * 1000 + 1, name: uniqueName('fusion_attention'),
    });
    z = attention.apply(embeddings) as tfl.SymbolicTensor;
  }
  return {
    encoder: tfl.model({ inputs: input, outputs: z, name: uniqueName('fusion_encoder') }),
    views: tfl.model({ inputs: input, outputs: embeddings, name: uniqueName('fusion_views') }),
    attention, viewNames, columns,
  };
}

export function fusionModel(ctx: ArchitectureContext, raw: Record<string, unknown>): MultiTaskModel {
  return fusionModelWithParts(ctx, raw).model;
}

/** The fusion model and its parts (view embeddings, attention layer) for inspection. */
export function fusionModelWithParts(ctx: ArchitectureContext, raw: Record<string, unknown>): { model: MultiTaskModel; parts: FusionParts } {
  checkOptions(ARCH, raw, fusionOptions);
  enumOption(ARCH, raw, 'fusion', ['attention', 'concat'] as const, 'attention');
  const config = raw as unknown as FusionConfig;
  const parts = buildFusionEncoder(ctx, config);
  const { encoder } = parts;
  const repShape = encoder.outputs[0]!.shape.slice(1) as number[];
  const heads = ctx.tasks.map((t, i) =>
    buildHead(repShape, t.headUnits, config.head?.hidden ?? [], ctx.seed + 7919 * (i + 1), t.name, config.head?.activation));
  // The view and encoder layers are applied in several models (encoder, views probe, combined), so
  // their weights are disposed directly rather than through LayersModel.dispose's reference counts.
  const model = encoderWithHeads(ARCH, ctx, encoder, heads, {
    dispose: () => [...variablesOf(encoder), ...heads.flatMap(variablesOf)].forEach((v) => v.dispose()),
  });
  return { model, parts };
}
