/**
 * Gradient aggregation methods by name, each with the schema of its options. A new method = one file
 * + one line in AGGREGATORS. `aggregate` validates the input (T ≥ 1 rows of equal length, finite
 * values; a clear Error naming the method otherwise) and returns the gradient itself when T = 1
 * (single-task training: nothing to aggregate — without it Nash-MTL would return g/‖g‖ and CAGrad
 * g(1+c)/(1+c²)).
 */
import { Registry, noOptions, type OptionsSchema } from '../util/registry.js';
import { alignedMtl } from './aligned-mtl.js';
import { cagrad, cagradOptions } from './cagrad.js';
import { config, configOptions } from './config.js';
import { dualproj } from './dualproj.js';
import { fairgrad, fairgradOptions } from './fairgrad.js';
import { graddrop } from './graddrop.js';
import { gradvac, gradvacOptions } from './gradvac.js';
import { imtlG } from './imtl-g.js';
import { krum, krumOptions } from './krum.js';
import { gramian } from './linalg.js';
import { mgda } from './mgda.js';
import { nashMtl } from './nash-mtl.js';
import { pcgrad } from './pcgrad.js';
import { mean, sum } from './sum-mean.js';
import { trimmedMean, trimmedMeanOptions } from './trimmed-mean.js';
import type { Aggregator, AggregatorOptions, GradientRows, Matrix } from './types.js';
import type { GradientMethod } from './method.js';
import { upgrad } from './upgrad.js';

export type { Aggregator, AggregatorOptions, GradientRows, GramianWeights, Matrix } from './types.js';
export type { GradVacState } from './gradvac.js';
export { crossGramian, rowsView, type GradientMethod, type GradientView, type Direction, type MethodContext } from './method.js';

/** pcgrad, gradvac and graddrop also read `seed`, and gradvac `state`: the trainer supplies both. */
export const AGGREGATORS = new Registry<Aggregator>({ kind: 'aggregation method', noun: 'aggregator' })
  .register('sum', sum, noOptions)
  .register('mean', mean, noOptions)
  .register('pcgrad', pcgrad, noOptions)
  .register('gradvac', gradvac, gradvacOptions)
  .register('graddrop', graddrop, noOptions)
  .register('mgda', mgda, noOptions)
  .register('cagrad', cagrad, cagradOptions)
  .register('imtl-g', imtlG, noOptions)
  .register('nash-mtl', nashMtl, noOptions)
  .register('aligned-mtl', alignedMtl, noOptions)
  .register('upgrad', upgrad, noOptions)
  .register('dualproj', dualproj, noOptions)
  .register('config', config, configOptions)
  .register('fairgrad', fairgrad, fairgradOptions)
  .register('krum', krum, krumOptions)
  .register('trimmed-mean', trimmedMean, trimmedMeanOptions);

/** Keys of the trainer's `aggregator` option it reads itself (`method` aside): listed as allowed, not checked by the method. */
export const AGGREGATOR_RESERVED_KEYS = ['mode'] as const;

export function aggregatorNames(): string[] {
  return AGGREGATORS.names();
}

/**
 * Adds (or replaces) a method. `optionsSchema` (zod) checks its options in configs and in the
 * Trainer; without one, any options are accepted (the method checks its own).
 */
export function registerAggregator(name: string, fn: Aggregator, optionsSchema?: OptionsSchema): void {
  AGGREGATORS.register(name, fn, optionsSchema);
}

/**
 * Checks the options of the aggregator `name` as a config or the Trainer gives them (without
 * `method`; `mode` allowed); throws on an unknown name, an unknown option or a bad value.
 * (`aggregate` itself takes the shared AggregatorOptions bag: each method reads only its own keys.)
 */
export function checkAggregatorOptions(name: string, options: Record<string, unknown>): void {
  AGGREGATORS.parseOptions(name, options, { reserved: AGGREGATOR_RESERVED_KEYS });
}

function lookup(name: string): Aggregator {
  return AGGREGATORS.get(name);
}

/** Throws an Error naming the method unless G is T ≥ 1 rows of equal length holding finite numbers. */
export function checkGradients(name: string, G: GradientRows): void {
  const where = `aggregator "${name}"`;
  if (!Array.isArray(G) || G.length === 0) throw new Error(`${where}: expected a non-empty array of gradient rows`);
  const P = G[0]?.length;
  G.forEach((row, i) => {
    if (row === null || typeof row !== 'object' || typeof row.length !== 'number') throw new Error(`${where}: gradient row ${i} is not an array`);
    if (row.length !== P) throw new Error(`${where}: ragged gradient rows: row ${i} has length ${row.length}, row 0 has ${P}`);
    for (let k = 0; k < row.length; k++) {
      const v = row[k];
      if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`${where}: gradient row ${i} has ${String(v)} at index ${k} (values must be finite numbers)`);
    }
  });
}

/** The aggregated direction d (length P) of the task gradients G (T rows of length P). */
export function aggregate(name: string, grads: GradientRows, options: AggregatorOptions = {}): Float32Array {
  const fn = lookup(name);
  checkGradients(name, grads);
  if (grads.length === 1) return Float32Array.from(grads[0]!);
  return fn(grads, options);
}

/** Whether the method is a combination d = Gᵀβ with β from the Gramian alone (all but graddrop and trimmed-mean). */
export function isGramianMethod(name: string): boolean {
  return lookup(name).weights !== undefined;
}

/**
 * The weights β of a Gramian method from M = GGᵀ (T×T) alone, for callers that keep G elsewhere (on
 * the device: train/task-gradients.ts). Throws an Error naming the method unless M is a finite
 * square matrix (a non-finite gradient makes M non-finite).
 */
export function weightsFromGramian(name: string, M: Matrix, options: AggregatorOptions = {}): number[] {
  const fn = lookup(name);
  if (!fn.weights) throw new Error(`aggregator "${name}" is not a weighted combination of the gradients`);
  const T = M.length;
  if (T === 0 || M.some((row) => row.length !== T)) throw new Error(`aggregator "${name}": the Gramian must be a non-empty square matrix`);
  if (M.some((row) => row.some((v) => !Number.isFinite(v)))) throw new Error(`aggregator "${name}": the task gradients hold non-finite values (their Gramian is not finite)`);
  if (T === 1) return [1];
  return fn.weights(M, options);
}

/** The weights β of d = Gᵀβ for methods that are a combination of the gradients (all but graddrop and trimmed-mean). */
export function weightsOf(name: string, grads: GradientRows, options: AggregatorOptions = {}): number[] {
  const fn = lookup(name);
  if (!fn.weights) throw new Error(`aggregator "${name}" is not a weighted combination of the gradients`);
  checkGradients(name, grads);
  if (grads.length === 1) return [1];
  return fn.weights(gramian(grads), options);
}

/**
 * An aggregator as a GradientMethod (./method.ts): Gramian methods give weights β from M alone, the
 * others (graddrop, trimmed-mean) a vector from the rows. Stateful methods (GradVac's cosine targets) get a copy of
 * the state, fill it, and it is returned as the next state. Stochastic methods are seeded per step.
 */
export function aggregatorMethod(name: string, options: AggregatorOptions & { mode?: string } = {}): GradientMethod<Record<string, unknown>> {
  const { mode: _mode, ...rest } = options;
  checkAggregatorOptions(name, rest);
  const gramianMethod = isGramianMethod(name);
  return {
    name,
    init: () => ({}),
    update(G, state, ctx) {
      const next = structuredClone(state);
      const o = { ...rest, seed: ctx.seed * 1_000_003 + ctx.step, state: next };
      const direction = gramianMethod ? { weights: weightsFromGramian(name, G.gramian(), o) } : { vector: aggregate(name, G.rows(), o) };
      return { direction, state: next };
    },
  };
}
