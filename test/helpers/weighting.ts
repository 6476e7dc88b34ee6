/**
 * A weighting whose gradient method's state is held here, stepping as the trainer does (update → next
 * state), so tests can drive GradNorm / DB-MTL step by step and read their weights and state.
 */
import { rowsView } from '../../src/aggregators/method.js';
import type { Weighting, WeightingContext } from '../../src/weighting/types.js';

export type SteppedWeighting = Weighting & { combineGradients?(G: Float32Array[], losses: number[], ctx: WeightingContext): Float32Array };

export function heldState(w: Weighting): SteppedWeighting {
  const m = w.gradient;
  if (!m) return w;
  const T = w.weights().length;
  let s: unknown = m.init(T);
  return {
    ...w,
    terms: w.terms && ((losses, ctx) => w.terms!(losses, ctx, s)),
    weights: () => m.reportedWeights?.(s) ?? w.weights(),
    combineGradients(G, losses, ctx) {
      const r = m.update(rowsView(G), s, { ...ctx, seed: 0, losses });
      s = r.state;
      if (!('vector' in r.direction)) throw new Error('expected a vector direction');
      return r.direction.vector;
    },
    state: () => (m.encode ? m.encode(s) : s),
    restore: (json) => {
      s = m.decode ? m.decode(json, T) : json;
    },
  };
}
