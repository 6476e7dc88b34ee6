/**
 * One optimizer step on a batch, in loss space or in gradient space:
 *   loss space      ∇(Σ_t λ_t L_t + R) in one backward pass (R below, inside the same tape);
 *   gradient space  per-task gradients → one direction d (an aggregator, a gradient-space weighting,
 *                   or equal weights), then + ∇R, added after the aggregation since R is no task's.
 * R, the extra objective, is written once for both: the penalties (EWC's Fisher term, LwF's
 * distillation), the architecture's regularisation, and λ‖θ‖² on the shared parameters.
 * The batch's losses are checked (DivergenceGuard) before the update is applied: a diverged batch is
 * never applied; with reduce-lr the update before it (the one that made the loss diverge) is undone too
 * (the weights before it are kept, one copy) and the learning rate halved. Adam's moments are kept.
 */
import { tf } from '../engine/tf.js';
import { setLearningRate } from '../engine/tfjs-internals.js';
import type { MultiTaskModel } from '../models/types.js';
import type { Task } from '../tasks/types.js';
import type { Weighting, WeightingContext } from '../weighting/types.js';
import type { Batch } from './batches.js';
import type { DivergenceGuard } from './divergence.js';
import { batchLosses, gradientStep, type DirectionFn, type GradientMode } from './gradient-step.js';

export interface StepSettings {
  l2: number;
  /** Read at every step (a caller may add penalties between fits: continual learning does). */
  penalties: () => ((batch: Batch, logits: tf.Tensor[]) => tf.Tensor)[];
  /** The optimizer's learning rate (halved by the reduce-lr divergence policy). */
  lr: number;
}

export class StepRunner {
  private readonly sharedSet: Set<tf.Variable>;
  private lr: number;
  /** reduce-lr: the weights before the last applied update, to go back to when the next loss diverges. */
  private beforeLast: tf.Tensor[] | null = null;
  /** Whether the last run() applied its update (false: the batch diverged and was dropped). */
  lastApplied = true;

  constructor(
    private readonly model: MultiTaskModel,
    private readonly tasks: Task[],
    private readonly weighting: Weighting,
    private readonly optimizer: tf.Optimizer,
    private readonly settings: StepSettings,
    private readonly guard: DivergenceGuard,
  ) {
    this.sharedSet = new Set(model.sharedVariables());
    this.lr = settings.lr;
  }

  dispose(): void {
    this.beforeLast?.forEach((t) => t.dispose());
    this.beforeLast = null;
  }

  /** Variables the optimizer updates, in a fixed order (optimizer state is restored by position). */
  variables(): tf.Variable[] {
    return [...this.model.trainableVariables(), ...(this.weighting.variables?.() ?? [])];
  }

  /**
   * One step; returns the batch's per-task losses [T] (the caller disposes them). `direction` is given
   * in gradient mode (mode non-null); `where` names the step in a divergence message. `extra`: the
   * further minibatches of a multi-sample method (gradient-step.ts); the losses, the divergence check,
   * the penalties and afterStep are the step's own batch's.
   */
  run(batch: Batch, ctx: WeightingContext, mode: GradientMode | null, direction: DirectionFn | null, methodState: unknown, where: string, extra?: Batch[]): tf.Tensor {
    const { grads, losses } = mode ? this.gradientSpace(batch, ctx, mode, direction!, methodState, extra) : this.lossSpace(batch, ctx);
    const values = losses.dataSync();
    const why = this.guard.problem(values);
    this.lastApplied = !why;
    if (why) {
      const action = this.guard.onDiverged(why, where);
      if (action === 'reduce-lr') {
        // The update before this batch made the loss diverge: undo it, and go on at half the rate.
        if (this.beforeLast) this.model.trainableVariables().forEach((v, i) => v.assign(this.beforeLast![i]!));
        this.lr /= 2;
        setLearningRate(this.optimizer, this.lr);
      }
    } else {
      this.guard.ok();
      if (this.guard.policy === 'reduce-lr') {
        this.beforeLast?.forEach((t) => t.dispose());
        this.beforeLast = this.model.trainableVariables().map((v) => tf.clone(v));
      }
      this.apply(grads, ctx.step);
      if (this.weighting.afterStep) this.weighting.afterStep(Array.from(values), () => batchLosses(this.model, this.tasks, batch), ctx);
    }
    Object.values(grads).forEach((g) => g.dispose());
    return losses;
  }

  /** R: penalties + the architecture's regularisation + λ‖θ‖² on the shared parameters (null when none). */
  private extraObjective(batch: Batch, logits: () => tf.Tensor[]): tf.Scalar | null {
    const terms: tf.Tensor[] = [];
    const penalties = this.settings.penalties();
    if (penalties.length) {
      const l = logits();
      for (const p of penalties) terms.push(p(batch, l));
    }
    if (this.model.regularization) terms.push(this.model.regularization());
    const l2 = this.settings.l2;
    const shared = [...this.sharedSet];
    if (l2 > 0 && shared.length) terms.push(tf.mul(l2, tf.addN(shared.map((v) => tf.sum(tf.square(v))))));
    if (!terms.length) return null;
    return (terms.length === 1 ? terms[0]! : tf.addN(terms)) as tf.Scalar;
  }

  private lossSpace(batch: Batch, ctx: WeightingContext): { grads: tf.NamedTensorMap; losses: tf.Tensor } {
    let taskLosses: number[] = [];
    const { value, grads } = tf.variableGrads(() => {
      const { logits } = this.model.forward(batch.x, true);
      const losses = this.tasks.map((t, i) => t.loss(logits[i]!, batch.labels[i]!, batch.masks[i]!));
      // The values, not a stacked tensor: a stack recorded on the tape would save (copy) every loss.
      taskLosses = losses.map((l) => l.dataSync()[0]!);
      const total = this.weighting.combine(losses, ctx);
      const extra = this.extraObjective(batch, () => logits);
      return (extra ? tf.add(total, extra) : total) as tf.Scalar;
    }, this.variables());
    value.dispose();
    return { grads, losses: tf.tensor1d(taskLosses) };
  }

  private gradientSpace(batch: Batch, ctx: WeightingContext, mode: GradientMode, direction: DirectionFn, methodState: unknown, extra?: Batch[]): { grads: tf.NamedTensorMap; losses: tf.Tensor } {
    const { grads, losses } = gradientStep({ model: this.model, tasks: this.tasks, weighting: this.weighting, batch, ctx, mode, direction, methodState, extra });
    const named: tf.NamedTensorMap = {};
    for (const v of this.model.trainableVariables()) {
      const g = grads.get(v);
      if (g) named[v.name] = g;
    }
    this.addExtraGradients(batch, named);
    return { grads: named, losses };
  }

  /** ∇R added to the aggregated direction (R is not a task's loss, so it is not aggregated). */
  private addExtraGradients(batch: Batch, named: tf.NamedTensorMap): void {
    const hasExtra = this.settings.penalties().length > 0 || !!this.model.regularization || (this.settings.l2 > 0 && this.sharedSet.size > 0);
    if (!hasExtra) return;
    const vars = this.model.trainableVariables();
    const { value, grads } = tf.variableGrads(() => this.extraObjective(batch, () => this.model.forward(batch.x, true).logits)!, vars);
    value.dispose();
    for (const v of vars) {
      const g = grads[v.name];
      if (!g) continue;
      if (named[v.name]) {
        const sum = tf.add(named[v.name]!, g);
        named[v.name]!.dispose();
        g.dispose();
        named[v.name] = sum;
      } else named[v.name] = g;
    }
  }

  /**
   * Applies the optimizer. With an alternating schedule, variables outside this step's group are put
   * back to their values afterwards: a zero gradient would not freeze them under Adam (its momentum
   * keeps moving them), and a missing one would shift Adam's per-position state.
   */
  private apply(named: tf.NamedTensorMap, step: number): void {
    const frozen: [tf.Variable, tf.Tensor][] = [];
    if (this.model.variablesForStep) {
      const active = new Set(this.model.variablesForStep(step));
      // Only the model's own variables follow its schedule; a weighting's (UW's log σ²) always train.
      for (const v of this.model.trainableVariables()) if (!active.has(v) && named[v.name]) frozen.push([v, tf.clone(v)]);
    }
    this.optimizer.applyGradients(named);
    for (const [v, value] of frozen) {
      v.assign(value);
      value.dispose();
    }
  }
}
