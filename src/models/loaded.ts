/**
 * A MultiTaskModel around a LayersModel read from disk (model.json): inference only, used by
 * `mtl eval` and the server, which need neither the trainer nor the original config.
 */
import type { tf, tfl } from '../engine/tf.js';
import type { MultiTaskModel } from './types.js';

export function loadedModel(model: tfl.LayersModel, taskNames: string[], architecture: string): MultiTaskModel {
  if (model.outputs.length !== taskNames.length) {
    throw new Error(`saved model has ${model.outputs.length} outputs but the manifest names ${taskNames.length} tasks`);
  }
  const vars = () => model.trainableWeights.map((w) => w.read() as tf.Variable);
  return {
    architecture,
    taskNames,
    forward(x, training) {
      const out = model.apply(x, { training }) as tf.Tensor | tf.Tensor[];
      return { logits: Array.isArray(out) ? out : [out] };
    },
    sharedVariables: () => [],
    taskVariables: () => [],
    trainableVariables: vars,
    layersModel: () => model,
    dispose: () => model.dispose(),
  };
}
