/**
 * The MultiTaskModel of one shared encoder followed by one head per task — hard parameter sharing,
 * whatever builds the encoder (hps: an MLP/CNN; text-hps: a sequence encoder; fusion: views fused into
 * one representation). forward = decode(encode(x)), with the encoder's output as the shared
 * representation, so rep-grad methods apply to every such model. Encoder and heads that are chains
 * of layers (the MLP and CNN encoders, the heads) run through src/models/chain.ts (fused layer ops).
 */
import { tfl, type Tensor } from '../engine/tf.js';
import { compileChain } from './chain.js';
import { uniqueName, variablesOf } from './encoders.js';
import type { ArchitectureContext, MultiTaskModel } from './types.js';

export function encoderWithHeads(
  architecture: string, ctx: ArchitectureContext, encoder: tfl.LayersModel, heads: tfl.LayersModel[],
  options: { dispose?: () => void } = {},
): MultiTaskModel {
  const taskNames = ctx.tasks.map((t) => t.name);
  let combined: tfl.LayersModel | null = null;
  const apply = (m: tfl.LayersModel) => compileChain(m) ?? ((x: Tensor, training: boolean) => m.apply(x, { training }) as Tensor);
  const encodeWith = apply(encoder);
  const headsWith = heads.map(apply);
  const encode = (x: Tensor, training: boolean) => encodeWith(x, training);
  const decode = (rep: Tensor, training: boolean) => headsWith.map((h) => h(rep, training));
  return {
    architecture,
    taskNames,
    forward(x, training) {
      const representation = encode(x, training);
      return { logits: decode(representation, training), representation };
    },
    encode,
    decode,
    sharedVariables: () => variablesOf(encoder),
    taskVariables: (task) => {
      const i = taskNames.indexOf(task);
      if (i < 0) throw new Error(`${architecture}: unknown task "${task}"; tasks are ${taskNames.join(', ')}`);
      return variablesOf(heads[i]!);
    },
    trainableVariables: () => [...variablesOf(encoder), ...heads.flatMap(variablesOf)],
    layersModel() {
      if (!combined) {
        const input = tfl.input({ shape: ctx.inputShape, name: uniqueName('input') });
        const rep = encoder.apply(input) as tfl.SymbolicTensor;
        const outs = heads.map((h) => h.apply(rep) as tfl.SymbolicTensor);
        combined = tfl.model({ inputs: input, outputs: outs, name: uniqueName(`mtl_${architecture.replace(/[^A-Za-z0-9]/g, '_')}`) });
      }
      return combined;
    },
    // Applying the encoder and heads inside `combined` (saving, checkpoints, the trainer's dropout scan)
    // raises their tfjs-layers reference counts, after which LayersModel.dispose() would leave their
    // weights alive: dispose the weights themselves.
    dispose: options.dispose ?? (() => {
      for (const w of new Set([...encoder.weights, ...heads.flatMap((h) => h.weights)])) w.dispose();
    }),
  };
}
