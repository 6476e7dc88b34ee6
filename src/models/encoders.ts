/**
 * Shared encoders: a configurable MLP, a small CNN, or any tf.LayersModel the user passes. Each is built
 * as its own LayersModel (input → representation) so architectures can call it once per batch and
 * per-task gradients can be taken with respect to its output.
 */
import { tfl } from '../engine/tf.js';

export type Activation = 'relu' | 'tanh' | 'elu' | 'selu' | 'sigmoid' | 'linear' | 'swish' | 'gelu';

export interface MlpEncoderConfig {
  type: 'mlp';
  hidden: number[];
  activation?: Activation;
  dropout?: number;
}

export interface CnnEncoderConfig {
  type: 'cnn';
  /** Convolution blocks: filters, square kernel size, optional 2×2 max-pool after the block. */
  conv: { filters: number; kernel: number; pool?: boolean }[];
  dense: number[];
  activation?: Activation;
  dropout?: number;
}

export interface CustomEncoderConfig {
  type: 'custom';
  model: tfl.LayersModel;
}

export type EncoderConfig = MlpEncoderConfig | CnnEncoderConfig | CustomEncoderConfig;

/** Deterministic Glorot-uniform initialiser: each layer gets its own seed derived from the run seed. */
export function seededInit(seed: number) {
  return tfl.initializers.glorotUniform({ seed });
}

let modelCounter = 0;
/** tfjs-layers needs globally unique layer names inside one process; prefix + counter gives that. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${++modelCounter}`;
}

export function buildEncoder(inputShape: number[], config: EncoderConfig, seed: number, prefix = 'shared'): tfl.LayersModel {
  if (config.type === 'custom') return config.model;
  const input = tfl.input({ shape: inputShape, name: uniqueName(`${prefix}_input`) });
  let h: tfl.SymbolicTensor = input;
  const act = config.activation ?? 'relu';
  let layerSeed = seed * 1000 + 1;
  if (config.type === 'cnn') {
    if (inputShape.length !== 3) throw new Error(`cnn encoder needs an input shape [h, w, c], got [${inputShape.join(', ')}]`);
    for (const block of config.conv) {
      h = tfl.layers.conv2d({
        filters: block.filters, kernelSize: block.kernel, activation: act, padding: 'valid',
        kernelInitializer: seededInit(layerSeed++), name: uniqueName(`${prefix}_conv`),
      }).apply(h) as tfl.SymbolicTensor;
      if (block.pool) h = tfl.layers.maxPooling2d({ poolSize: 2, name: uniqueName(`${prefix}_pool`) }).apply(h) as tfl.SymbolicTensor;
    }
    h = tfl.layers.flatten({ name: uniqueName(`${prefix}_flatten`) }).apply(h) as tfl.SymbolicTensor;
  } else if (inputShape.length !== 1) {
    h = tfl.layers.flatten({ name: uniqueName(`${prefix}_flatten`) }).apply(h) as tfl.SymbolicTensor;
  }
  const dense = config.type === 'cnn' ? config.dense : config.hidden;
  for (const units of dense) {
    h = tfl.layers.dense({ units, activation: act, kernelInitializer: seededInit(layerSeed++), name: uniqueName(`${prefix}_dense`) }).apply(h) as tfl.SymbolicTensor;
    if (config.dropout && config.dropout > 0) {
      h = tfl.layers.dropout({ rate: config.dropout, name: uniqueName(`${prefix}_dropout`) }).apply(h) as tfl.SymbolicTensor;
    }
  }
  return tfl.model({ inputs: input, outputs: h, name: uniqueName(`${prefix}_encoder`) });
}

/** A task head: optional hidden layers, then a linear layer of `units` logits. */
export function buildHead(repShape: number[], units: number, hidden: number[], seed: number, task: string, activation: Activation = 'relu'): tfl.LayersModel {
  const safe = task.replace(/[^A-Za-z0-9_]/g, '_');
  const input = tfl.input({ shape: repShape, name: uniqueName(`head_${safe}_input`) });
  let h: tfl.SymbolicTensor = input;
  let layerSeed = seed * 1000 + 501;
  for (const u of hidden) {
    h = tfl.layers.dense({ units: u, activation, kernelInitializer: seededInit(layerSeed++), name: uniqueName(`head_${safe}_dense`) }).apply(h) as tfl.SymbolicTensor;
  }
  const out = tfl.layers.dense({ units, kernelInitializer: seededInit(layerSeed++), name: uniqueName(`head_${safe}_logits`) }).apply(h) as tfl.SymbolicTensor;
  return tfl.model({ inputs: input, outputs: out, name: uniqueName(`head_${safe}`) });
}

export function variablesOf(model: tfl.LayersModel) {
  return model.trainableWeights.map((w) => w.read() as import('@tensorflow/tfjs-core').Variable);
}
