/**
 * Loss-weighting methods by name, each with the schema of its options. A new method = one file + one
 * line here.
 */
import { Registry, noOptions, type OptionsSchema } from '../util/registry.js';
import { dbMtlOptions, dbMtlWeighting } from './db-mtl.js';
import { dwaOptions, dwaWeighting } from './dwa.js';
import { excessMtlOptions, excessMtlWeighting } from './excess-mtl.js';
import { famoOptions, famoWeighting } from './famo.js';
import { equalWeighting, fixedOptions, fixedWeighting } from './fixed.js';
import { geometricWeighting } from './gls.js';
import { gradNormOptions, gradNormWeighting } from './gradnorm.js';
import { imtlLossWeighting } from './imtl-l.js';
import { mocoOptions, mocoWeighting } from './moco.js';
import { modoOptions, modoWeighting } from './modo.js';
import { randomWeighting } from './rlw.js';
import { sdmgradOptions, sdmgradWeighting } from './sdmgrad.js';
import { stchOptions, stchWeighting } from './stch.js';
import { uncertaintyWeighting } from './uw.js';
import type { Weighting, WeightingFactory, WeightingOptions } from './types.js';

export const WEIGHTINGS = new Registry<WeightingFactory>({ kind: 'weighting method', noun: 'weighting' })
  .register('ew', equalWeighting, noOptions)
  .register('fixed', (o) => fixedWeighting(o), fixedOptions)
  .register('uw', uncertaintyWeighting, noOptions)
  .register('dwa', dwaWeighting, dwaOptions)
  .register('rlw', randomWeighting, noOptions) // its seed is the run's (a context key)
  .register('gls', geometricWeighting, noOptions)
  .register('imtl-l', imtlLossWeighting, noOptions)
  .register('gradnorm', gradNormWeighting, gradNormOptions)
  .register('db-mtl', dbMtlWeighting, dbMtlOptions)
  .register('famo', famoWeighting, famoOptions)
  .register('stch', stchWeighting, stchOptions)
  .register('excess-mtl', excessMtlWeighting, excessMtlOptions)
  .register('moco', mocoWeighting, mocoOptions)
  .register('modo', modoWeighting, modoOptions) // 3 gradient samples per step (GradientMethod.samples)
  .register('sdmgrad', sdmgradWeighting, sdmgradOptions); // 3 gradient samples per step

/**
 * Keys of WeightingOptions the trainer supplies to every method (task names, the fixed weights from the
 * config's tasks, the run seed); not checked against a method's schema when it is created.
 */
export const WEIGHTING_CONTEXT_KEYS = ['taskNames', 'weights', 'seed'] as const;

export function weightingNames(): string[] {
  return WEIGHTINGS.names();
}

/**
 * Adds (or replaces) a method. `optionsSchema` (zod) checks its options in configs and in
 * createWeighting; without one, any options are accepted (the method checks its own).
 */
export function registerWeighting(name: string, factory: WeightingFactory, optionsSchema?: OptionsSchema): void {
  WEIGHTINGS.register(name, factory, optionsSchema);
}

/** The method `name` for these options; throws on an unknown name, an unknown option or a bad value. */
export function createWeighting(name: string, options: WeightingOptions): Weighting {
  const factory = WEIGHTINGS.get(name);
  WEIGHTINGS.parseOptions(name, options, { context: WEIGHTING_CONTEXT_KEYS });
  return factory(options);
}
