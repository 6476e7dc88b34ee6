/**
 * Task kinds by name. `createTask` turns a dataset's TaskSpec (plus per-task options from the config
 * and, for fitted state such as regression target scaling, the training labels) into a Task.
 * A new kind = one file + one line here.
 */
import { z } from 'zod';
import type { TaskKind, TaskSpec } from '../data/types.js';
import { Registry } from '../util/registry.js';
import { binaryTask } from './binary.js';
import { boxTask } from './box.js';
import { multiclassTask } from './multiclass.js';
import { multilabelTask } from './multilabel.js';
import { fitTargetScaling, regressionTask } from './regression.js';
import { sequenceTask } from './sequence.js';
import { ctcTask } from './ctc.js';
import { generateTask } from './generate.js';
import type { Task } from './types.js';

export interface TaskOptions {
  /** Regression: 'mse' | 'l1'. */
  loss?: 'mse' | 'l1';
  /** Saved state (from Task.state()) to restore instead of fitting. */
  state?: Record<string, unknown>;
}

/**
 * The options every kind is given (callers pass a config's per-task settings and a saved state to
 * tasks of any kind; each kind reads what applies to it: regression `loss` and `state`, box `state`).
 */
export const taskOptionsSchema = z.strictObject({
  loss: z.enum(['mse', 'l1']).optional(),
  state: z.record(z.string(), z.unknown()).optional(),
});

type Factory = (spec: TaskSpec, options: TaskOptions, trainLabels?: { values: Float32Array; n: number }) => Task;

export const TASK_KINDS_REGISTRY = new Registry<Factory>({ kind: 'task kind' })
  .register('multiclass', (spec) => multiclassTask(spec), taskOptionsSchema)
  .register('binary', (spec) => binaryTask(spec), taskOptionsSchema)
  .register('multilabel', (spec) => multilabelTask(spec), taskOptionsSchema)
  .register('box', (spec, o) => boxTask(spec, o.state as { beta?: number } | undefined), taskOptionsSchema)
  .register('sequence', (spec) => sequenceTask(spec), taskOptionsSchema)
  .register('ctc', (spec, o) => ctcTask(spec, o.state), taskOptionsSchema)
  .register('generate', (spec) => generateTask(spec), taskOptionsSchema)
  .register('regression', (spec, o, train) => {
    const saved = o.state as { mean?: number[]; std?: number[]; loss?: 'mse' | 'l1' } | undefined;
    const scaling = saved?.mean ? { mean: saved.mean, std: saved.std } : train ? fitTargetScaling(train.values, train.n, spec.width) : {};
    return regressionTask(spec, { loss: o.loss ?? saved?.loss, ...scaling });
  }, taskOptionsSchema);

/** The registered task kinds (a dataset's specs use the built-in ones, data/types.ts TASK_KINDS). */
export function taskKindNames(): TaskKind[] {
  return TASK_KINDS_REGISTRY.names() as TaskKind[];
}

export function createTask(spec: TaskSpec, options: TaskOptions = {}, trainLabels?: { values: Float32Array; n: number }): Task {
  if (!TASK_KINDS_REGISTRY.has(spec.kind)) throw new Error(`task "${spec.name}": ${TASK_KINDS_REGISTRY.unknownName(spec.kind).message}`);
  const errors = TASK_KINDS_REGISTRY.optionErrors(spec.kind, options);
  if (errors.length) throw new Error(`task "${spec.name}": ${errors.join('; ')}`);
  return TASK_KINDS_REGISTRY.get(spec.kind)(spec, options, trainLabels);
}

export type { Task } from './types.js';
