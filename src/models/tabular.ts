/**
 * Embedded features for any architecture: when a table's preprocessing has embedded features
 * (categorical with `embedding`, or `ids` lists; src/data/feature-ids.ts), the model's first layer is
 * `MtlFeatureEmbedding` (./tabular-layers.ts), which looks the ids up and passes the numeric and one-hot
 * values through, and the architecture (hps, mmoe, ple, esmm, …) is built on its output as if that were
 * the input:
 *
 *     model(x) = architecture(embed(x)),   embed: [B, inputSize] → [B, dense + Σ dim]
 *
 * The embedding tables are shared parameters (every task reads them), so per-task gradient methods and
 * the L2 penalty treat them like the shared encoder. Importing this module registers the tabular layers
 * with the library's tfjs, for loading saved models.
 */
import { tf, tfl, type Tensor } from '../engine/tf.js';
import { featureWidth } from '../data/preprocess.js';
import { isEmbedded, tableRows } from '../data/feature-ids.js';
import type { PreprocessingState } from '../data/types.js';
import { embeddedWidth, tabularLayers, type EmbeddingSlot, type FeatureEmbeddingArgs } from './tabular-layers.js';
import { uniqueName } from './encoders.js';
import type { ArchitectureContext, MultiTaskModel } from './types.js';

export const { FeatureEmbedding, EsmmLogit } = tabularLayers({ tf, tfl });

/** Where each input value comes from, or null when no feature is embedded (the model reads x as it is). */
export function embeddingLayout(pre: PreprocessingState, seed: number): FeatureEmbeddingArgs | null {
  const dense: number[] = [];
  const tables: EmbeddingSlot[] = [];
  let at = 0;
  for (const f of pre.features) {
    const width = featureWidth(f);
    if (isEmbedded(f)) tables.push({ column: f.column, offset: at, length: width, pooled: f.type === 'ids', rows: tableRows(f), dim: f.embedding });
    else for (let j = 0; j < width; j++) dense.push(at + j);
    at += width;
  }
  return tables.length ? { inputSize: pre.inputSize, dense, tables, seed: seed * 1000 + 97 } : null;
}

/** `build`'s architecture on the embedded features of `layout` (see the header). */
export function withFeatureEmbedding(layout: FeatureEmbeddingArgs, ctx: ArchitectureContext, build: (ctx: ArchitectureContext) => MultiTaskModel): MultiTaskModel {
  const layer = new FeatureEmbedding({ ...layout, name: uniqueName('feature_embedding') });
  // Built by applying it to the model's input (inside the layer's name scope, so the tables are saved
  // as `<layer>/<table>`, the names a load gives them), not by calling build().
  const input = tfl.input({ shape: [layout.inputSize], name: uniqueName('input') });
  const embedded = layer.apply(input) as tfl.SymbolicTensor;
  const inner = build({ ...ctx, inputShape: [embeddedWidth(layout)] });
  const tables = () => layer.trainableWeights.map((w) => w.read() as tf.Variable);
  const embed = (x: Tensor, training: boolean): Tensor => layer.apply(x, { training }) as Tensor;
  let combined: tfl.LayersModel | null = null;
  const model: MultiTaskModel = {
    architecture: inner.architecture,
    taskNames: inner.taskNames,
    forward: (x, training) => inner.forward(embed(x, training), training),
    sharedVariables: () => [...tables(), ...inner.sharedVariables()],
    taskVariables: (task) => inner.taskVariables(task),
    trainableVariables: () => [...tables(), ...inner.trainableVariables()],
    layersModel() {
      if (!combined) {
        const out = inner.layersModel().apply(embedded) as tfl.SymbolicTensor | tfl.SymbolicTensor[];
        combined = tfl.model({ inputs: input, outputs: out, name: uniqueName(`mtl_${inner.architecture.replace(/[^A-Za-z0-9]/g, '_')}_embedded`) });
      }
      return combined;
    },
    dispose() {
      inner.dispose();
      for (const w of layer.weights) w.dispose();
    },
  };
  if (inner.encode && inner.decode) {
    const encode = inner.encode.bind(inner);
    model.encode = (x, training) => encode(embed(x, training), training);
    model.decode = inner.decode.bind(inner);
  }
  if (inner.regularization) model.regularization = inner.regularization.bind(inner);
  if (inner.variablesForStep) {
    const forStep = inner.variablesForStep.bind(inner);
    model.variablesForStep = (step) => [...tables(), ...forStep(step)];
  }
  return model;
}
