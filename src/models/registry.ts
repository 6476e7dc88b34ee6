/** Architectures by name. A new architecture = one file + one line here. */
import { hardSharing, type HpsConfig } from './hps.js';
import type { ArchitectureContext, ArchitectureFactory, MultiTaskModel } from './types.js';

const ARCHITECTURES: Record<string, ArchitectureFactory> = {
  hps: (ctx, config) => hardSharing(ctx, config as unknown as HpsConfig),
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
