/**
 * A task = its spec from the dataset + how to train and judge it: a head size, a masked loss on logits
 * and metrics on predictions. Every kind implements this one interface, so the trainer never branches
 * on the kind.
 */
import type { Tensor } from '../engine/tf.js';
import type { TaskKind, TaskSpec } from '../data/types.js';

export type Metrics = Record<string, number>;

export interface Task {
  readonly spec: TaskSpec;
  readonly name: string;
  readonly kind: TaskKind;
  /** Units of the head's final layer (its logits). */
  readonly headUnits: number;
  /** The metric used for early stopping and Δm%. */
  readonly primary: string;
  readonly higherIsBetter: boolean;
  /**
   * Mean loss over the labelled entries only. `labels` holds the raw label values with NaN already
   * replaced by 0 and `mask` is 1 where a label exists (both [B, width]); `logits` is the head output.
   */
  loss(logits: Tensor, labels: Tensor, mask: Tensor): Tensor;
  /** Turns logits into predictions in label units (probabilities, class scores, real values). */
  predict(logits: Tensor): Tensor;
  /** Metrics of predictions (n × headUnits, from `predict`) against raw labels (n × width, NaN = missing). */
  metrics(pred: Float32Array, labels: Float32Array, n: number): Metrics;
  /** JSON-serialisable state a saved model needs (e.g. target scaling), restored by the registry. */
  state(): Record<string, unknown>;
}

/** Sum of `values * mask` over the batch divided by the number of labelled entries (≥ 1). */
export type MaskedMean = (values: Tensor, mask: Tensor) => Tensor;
