/**
 * TokenDense (src/models/text/layers.ts) equals tfjs-layers' Dense on a 3-D input with the same seed:
 * the same initial weights, outputs and gradients within 1e-5, linear and relu; it saves and loads.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../src/engine/backend.js';
import { tf, tfl } from '../../../src/engine/tf.js';
import { TokenDense } from '../../../src/models/text/layers.js';
import { relDiff } from '../../helpers/engine.js';

describe('TokenDense = tfjs-layers Dense on [B, L, D]', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });

  for (const activation of ['linear', 'relu'] as const) {
    it(`${activation}: same initial weights, outputs and gradients`, () => {
      const x = tf.randomNormal([3, 6, 5], 0, 1, 'float32', 1);
      const r = tf.randomNormal([3, 6, 4], 0, 1, 'float32', 2);
      const dense = tfl.layers.dense({ units: 4, activation, kernelInitializer: tfl.initializers.glorotUniform({ seed: 7 }) });
      const token = new TokenDense({ units: 4, activation, seed: 7 });
      tf.tidy(() => { dense.apply(x); token.apply(x); });
      expect(relDiff(dense.getWeights()[0]!.dataSync(), token.getWeights()[0]!.dataSync())).toBe(0);
      // A non-zero bias, so that its gradient and the relu mask matter.
      const bias = tf.randomNormal([4], 0, 1, 'float32', 3);
      dense.setWeights([dense.getWeights()[0]!, bias]);
      token.setWeights([token.getWeights()[0]!, bias]);
      const run = (layer: tfl.layers.Layer) => tf.tidy(() => {
        const vars = layer.trainableWeights.map((w) => w.read() as tf.Variable);
        const f = () => tf.sum(tf.mul(layer.apply(x) as tf.Tensor, r)) as tf.Scalar;
        const { value, grads } = tf.variableGrads(f, vars);
        const dx = tf.grad((xx: tf.Tensor) => tf.sum(tf.mul(layer.apply(xx) as tf.Tensor, r)))(x);
        return [value, dx, ...vars.map((v) => grads[v.name]!)].map((t) => Float32Array.from(t.dataSync()));
      });
      const want = run(dense);
      const got = run(token);
      want.forEach((w, i) => expect(relDiff(w, got[i]!)).toBeLessThan(1e-5));
      tf.dispose([x, r, bias]);
      dense.dispose();
      token.dispose();
    });
  }

  it('a model with it saves and loads (same predictions)', async () => {
    const input = tfl.input({ shape: [6, 5] });
    const model = tfl.model({ inputs: input, outputs: new TokenDense({ units: 3, activation: 'relu', seed: 5 }).apply(input) as tfl.SymbolicTensor });
    let artifacts: tf.io.ModelArtifacts | null = null;
    await model.save(tf.io.withSaveHandler(async (a) => {
      artifacts = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }));
    const loaded = await tfl.loadLayersModel(tf.io.fromMemory(artifacts!));
    const x = tf.randomNormal([2, 6, 5], 0, 1, 'float32', 9);
    const a = tf.tidy(() => Float32Array.from((model.predict(x) as tf.Tensor).dataSync()));
    const b = tf.tidy(() => Float32Array.from((loaded.predict(x) as tf.Tensor).dataSync()));
    expect(b).toEqual(a);
    expect(loaded.layers.some((l) => l.getClassName() === 'MtlTokenDense')).toBe(true);
    x.dispose();
    model.dispose();
    loaded.dispose();
  });
});
