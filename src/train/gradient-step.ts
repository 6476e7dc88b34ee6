/**
 * One training step in gradient space: per-task gradients of the shared part, combined into one
 * direction by an aggregator (PCGrad, MGDA, …) or a gradient-space weighting (GradNorm, DB-MTL).
 *
 * - `param` mode: one backward pass per task over the shared parameters; G is T × P.
 * - `rep` mode (rep-grad): the encoder runs once outside the tape; each task's term is differentiated
 *   w.r.t. the shared representation (heads only), G is T × (B·D); the aggregated representation
 *   gradient is then pushed through the encoder in one backward pass. MGDA in this mode is MGDA-UB.
 *
 * Each task's own head gets the gradient of its own term. No per-task graph or gradient outlives its
 * use: every pass runs in its own tape and its tensors are disposed as soon as they are flattened.
 */
import { tf } from '../engine/tf.js';
import type { MultiTaskModel } from '../models/types.js';
import type { Task } from '../tasks/types.js';
import type { Weighting, WeightingContext } from '../weighting/types.js';
import type { Batch } from './batches.js';
import { flatten, unflatten } from './flat.js';

export type GradientMode = 'param' | 'rep';
export type DirectionFn = (G: Float32Array[], losses: number[]) => Float32Array;

export interface GradientStepResult {
  /** Gradient per trainable variable (shared ones: the aggregated direction). */
  grads: Map<tf.Variable, tf.Tensor>;
  /** The step's task losses, [T]. */
  losses: tf.Tensor;
}

function termsOf(weighting: Weighting, losses: tf.Tensor[], ctx: WeightingContext): tf.Tensor[] {
  if (weighting.terms) return weighting.terms(losses, ctx);
  const lambda = weighting.weights();
  return losses.map((l, i) => tf.mul(l, lambda[i]));
}

function taskLosses(tasks: Task[], logits: tf.Tensor[], batch: Batch): tf.Tensor[] {
  return tasks.map((t, i) => t.loss(logits[i], batch.labels[i], batch.masks[i]));
}

export function gradientStep(args: {
  model: MultiTaskModel;
  tasks: Task[];
  weighting: Weighting;
  batch: Batch;
  ctx: WeightingContext;
  mode: GradientMode;
  direction: DirectionFn;
}): GradientStepResult {
  const { model, tasks, weighting, batch, ctx, mode, direction } = args;
  const shared = model.sharedVariables();
  const grads = new Map<tf.Variable, tf.Tensor>();
  const G: Float32Array[] = [];
  let losses: tf.Tensor | null = null;

  if (mode === 'rep' && !(model.encode && model.decode)) {
    throw new Error(`gradient mode "rep" needs an architecture with one shared representation; "${model.architecture}" has none (use mode "param")`);
  }
  let rep: tf.Variable | null = null;
  if (mode === 'rep') {
    const z = tf.tidy(() => model.encode!(batch.x, true));
    rep = tf.variable(z, true);
    z.dispose(); // the variable holds its own reference to the data
  }

  tasks.forEach((task, t) => {
    const own = model.taskVariables(task.name);
    const wrt = rep ? [rep, ...own] : [...shared, ...own];
    const { value, grads: g } = tf.variableGrads(() => {
      const logits = rep ? model.decode!(rep, true) : model.forward(batch.x, true).logits;
      const ls = taskLosses(tasks, logits, batch);
      if (t === 0) losses = tf.keep(tf.stack(ls));
      return termsOf(weighting, ls, ctx)[t] as tf.Scalar;
    }, wrt);
    value.dispose();
    const sharedPart = rep ? [rep] : shared;
    // A shared variable a task does not reach has no gradient: it counts as zero in G.
    const parts = sharedPart.map((v) => g[v.name] ?? tf.zerosLike(v));
    G.push(flatten(parts));
    parts.forEach((p) => p.dispose());
    for (const v of own) if (g[v.name]) grads.set(v, g[v.name]);
  });

  const lossValues = Array.from(losses!.dataSync());
  const d = direction(G, lossValues);
  if (rep) {
    const dRep = tf.tensor(d, rep.shape);
    const { value, grads: g } = tf.variableGrads(() => tf.sum(tf.mul(model.encode!(batch.x, true), dRep)) as tf.Scalar, shared);
    value.dispose();
    dRep.dispose();
    rep.dispose();
    for (const v of shared) grads.set(v, g[v.name] ?? tf.zerosLike(v));
  } else {
    unflatten(d, shared.map((v) => v.shape)).forEach((g, i) => grads.set(shared[i], g));
  }
  return { grads, losses: losses! };
}

/** The task losses of a batch without gradients (for methods that watch the loss change of a step). */
export function batchLosses(model: MultiTaskModel, tasks: Task[], batch: Batch): number[] {
  return tf.tidy(() => {
    const { logits } = model.forward(batch.x, true);
    return Array.from(tf.stack(taskLosses(tasks, logits, batch)).dataSync());
  });
}
