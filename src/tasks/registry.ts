/**
 * Task kinds by name. `createTask` turns a dataset's TaskSpec (plus per-task options from the config
 * and, for fitted state such as regression target scaling, the training labels) into a Task.
 * A new kind = one file + one line here.
 */
import type { TaskKind, TaskSpec } from '../data/types.js';
import { binaryTask } from './binary.js';
import { boxTask } from './box.js';
import { multiclassTask } from './multiclass.js';
import { multilabelTask } from './multilabel.js';
import { fitTargetScaling, regressionTask } from './regression.js';
import { sequenceTask } from './sequence.js';
import type { Task } from './types.js';

export interface TaskOptions {
  /** Regression: 'mse' | 'l1'. */
  loss?: 'mse' | 'l1';
  /** Saved state (from Task.state()) to restore instead of fitting. */
  state?: Record<string, unknown>;
}

type Factory = (spec: TaskSpec, options: TaskOptions, trainLabels?: { values: Float32Array; n: number }) => Task;

const FACTORIES: Record<TaskKind, Factory> = {
  multiclass: (spec) => multiclassTask(spec),
  binary: (spec) => binaryTask(spec),
  multilabel: (spec) => multilabelTask(spec),
  box: (spec, o) => boxTask(spec, o.state as { beta?: number } | undefined),
  sequence: (spec) => sequenceTask(spec),
  regression: (spec, o, train) => {
    const saved = o.state as { mean?: number[]; std?: number[]; loss?: 'mse' | 'l1' } | undefined;
    const scaling = saved?.mean ? { mean: saved.mean, std: saved.std } : train ? fitTargetScaling(train.values, train.n, spec.width) : {};
    return regressionTask(spec, { loss: o.loss ?? saved?.loss, ...scaling });
  },
};

export function createTask(spec: TaskSpec, options: TaskOptions = {}, trainLabels?: { values: Float32Array; n: number }): Task {
  const factory = FACTORIES[spec.kind];
  if (!factory) throw new Error(`unknown task kind "${spec.kind}" for task "${spec.name}"`);
  return factory(spec, options, trainLabels);
}

export type { Task } from './types.js';
