/**
 * Elastic weight consolidation (Kirkpatrick et al. 2017). After training the old tasks to θ*, adding a
 * task trains on its data with the penalty
 *   Ω(θ) = (λ/2) Σ_i F_i (θ_i − θ*_i)²,
 * F the diagonal of the empirical Fisher information of the old tasks' log-likelihood at θ*:
 *   F_i = (1/N) Σ_n (∂/∂θ_i log p(y_n | x_n; θ*))²,
 * summed over N per-sample gradients on (a seeded sample of) the old tasks' training data. The
 * log-likelihood of a sample is −Σ_old tasks' loss on it (independent tasks): exactly the negative
 * log-likelihood for sigmoid / softmax cross-entropy; for an MSE regression head it is 2× the Gaussian
 * NLL with unit variance (a constant factor, absorbed by λ); a multilabel head's loss is the mean over
 * its labels (the NLL divided by the number of labels).
 */
import { tf } from '../engine/tf.js';
import type { Dataset } from '../data/types.js';
import { shuffleIndices } from '../data/split.js';
import type { MultiTaskModel } from '../models/types.js';
import type { Task } from '../tasks/types.js';
import { disposeBatch, makeBatch, prepare, type Batch } from '../train/batches.js';

export interface FisherDiagonal {
  variables: tf.Variable[];
  /** F per variable (same shapes). */
  fisher: tf.Tensor[];
  /** θ* per variable. */
  anchor: tf.Tensor[];
  /** Number of per-sample gradients averaged. */
  samples: number;
}

export interface FisherOptions {
  /** At most this many samples (a seeded random subset of the rows with a label for an old task). Default 512. */
  samples?: number;
  seed?: number;
  /** Parameters to estimate F for (default: model.trainableVariables()). */
  variables?: tf.Variable[];
}

/**
 * Diagonal empirical Fisher of `tasks` (the model's heads, in order) at the model's current
 * parameters, from per-sample squared gradients on `data`.
 */
export function diagonalFisher(model: MultiTaskModel, tasks: Task[], data: Dataset, options: FisherOptions = {}): FisherDiagonal {
  const variables = options.variables ?? model.trainableVariables();
  const prepared = prepare(data, tasks.map((t) => t.name));
  const labelled: number[] = [];
  for (let i = 0; i < data.n; i++) if (prepared.tasks.some((t) => t.mask[i * t.width] === 1)) labelled.push(i);
  const order = shuffleIndices(labelled.length, (options.seed ?? 0) * 7919 + 5).map((k) => labelled[k]!);
  const rows = order.slice(0, Math.min(options.samples ?? 512, order.length));
  if (!rows.length) throw new Error('diagonalFisher: no labelled sample for the given tasks');
  let sums: tf.Tensor[] = variables.map((v) => tf.zerosLike(v));
  for (const r of rows) {
    const batch = makeBatch(prepared, [r]);
    const { value, grads } = tf.variableGrads(() => {
      const { logits } = model.forward(batch.x, false);
      return tf.addN(tasks.map((t, i) => t.loss(logits[i]!, batch.labels[i]!, batch.masks[i]!))) as tf.Scalar;
    }, variables);
    const next = variables.map((v, i) => tf.tidy(() => (grads[v.name] ? tf.add(sums[i]!, tf.square(grads[v.name]!)) : sums[i]!.clone())));
    sums.forEach((s) => s.dispose());
    sums = next;
    value.dispose();
    Object.values(grads).forEach((g) => g.dispose());
    disposeBatch(batch);
  }
  const fisher = sums.map((s) => tf.tidy(() => tf.div(s, rows.length)));
  sums.forEach((s) => s.dispose());
  return { variables, fisher, anchor: variables.map((v) => tf.clone(v)), samples: rows.length };
}

/** Ω(θ) = (λ/2) Σ_i F_i (θ_i − θ*_i)² as a scalar tensor (differentiable in the variables). */
export function ewcPenaltyValue(f: FisherDiagonal, lambda: number): tf.Scalar {
  return tf.tidy(() => {
    const terms = f.variables.map((v, i) => tf.sum(tf.mul(f.fisher[i]!, tf.square(tf.sub(v, f.anchor[i]!)))));
    return tf.mul(lambda / 2, tf.addN(terms)) as tf.Scalar;
  });
}

/** The penalty in the form of TrainerOptions.penalties. */
export function ewcPenalty(f: FisherDiagonal, lambda: number): (batch: Batch, logits: tf.Tensor[]) => tf.Tensor {
  return () => ewcPenaltyValue(f, lambda);
}

export function disposeFisher(f: FisherDiagonal): void {
  f.fisher.forEach((t) => t.dispose());
  f.anchor.forEach((t) => t.dispose());
}

/** Summary numbers of F (for reports): total, max and mean entry. */
export function fisherSummary(f: FisherDiagonal): { sum: number; max: number; mean: number; parameters: number } {
  let sum = 0, max = 0, count = 0;
  for (const t of f.fisher) {
    const v = t.dataSync();
    for (let i = 0; i < v.length; i++) { sum += v[i]!; max = Math.max(max, v[i]!); }
    count += v.length;
  }
  return { sum, max, mean: count ? sum / count : 0, parameters: count };
}
