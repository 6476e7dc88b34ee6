/**
 * Hard parameter sharing (Caruana 1997): one shared encoder, one head per task. The most common MTL
 * architecture and the baseline the others are measured against. With a single task it is the
 * single-task baseline with the same encoder and budget.
 */
import { tfl } from '../engine/tf.js';
import { buildEncoder, buildHead, uniqueName, variablesOf, type Activation, type EncoderConfig } from './encoders.js';
import type { ArchitectureContext, MultiTaskModel } from './types.js';

export interface HpsConfig {
  encoder: EncoderConfig;
  head?: { hidden?: number[]; activation?: Activation };
}

export function hardSharing(ctx: ArchitectureContext, config: HpsConfig): MultiTaskModel {
  const encoder = buildEncoder(ctx.inputShape, config.encoder, ctx.seed);
  const repShape = encoder.outputs[0].shape.slice(1) as number[];
  const heads = ctx.tasks.map((t, i) =>
    buildHead(repShape, t.headUnits, config.head?.hidden ?? [], ctx.seed + 7919 * (i + 1), t.name, config.head?.activation),
  );
  const taskNames = ctx.tasks.map((t) => t.name);
  let combined: tfl.LayersModel | null = null;

  return {
    architecture: 'hps',
    taskNames,
    forward(x, training) {
      const representation = encoder.apply(x, { training }) as import('@tensorflow/tfjs-core').Tensor;
      const logits = heads.map((h) => h.apply(representation, { training }) as import('@tensorflow/tfjs-core').Tensor);
      return { logits, representation };
    },
    encode: (x, training) => encoder.apply(x, { training }) as import('@tensorflow/tfjs-core').Tensor,
    decode: (rep, training) => heads.map((h) => h.apply(rep, { training }) as import('@tensorflow/tfjs-core').Tensor),
    sharedVariables: () => variablesOf(encoder),
    taskVariables: (task) => variablesOf(heads[taskNames.indexOf(task)]),
    trainableVariables: () => [...variablesOf(encoder), ...heads.flatMap(variablesOf)],
    layersModel() {
      if (!combined) {
        const input = tfl.input({ shape: ctx.inputShape, name: uniqueName('input') });
        const rep = encoder.apply(input) as tfl.SymbolicTensor;
        const outs = heads.map((h) => h.apply(rep) as tfl.SymbolicTensor);
        combined = tfl.model({ inputs: input, outputs: outs, name: uniqueName('mtl_hps') });
      }
      return combined;
    },
    dispose() {
      encoder.dispose();
      heads.forEach((h) => h.dispose());
    },
  };
}
