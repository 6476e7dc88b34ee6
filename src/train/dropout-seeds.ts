/**
 * Reproducible dropout. A tfjs-layers Dropout layer draws its mask with tf.dropout(x, rate, noiseShape,
 * this.seed): with a fixed seed it repeats the same mask every step, without one it draws from
 * Math.random, so a run cannot be repeated. The trainer gives every Dropout layer of the model a fresh
 * seed before each step, from the run's seed, the layer's position in the model and the global step:
 * a new mask each step, the same numbers for the same seed, and a resumed run draws what the
 * uninterrupted one drew. The layers stay the standard class (saved models load anywhere). The seed
 * is a private field of tfjs-layers' Dropout, set through src/engine/tfjs-internals.ts.
 */
import type { tfl } from '../engine/tf.js';
import { isDropoutLayer, setDropoutSeed } from '../engine/tfjs-internals.js';
import { fmix32 } from '../util/fmix32.js';

type Layer = tfl.layers.Layer;

/** The Dropout layers of a model, nested models included, each once, in a fixed order. */
export function dropoutLayers(model: tfl.LayersModel): Layer[] {
  const found: Layer[] = [];
  const seen = new Set<Layer>();
  const visit = (layer: Layer) => {
    if (seen.has(layer)) return;
    seen.add(layer);
    if (isDropoutLayer(layer)) found.push(layer);
    // A nested model (a LayersModel is a Layer) lists its own layers.
    for (const inner of (layer as { layers?: Layer[] }).layers ?? []) visit(inner);
  };
  visit(model);
  return found;
}

/** A 31-bit seed mixed from the run seed, the global step and the layer's index (a murmur3-style finaliser). */
export function dropoutSeed(runSeed: number, step: number, layer: number): number {
  return fmix32(Math.imul(runSeed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(step + 1, 0xc2b2ae35) ^ Math.imul(layer + 1, 0x27d4eb2f)) >>> 1;
}

export function reseedDropout(layers: Layer[], runSeed: number, step: number): void {
  layers.forEach((layer, i) => setDropoutSeed(layer, dropoutSeed(runSeed, step, i)));
}
