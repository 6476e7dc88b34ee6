/**
 * Gradient aggregation: the per-task gradients of one step, G (T rows of length P, row t = task t's
 * gradient ∇θ L_t), are turned into one update direction d ∈ ℝᴾ. Every method is a pure function on
 * plain arrays; most are a weighted combination d = Gᵀβ whose weights β are computed on the T×T
 * Gramian M = GGᵀ alone (see weighted.ts), so their cost in P is one Gramian and one combination.
 */

/** Options shared by the methods; each reads only the ones it documents. */
export interface AggregatorOptions {
  /** Seed of the PRNG for the methods with a random order or random draws (pcgrad, gradvac, graddrop). Default 0. */
  seed?: number;
  /** CAGrad's conflict radius c ≥ 0 (default 0.4). */
  c?: number;
  /** GradVac's EMA rate β ∈ [0, 1] of the cosine targets (default 0.01). */
  beta?: number;
  /** ConFIG's preference vector (one positive number per task; default all 1). */
  weights?: number[];
  /** FairGrad's fairness exponent α ≥ 0 (default 1: Nash-MTL's condition; 0: the mean). */
  alpha?: number;
  /** Krum's number f of Byzantine (adversarial) rows (default 1; needs T ≥ 2f + 3). */
  nByzantine?: number;
  /** Multi-Krum's number m of selected rows averaged (default 1). */
  nSelected?: number;
  /** The trimmed mean's number b of values dropped at each end of every coordinate (default 1; needs T > 2b). */
  trim?: number;
  /** State kept across calls by stateful methods (gradvac); mutated in place. */
  state?: object;
}

/** T gradient rows, each of length P (number[] or any typed array). */
export type GradientRows = Float64Array[] | readonly ArrayLike<number>[];

/** A small dense matrix, row-major: m[i][j]. */
export type Matrix = number[][];

/** Weights β of a method that is a combination d = Gᵀβ, computed from the T×T Gramian M = GGᵀ. */
export type GramianWeights = (M: Matrix, options: AggregatorOptions) => number[];

/**
 * An aggregation method: G (validated: T ≥ 1 rows of equal length, finite values) → d, a
 * Float32Array of length P. `weights` is set when the method is a Gramian combination.
 */
export type Aggregator = ((G: GradientRows, options: AggregatorOptions) => Float32Array) & {
  weights?: GramianWeights;
};
