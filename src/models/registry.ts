/**
 * Architectures by name, each with the schema of its options (a config's `model.options`). A new
 * architecture = one file + one line here. The model's encoder and head are not options: they are
 * the config's `model.encoder` / `model.head`.
 */
import { Registry, type OptionsSchema } from '../util/registry.js';
import { hardSharing, hpsOptions, type HpsConfig } from './hps.js';
import { additive, additiveOptions, type AdditiveConfig } from './additive.js';
import { crossStitch, crossStitchOptions, type CrossStitchConfig } from './cross-stitch.js';
import { mmoe, mmoeOptions, type MmoeConfig } from './mmoe.js';
import { mtan, mtanOptions, type MtanConfig } from './mtan.js';
import { cgc, cgcOptions, ple, pleOptions, type CgcConfig, type PleConfig } from './ple.js';
import { esmm, esmmOptions, type EsmmConfig } from './esmm.js';
import { dselectK, dselectKOptions, type DSelectKConfig } from './dselect-k.js';
import { textHardSharing, textHpsOptions } from './text-hps.js';
import { audioHardSharing, audioHpsOptions } from './audio-hps.js';
import { fusionModel, fusionOptions } from './fusion/model.js';
import type { PreprocessingState } from '../data/types.js';
import { embeddingLayout, withFeatureEmbedding } from './tabular.js';
import type { ArchitectureContext, ArchitectureFactory, MultiTaskModel } from './types.js';

export const ARCHITECTURES = new Registry<ArchitectureFactory>({ kind: 'architecture' })
  .register('hps', (ctx, config) => hardSharing(ctx, config as unknown as HpsConfig), hpsOptions)
  .register('text-hps', (ctx, config) => textHardSharing(ctx, config), textHpsOptions)
  .register('audio-hps', (ctx, config) => audioHardSharing(ctx, config), audioHpsOptions)
  .register('fusion', (ctx, config) => fusionModel(ctx, config), fusionOptions)
  .register('cross-stitch', (ctx, config) => crossStitch(ctx, config as unknown as CrossStitchConfig), crossStitchOptions)
  .register('mtan', (ctx, config) => mtan(ctx, config as unknown as MtanConfig), mtanOptions)
  .register('mmoe', (ctx, config) => mmoe(ctx, config as unknown as MmoeConfig), mmoeOptions)
  .register('cgc', (ctx, config) => cgc(ctx, config as unknown as CgcConfig), cgcOptions)
  .register('ple', (ctx, config) => ple(ctx, config as unknown as PleConfig), pleOptions)
  .register('dselect-k', (ctx, config) => dselectK(ctx, config as unknown as DSelectKConfig), dselectKOptions)
  .register('additive', (ctx, config) => additive(ctx, config as unknown as AdditiveConfig), additiveOptions)
  .register('esmm', (ctx, config) => esmm(ctx, config as unknown as EsmmConfig), esmmOptions);

export function architectureNames(): string[] {
  return ARCHITECTURES.names();
}

/**
 * Adds (or replaces) an architecture. `optionsSchema` (zod) checks a config's `model.options` for it;
 * without one, any options are accepted (the architecture checks its own).
 */
export function registerArchitecture(name: string, factory: ArchitectureFactory, optionsSchema?: OptionsSchema): void {
  ARCHITECTURES.register(name, factory, optionsSchema);
}

/**
 * The architecture `name` built for the tasks of `ctx`; `config` holds the model settings (encoder,
 * head) and the architecture's options, which the architecture checks (unknown keys, values). With a
 * table's `preprocessing` that embeds features, the model starts with their embedding layer (./tabular.ts).
 */
export function buildModel(name: string, ctx: ArchitectureContext, config: Record<string, unknown>, preprocessing?: PreprocessingState): MultiTaskModel {
  const factory = ARCHITECTURES.get(name);
  // Embedded features (ids looked up in trained tables): the architecture reads the embedding layer's output.
  const layout = preprocessing ? embeddingLayout(preprocessing, ctx.seed) : null;
  return layout ? withFeatureEmbedding(layout, ctx, (inner) => factory(inner, config)) : factory(ctx, config);
}
