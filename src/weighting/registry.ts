/** Loss-weighting methods by name. A new method = one file + one line here. */
import { dbMtlWeighting } from './db-mtl.js';
import { dwaWeighting } from './dwa.js';
import { famoWeighting } from './famo.js';
import { equalWeighting, fixedWeighting } from './fixed.js';
import { geometricWeighting } from './gls.js';
import { gradNormWeighting } from './gradnorm.js';
import { imtlLossWeighting } from './imtl-l.js';
import { randomWeighting } from './rlw.js';
import { uncertaintyWeighting } from './uw.js';
import type { Weighting, WeightingFactory, WeightingOptions } from './types.js';

const WEIGHTINGS: Record<string, WeightingFactory> = {
  ew: equalWeighting,
  fixed: (o) => fixedWeighting(o),
  uw: uncertaintyWeighting,
  dwa: dwaWeighting,
  rlw: randomWeighting,
  gls: geometricWeighting,
  'imtl-l': imtlLossWeighting,
  gradnorm: gradNormWeighting,
  'db-mtl': dbMtlWeighting,
  famo: famoWeighting,
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
