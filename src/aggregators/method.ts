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
}

export interface GradientMethod<S = unknown> {
  readonly name: string;
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
