/**
 * One training step in gradient space: per-task gradients of the shared part, combined into one
 * direction by an aggregator (PCGrad, MGDA, …) or a gradient-space weighting (GradNorm, DB-MTL).
 *
 * The forward pass runs once, recorded on a Tape; each task's term is then differentiated from that
 * one recording (a task's backward pass reaches the shared part and its own head only).
 * - `param` mode: G is T × P over the shared parameters (one encoder backward pass per task).
 * - `rep` mode (rep-grad): each task's term is differentiated w.r.t. the shared representation z
 *   (heads only), G is T × (B·D); the aggregated representation gradient is then pushed through the
 *   encoder once, from the same recording. MGDA in this mode is MGDA-UB.
 * G stays on the device (task-gradients.ts). Each task's own head gets the gradient of its own term.
 *
 * Multi-sample methods (GradientMethod.samples = k > 1: MoDo, SDMGrad) get G on `extra`, the step's
 * k − 1 further minibatches, too (`param` mode only): each is one more forward pass on its own
 * recording and T backward passes, its G handed to the direction and disposed after it. A head gets
 * the mean of its gradients over the k samples (as LibMTL's MoDo: ∇ of the mean loss over the
 * samples). Without `extra` this file does exactly what it did before.
 */
import { Tape } from '../engine/tape.js';
import { tf } from '../engine/tf.js';
import type { MultiTaskModel } from '../models/types.js';
import type { Task } from '../tasks/types.js';
import type { Weighting, WeightingContext } from '../weighting/types.js';
import type { Batch } from './batches.js';
import { TaskGradients, type Direction } from './task-gradients.js';

export type GradientMode = 'param' | 'rep';
/** `samples`: G on the step's extra minibatches, for multi-sample methods (absent otherwise). */
export type DirectionFn = (G: TaskGradients, losses: number[], samples?: TaskGradients[]) => Direction;

export interface GradientStepResult {
  /** Gradient per trainable variable (shared ones: the aggregated direction). */
  grads: Map<tf.Variable, tf.Tensor>;
  /** The step's task losses, [T]. */
  losses: tf.Tensor;
}

function termsOf(weighting: Weighting, losses: tf.Tensor[], ctx: WeightingContext, methodState: unknown): tf.Tensor[] {
  if (weighting.terms) return weighting.terms(losses, ctx, methodState);
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
  /** The state of the weighting's gradient method, when its terms read it (GradNorm's weights). */
  methodState?: unknown;
  /** Multi-sample methods: the step's extra minibatches (their G goes to `direction` as `samples`). */
  extra?: Batch[];
}): GradientStepResult {
  const { model, tasks, weighting, batch, ctx, mode, direction, methodState } = args;
  if (mode === 'rep' && !(model.encode && model.decode)) {
    throw new Error(`gradient mode "rep" needs an architecture with one shared representation; "${model.architecture}" has none (use mode "param")`);
  }
  const extra = args.extra?.length ? args.extra : null;
  if (extra && mode !== 'param') throw new Error('a method that needs several gradient samples per step works on the shared parameters only (mode "param")');
  const shared = model.sharedVariables();
  let values: number[] = [];
  const { tape, result } = Tape.record(() => {
    const z = mode === 'rep' ? model.encode!(batch.x, true) : undefined;
    const logits = z ? model.decode!(z, true) : model.forward(batch.x, true).logits;
    const ls = taskLosses(tasks, logits, batch);
    // The values, not a stacked tensor: a stack recorded on the tape would save (copy) every loss.
    values = ls.map((l) => l.dataSync()[0]!);
    return { z, terms: termsOf(weighting, ls, ctx, methodState) };
  });
  const { z, terms } = result;
  const losses = tf.tensor1d(values);
  const grads = new Map<tf.Variable, tf.Tensor>();
  try {
    const wrtShared: tf.Tensor[] = z ? [z] : shared;
    const parts = tasks.map((task, t) => {
      const own = model.taskVariables(task.name);
      const g = tape.grad(terms[t]!, [...wrtShared, ...own]);
      own.forEach((v, k) => { const gv = g[wrtShared.length + k]; if (gv) grads.set(v, gv); });
      // A shared tensor a task does not reach has no gradient: it counts as zero in G.
      return wrtShared.map((v, k) => g[k] ?? tf.zerosLike(v));
    });
    const G = new TaskGradients(parts, wrtShared.map((v) => v.shape));
    let d: tf.Tensor[];
    const samples: TaskGradients[] = [];
    try {
      if (extra) {
        for (const b of extra) samples.push(sampleGradients(model, tasks, weighting, b, ctx, methodState, grads));
        // Each head: the mean of its gradients over the samples.
        for (const [v, g] of grads) { grads.set(v, tf.div(g, extra.length + 1)); g.dispose(); }
      }
      d = G.apply(extra ? direction(G, values, samples) : direction(G, values));
    } finally {
      G.dispose();
      samples.forEach((S) => S.dispose());
    }
    if (z) {
      const g = tape.grad(z, shared, d[0]);
      d[0]!.dispose();
      shared.forEach((v, k) => grads.set(v, g[k] ?? tf.zerosLike(v)));
    } else shared.forEach((v, k) => grads.set(v, d[k]!));
  } catch (err) {
    grads.forEach((g) => g.dispose());
    losses.dispose();
    throw err;
  } finally {
    tape.dispose();
    terms.forEach((t) => t.dispose());
    z?.dispose();
  }
  return { grads, losses };
}

/**
 * G on one extra minibatch of a multi-sample step (`param` mode), from its own recording; each task's
 * head gradient is added into `heads` (which owns the sums).
 */
function sampleGradients(model: MultiTaskModel, tasks: Task[], weighting: Weighting, batch: Batch, ctx: WeightingContext, methodState: unknown, heads: Map<tf.Variable, tf.Tensor>): TaskGradients {
  const shared = model.sharedVariables();
  const { tape, result: terms } = Tape.record(() => termsOf(weighting, taskLosses(tasks, model.forward(batch.x, true).logits, batch), ctx, methodState));
  try {
    const parts = tasks.map((task, t) => {
      const own = model.taskVariables(task.name);
      const g = tape.grad(terms[t]!, [...shared, ...own]);
      own.forEach((v, k) => {
        const gv = g[shared.length + k];
        if (!gv) return;
        const before = heads.get(v);
        if (before) { heads.set(v, tf.add(before, gv)); before.dispose(); gv.dispose(); } else heads.set(v, gv);
      });
      return shared.map((v, k) => g[k] ?? tf.zerosLike(v));
    });
    return new TaskGradients(parts, shared.map((v) => v.shape));
  } finally {
    tape.dispose();
    terms.forEach((t) => t.dispose());
  }
}

/** The task losses of a batch without gradients (for methods that watch the loss change of a step). */
export function batchLosses(model: MultiTaskModel, tasks: Task[], batch: Batch): number[] {
  return tf.tidy(() => {
    const { logits } = model.forward(batch.x, true);
    return Array.from(tf.stack(taskLosses(tasks, logits, batch)).dataSync());
  });
}
