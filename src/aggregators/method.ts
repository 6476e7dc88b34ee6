/**
 * The one contract of every method that turns per-task gradients into one update direction — the
 * gradient aggregators (PCGrad, MGDA, …, GradVac) and the gradient-space weightings (GradNorm, DB-MTL) —
 * with its state explicit, as in optax:
 *
 *   state₀ = method.init(T)
 *   { direction, state₁ } = method.update(G, state₀, ctx)      (state₀ is not changed)
 *
 * G is seen through a GradientView: its T×T Gramian M = GGᵀ (a few numbers, computed on the device) or
 * its rows (T × P, read back). A direction is weights β (d = Gᵀβ, G stays on the device) or a vector d.
 * The trainer keeps the state between steps and stores `encode(state)` in checkpoints, so a resumed
 * run continues exactly where it stopped.
 */
import type { Matrix } from './types.js';

/** The per-task gradients of one step, as a method may read them. */
export interface GradientView {
  readonly T: number;
  /** M = GGᵀ (T×T). */
  gramian(): Matrix;
  /** The rows of G (T arrays of length P). */
  rows(): Float32Array[];
  /**
   * G·Hᵀ (T×T, entry (i, j) = gᵢ·hⱼ) with another view H of the same parameters: the cross-Gramian of
   * two independent samples (crossGramian below falls back to the rows when a view lacks it).
   */
  cross?(other: GradientView): Matrix;
}

/** d = Gᵀβ (weights β, one per task), or d itself. */
export type Direction = { weights: number[] } | { vector: Float32Array };

export interface MethodContext {
  epoch: number;
  /** Global step (seeds the stochastic methods: a resumed run draws what the uninterrupted one drew). */
  step: number;
  seed: number;
  /** This step's raw task losses. */
  losses: number[];
  /**
   * For a method that declares `samples: k > 1`: G on the step's k − 1 extra minibatches, drawn
   * independently of the step's batch (src/train/sampler.ts); absent for every other method.
   */
  samples?: GradientView[];
}

export interface GradientMethod<S = unknown> {
  readonly name: string;
  /**
   * How many independent minibatch samples of G one step needs (default 1). With k > 1 the trainer
   * computes G on the step's batch (the view `update` gets, to which a weights direction applies) and
   * on k − 1 more batches of the same size, drawn by a seeded sampler, passed as ctx.samples
   * (MoDo, SDMGrad: a double-sampling estimate of GGᵀ needs two gradients independent of each other).
   */
  readonly samples?: number;
  /** The state before the first step, for T tasks. */
  init(T: number): S;
  /** One step's direction and the next state; `state` itself is left as it was. */
  update(G: GradientView, state: S, ctx: MethodContext): { direction: Direction; state: S };
  /** The task weights to report in the history for a state (default: none). */
  reportedWeights?(state: S): number[];
  /** The state as JSON for checkpoints (default: the state itself), and back. */
  encode?(state: S): unknown;
  decode?(json: unknown, T: number): S;
}

/** A view of plain rows (tests, callers outside the trainer): the Gramian is computed from them. */
export function rowsView(rows: ArrayLike<number>[]): GradientView {
  const G = rows.map((r) => Float32Array.from(r));
  return {
    T: G.length,
    rows: () => G,
    gramian: () => G.map((a) => G.map((b) => {
      let s = 0;
      for (let j = 0; j < a.length; j++) s += a[j]! * b[j]!;
      return s;
    })),
  };
}

/** G·Hᵀ (T×T) of two views of the same parameters: on the device when the view can, else from the rows. */
export function crossGramian(a: GradientView, b: GradientView): Matrix {
  return a.cross ? a.cross(b) : rowsCross(a.rows(), b.rows());
}

/** G·Hᵀ from the rows of G and H. */
export function rowsCross(A: Float32Array[], B: Float32Array[]): Matrix {
  if (A.length !== B.length || A[0]?.length !== B[0]?.length) throw new Error(`crossGramian: gradients of ${A.length}×${A[0]?.length ?? 0} and ${B.length}×${B[0]?.length ?? 0}`);
  return A.map((g) => B.map((h) => {
    let s = 0;
    for (let j = 0; j < g.length; j++) s += g[j]! * h[j]!;
    return s;
  }));
}
