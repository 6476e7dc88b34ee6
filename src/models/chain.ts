/**
 * A faster forward pass for the encoders and heads mtljs builds (src/models/encoders.ts): a
 * tfl.LayersModel that is a chain (one input, each layer fed by the one before) is run layer by layer,
 * with its Dense and Conv2D layers (relu or linear, channels-last, no dilation) as the fused ops of
 * src/engine/fused.ts — one tape node per layer with lazy gradients, instead of tfjs-layers' product,
 * bias add and activation (tfjs fuses them only outside gradient computations) — and every other layer
 * (Flatten, MaxPooling2D, Dropout, …) applied as tfjs-layers' executor applies it, with the same
 * `training` flag. The variables are the layers' own, so gradients, optimizers, checkpoints and saved
 * models are unchanged, and the values are the plain model's to float rounding (test/models/chain.test.ts).
 *
 * `compileChain` returns null for anything else (several inputs or outputs, a layer fed by two, a user's
 * custom model of another shape): the caller keeps model.apply. At run time, an input of another shape
 * than the model's, or a nested gradient computation (fusedOpsUsable), goes to model.apply too.
 */
import { fusedConv2d, fusedDense, fusedOpsUsable, type FusedActivation } from '../engine/fused.js';
import { tf, tfl, type Tensor } from '../engine/tf.js';

type Layer = tfl.layers.Layer;
type Step = (x: Tensor, training: boolean) => Tensor;

const FUSABLE_ACTIVATIONS = new Set<string>(['relu', 'linear']);

/** The layer's weight whose name ends in /<name> (tfjs-layers names them kernel and bias). */
function weight(layer: Layer, name: string): tfl.LayerVariable | null {
  return layer.weights.find((w) => w.originalName === `${layer.name}/${name}` || w.originalName.endsWith(`/${name}`)) ?? null;
}

function activationName(config: Record<string, unknown>): string | null {
  const a = config.activation;
  return typeof a === 'string' ? a : null;
}

const pair = (v: unknown): [number, number] | null =>
  Array.isArray(v) && v.length === 2 && v.every((n) => Number.isInteger(n)) ? [v[0] as number, v[1] as number] : typeof v === 'number' ? [v, v] : null;

/** The layer applied as tfjs-layers' executor applies it (execute() in engine/executor.ts). */
function generic(layer: Layer): Step {
  return (x, training) => layer.apply([x], { training }) as Tensor;
}

function denseStep(layer: Layer): Step | null {
  const c = layer.getConfig() as Record<string, unknown>;
  const act = activationName(c);
  const kernel = weight(layer, 'kernel');
  const bias = c.useBias === false ? null : weight(layer, 'bias');
  if (act == null || !FUSABLE_ACTIVATIONS.has(act) || kernel == null || (c.useBias !== false && bias == null)) return null;
  const fallback = generic(layer);
  return (x, training) => {
    if (x.rank < 2 || x.dtype !== 'float32') return fallback(x, training);
    if (x.rank === 2) return fusedDense(x, kernel.read(), bias ? bias.read() : null, act as FusedActivation);
    // Rank > 2 (per-token heads, [B, L, D]): a Dense acts on the last axis, so on the rows of [B·L, D].
    const rows = tf.reshape(x, [-1, x.shape[x.rank - 1]!]);
    const y = fusedDense(rows, kernel.read(), bias ? bias.read() : null, act as FusedActivation);
    return tf.reshape(y, [...x.shape.slice(0, -1), y.shape[1]!]);
  };
}

function conv2dStep(layer: Layer): Step | null {
  const c = layer.getConfig() as Record<string, unknown>;
  const act = activationName(c);
  const kernel = weight(layer, 'kernel');
  const bias = c.useBias === false ? null : weight(layer, 'bias');
  const strides = pair(c.strides);
  const dilations = pair(c.dilationRate ?? 1);
  const padding = c.padding;
  if (act == null || !FUSABLE_ACTIVATIONS.has(act) || kernel == null || (c.useBias !== false && bias == null)) return null;
  if (c.dataFormat !== 'channelsLast' || strides == null || dilations == null || dilations[0] !== 1 || dilations[1] !== 1) return null;
  if (padding !== 'valid' && padding !== 'same') return null;
  const fallback = generic(layer);
  return (x, training) => {
    if (x.rank !== 4 || x.dtype !== 'float32') return fallback(x, training);
    return fusedConv2d(x, kernel.read(), bias ? bias.read() : null, { strides, pad: padding, activation: act as FusedActivation });
  };
}

function stepOf(layer: Layer): Step {
  const cls = layer.getClassName();
  const fused = cls === 'Dense' ? denseStep(layer) : cls === 'Conv2D' ? conv2dStep(layer) : null;
  return fused ?? generic(layer);
}

/**
 * The model's forward pass as a chain of fused layer steps, or null when the model is not a chain of
 * single-input layers. The returned function behaves as `model.apply(x, { training })`.
 */
export function compileChain(model: tfl.LayersModel): ((x: Tensor, training: boolean) => Tensor) | null {
  if (model.inputs.length !== 1 || model.outputs.length !== 1) return null;
  const input = model.inputs[0]!;
  const layers: Layer[] = [];
  let t = model.outputs[0]!;
  while (t !== input) {
    const layer = t.sourceLayer as Layer;
    if (layer == null || layer.getClassName() === 'InputLayer' || t.inputs == null || t.inputs.length !== 1) return null;
    // A layer with several outputs, or a nested model, is not a chain link (t.inputs are those of the
    // node that made t, so a layer applied elsewhere too is fine).
    if (t.outputTensorIndex != null && t.outputTensorIndex !== 0) return null;
    if (layer instanceof tfl.LayersModel) return null;
    layers.unshift(layer);
    t = t.inputs[0]!;
  }
  if (layers.length === 0) return null;
  const steps = layers.map(stepOf);
  const inputShape = input.shape.slice(1);
  const fits = (x: Tensor) => x.rank === inputShape.length + 1 && inputShape.every((d, i) => d == null || d === x.shape[i + 1]);
  return (x, training) => {
    // Anything unexpected takes the model's own path (and its checks and error messages).
    if (!fits(x) || !fusedOpsUsable()) return model.apply(x, { training }) as Tensor;
    return tf.tidy(() => {
      let h = x;
      for (const step of steps) h = step(h, training);
      // The model's own path returns a new tensor even for an empty chain; so does this (h !== x here).
      return h;
    });
  };
}
