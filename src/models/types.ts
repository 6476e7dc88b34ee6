/**
 * The contract between architectures and the trainer. An architecture owns its layers and says which
 * variables are shared between tasks and which belong to one task, so the trainer (L2 on shared
 * parameters, per-task gradients) never needs to know how parameters are shared.
 */
import type { Tensor, tf, tfl } from '../engine/tf.js';
import type { Task } from '../tasks/types.js';

export interface ForwardResult {
  /** One logits tensor per task, in the model's task order. */
  logits: Tensor[];
  /** The shared representation, where the architecture has exactly one (hard sharing). */
  representation?: Tensor;
}

export interface MultiTaskModel {
  readonly architecture: string;
  readonly taskNames: string[];
  forward(x: Tensor, training: boolean): ForwardResult;
  /**
   * Architectures with one shared representation split the forward pass in two, so gradient methods
   * can work on representation gradients (rep-grad): forward = decode(encode(x)).
   */
  encode?(x: Tensor, training: boolean): Tensor;
  decode?(representation: Tensor, training: boolean): Tensor[];
  /** Parameters used by every task. */
  sharedVariables(): tf.Variable[];
  /** Parameters used by one task only. */
  taskVariables(task: string): tf.Variable[];
  /** All trainable variables in a fixed order (optimizer state and checkpoints rely on it). */
  trainableVariables(): tf.Variable[];
  /** A penalty the architecture adds to the objective (e.g. λ_t‖v_t‖² of task-specific parts); inside the tape. */
  regularization?(): Tensor;
  /**
   * Architectures with an alternating schedule name the variables a step may update (others stay
   * fixed for that step); default: all of trainableVariables().
   */
  variablesForStep?(step: number): tf.Variable[];
  /** One tfjs LayersModel mapping inputs to every task's logits, for saving and inference. */
  layersModel(): tfl.LayersModel;
  dispose(): void;
}

export interface ArchitectureContext {
  inputShape: number[];
  tasks: Task[];
  seed: number;
}

export type ArchitectureFactory = (ctx: ArchitectureContext, config: Record<string, unknown>) => MultiTaskModel;
