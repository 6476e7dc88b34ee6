/**
 * A view of a multi-task model that exposes some of its heads: `forward` returns the logits of the
 * chosen tasks only, and the trainable variables are the shared ones, the chosen heads' and those of
 * `alsoTrain` (heads that only a penalty trains, e.g. the old heads under LwF). The view shares the
 * underlying variables, so training through it changes the model; it owns nothing (dispose is a no-op).
 * Used to train a model task by task: build it with every head, train the old heads' view, then the
 * new heads' view.
 */
import type { MultiTaskModel } from '../models/types.js';

export function headView(model: MultiTaskModel, taskNames: string[], options: { alsoTrain?: string[]; trainShared?: boolean } = {}): MultiTaskModel {
  const index = taskNames.map((name) => {
    const i = model.taskNames.indexOf(name);
    if (i < 0) throw new Error(`headView: the model has no task "${name}" (it has ${model.taskNames.join(', ')})`);
    return i;
  });
  const pick = <T>(all: T[]): T[] => index.map((i) => all[i]!);
  const trained = [...taskNames, ...(options.alsoTrain ?? []).filter((t) => !taskNames.includes(t))];
  const view: MultiTaskModel = {
    architecture: model.architecture,
    taskNames: [...taskNames],
    forward(x, training) {
      const r = model.forward(x, training);
      return { logits: pick(r.logits), representation: r.representation };
    },
    sharedVariables: () => model.sharedVariables(),
    taskVariables: (task) => model.taskVariables(task),
    trainableVariables: () => [...(options.trainShared === false ? [] : model.sharedVariables()), ...trained.flatMap((t) => model.taskVariables(t))],
    layersModel: () => model.layersModel(),
    dispose() {},
  };
  if (model.regularization) view.regularization = () => model.regularization!();
  if (model.encode && model.decode) {
    view.encode = (x, training) => model.encode!(x, training);
    view.decode = (rep, training) => pick(model.decode!(rep, training));
  }
  return view;
}
