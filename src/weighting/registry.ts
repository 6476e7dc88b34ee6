/** Loss-weighting methods by name. A new method = one file + one line here. */
import { equalWeighting, fixedWeighting } from './fixed.js';
import type { Weighting, WeightingFactory, WeightingOptions } from './types.js';

const WEIGHTINGS: Record<string, WeightingFactory> = {
  ew: equalWeighting,
  fixed: (o) => fixedWeighting(o),
};

export function weightingNames(): string[] {
  return Object.keys(WEIGHTINGS);
}

export function registerWeighting(name: string, factory: WeightingFactory): void {
  WEIGHTINGS[name] = factory;
}

export function createWeighting(name: string, options: WeightingOptions): Weighting {
  const factory = WEIGHTINGS[name];
  if (!factory) throw new Error(`unknown weighting method "${name}": choose one of ${weightingNames().join(', ')}`);
  return factory(options);
}
