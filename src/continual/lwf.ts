/**
 * Learning without forgetting (Li & Hoiem 2016). Before training the new task, the old heads' outputs
 * on the new task's data are recorded; training then adds a distillation loss keeping the current old
 * heads' outputs close to them:
 *   binary / multilabel heads   Bernoulli KL(σ(ẑ/T) ‖ σ(z/T)) per output
 *   multiclass heads            KL(softmax(ẑ/T) ‖ softmax(z/T))
 *   regression / box heads      MSE(z, ẑ)                             (on the heads' raw outputs)
 * (ẑ the recorded outputs, z the current ones) with temperature T = 2 (Li & Hoiem), averaged over the batch, weighted by λ_o (default 1) and summed
 * over old tasks. The KL is the paper's (temperature-scaled) cross-entropy minus the constant entropy
 * of the recorded outputs: same gradient, and 0 when the outputs are unchanged.
 * "Recorded" outputs come from a frozen copy of the model before training (the teacher), evaluated
 * on each batch: the same numbers as recording them up front, without bookkeeping rows.
 */
import { tf, type Tensor } from '../engine/tf.js';
import type { MultiTaskModel } from '../models/types.js';
import type { Task } from '../tasks/types.js';
import type { Batch } from '../train/batches.js';

/** log σ(x) = −softplus(−x), stable. */
function logSigmoid(x: Tensor): Tensor {
  return tf.neg(tf.softplus(tf.neg(x)));
}

/** The distillation loss between recorded (teacher) and current (student) logits of one head. */
export function distillationLoss(kind: Task['kind'], student: Tensor, teacher: Tensor, temperature = 2): Tensor {
  return tf.tidy(() => {
    // The teacher's logits come from other variables (a frozen copy): no gradient reaches them.
    const t = teacher;
    switch (kind) {
      case 'binary':
      case 'multilabel': {
        const a = tf.div(t, temperature), b = tf.div(student, temperature);
        const p = tf.sigmoid(a);
        const kl = tf.add(
          tf.mul(p, tf.sub(logSigmoid(a), logSigmoid(b))),
          tf.mul(tf.sub(1, p), tf.sub(logSigmoid(tf.neg(a)), logSigmoid(tf.neg(b)))),
        );
        return tf.mean(kl);
      }
      case 'multiclass': {
        const la = tf.logSoftmax(tf.div(t, temperature)), lb = tf.logSoftmax(tf.div(student, temperature));
        return tf.mean(tf.sum(tf.mul(tf.exp(la), tf.sub(la, lb)), 1));
      }
      default:
        return tf.mean(tf.square(tf.sub(student, t)));
    }
  });
}

export interface LwfOptions {
  /** λ_o, weight of the distillation loss. Default 1. */
  lambda?: number;
  temperature?: number;
}

/**
 * The LwF penalty for TrainerOptions.penalties: `student` and `teacher` are views of the old heads
 * (src/continual/heads.ts) of the model being trained and of its frozen copy; `tasks` the old tasks.
 */
export function lwfPenalty(student: MultiTaskModel, teacher: MultiTaskModel, tasks: Task[], options: LwfOptions = {}): (batch: Batch, logits: Tensor[]) => Tensor {
  const lambda = options.lambda ?? 1, temperature = options.temperature ?? 2;
  return (batch) => {
    const old = student.forward(batch.x, true).logits;
    const recorded = teacher.forward(batch.x, false).logits;
    return tf.mul(lambda, tf.addN(tasks.map((t, i) => distillationLoss(t.kind, old[i]!, recorded[i]!, temperature))));
  };
}
