/** Architectures by name. A new architecture = one file + one line here. */
import { hardSharing, type HpsConfig } from './hps.js';
import { additive, type AdditiveConfig } from './additive.js';
import { crossStitch, type CrossStitchConfig } from './cross-stitch.js';
import { mmoe, type MmoeConfig } from './mmoe.js';
import { mtan, type MtanConfig } from './mtan.js';
import { cgc, ple, type CgcConfig, type PleConfig } from './ple.js';
import { textHardSharing } from './text-hps.js';
import { fusionModel } from '../fusion/model.js';
import type { ArchitectureContext, ArchitectureFactory, MultiTaskModel } from './types.js';

const ARCHITECTURES: Record<string, ArchitectureFactory> = {
  hps: (ctx, config) => hardSharing(ctx, config as unknown as HpsConfig),
  'text-hps': (ctx, config) => textHardSharing(ctx, config),
  fusion: (ctx, config) => fusionModel(ctx, config),
  'cross-stitch': (ctx, config) => crossStitch(ctx, config as unknown as CrossStitchConfig),
  mtan: (ctx, config) => mtan(ctx, config as unknown as MtanConfig),
  mmoe: (ctx, config) => mmoe(ctx, config as unknown as MmoeConfig),
  cgc: (ctx, config) => cgc(ctx, config as unknown as CgcConfig),
  ple: (ctx, config) => ple(ctx, config as unknown as PleConfig),
  additive: (ctx, config) => additive(ctx, config as unknown as AdditiveConfig),
};

export function architectureNames(): string[] {
  return Object.keys(ARCHITECTURES);
}

export function registerArchitecture(name: string, factory: ArchitectureFactory): void {
  ARCHITECTURES[name] = factory;
}

export function buildModel(name: string, ctx: ArchitectureContext, config: Record<string, unknown>): MultiTaskModel {
  const factory = ARCHITECTURES[name];
  if (!factory) throw new Error(`unknown architecture "${name}": choose one of ${architectureNames().join(', ')}`);
  return factory(ctx, config);
}
