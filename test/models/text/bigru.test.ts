/**
 * The fused bidirectional GRU (src/models/text/bigru.ts, kernels src/engine/kernels/gru-sequence.ts)
 * against tfjs-layers' own bidirectional GRU over a masked embedding — the layer it replaces — with the
 * same weights: outputs and the gradients of every weight and of the input to 1e-5, on the cpu backend
 * on wasm with the JavaScript kernels and with the native addon's, with both
 * gate activations, and rows of every length (0 tokens to all). The composed-ops path (webgl, webgpu)
 * is checked the same way.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tf, tfl } from '../../../src/engine/tf.js';
import { initBackend } from '../../../src/engine/backend.js';
import { nativeKernelCalls, registerNativeKernels, setNativeKernelsEnabled } from '../../../src/engine/native/index.js';
import { BiGru, composedSequence } from '../../../src/models/text/bigru.js';
import { biGruSequence, type GruRecurrentActivation } from '../../../src/engine/kernels/gru-sequence.js';
import { relDiff } from '../../helpers/engine.js';

const B = 5, T = 7, D = 6, U = 4; // composedApply below builds a U-unit layer of this D
const LENGTHS = [7, 3, 0, 1, 5];

function ids(): tf.Tensor2D {
  const v = new Float32Array(B * T);
  LENGTHS.forEach((len, b) => { for (let t = 0; t < len; t++) v[b * T + t] = 1 + ((b * 7 + t * 3) % 11); });
  return tf.tensor2d(v, [B, T]);
}

interface Result { out: Float32Array; grads: Float32Array[] }

/** Output and d(Σ out ⊙ R)/d[x, weights…] for a layer apply function. */
function run(apply: (x: tf.Tensor) => tf.Tensor, weights: tfl.LayerVariable[], x: tf.Tensor, r: tf.Tensor): Result {
  const vars = weights.map((w) => w.read() as tf.Variable);
  const f = () => tf.sum(tf.mul(apply(x), r)) as tf.Scalar;
  const out = tf.tidy(() => Float32Array.from(apply(x).dataSync()));
  const { grads } = tf.variableGrads(f, vars);
  const dx = tf.grad((xx: tf.Tensor) => tf.sum(tf.mul(apply(xx), r)))(x);
  const res = { out, grads: [Float32Array.from(dx.dataSync()), ...vars.map((v) => Float32Array.from(grads[v.name]!.dataSync()))] };
  tf.dispose([dx, ...Object.values(grads)]);
  return res;
}

function compare(act: GruRecurrentActivation, composed = false): number {
  const x = tf.randomNormal([B, T, D], 0, 1, 'float32', 3);
  const r = tf.randomNormal([B, T, 2 * U], 0, 1, 'float32', 4);
  const tokenIds = ids();
  const mask = tf.notEqual(tokenIds, 0);
  const reference = tfl.layers.bidirectional({
    layer: tfl.layers.gru({ units: U, returnSequences: true, recurrentActivation: act, kernelInitializer: tfl.initializers.glorotUniform({ seed: 1 }), recurrentInitializer: tfl.initializers.glorotUniform({ seed: 2 }), biasInitializer: tfl.initializers.randomNormal({ seed: 5 }) }) as unknown as tfl.RNN,
    mergeMode: 'concat',
  });
  const refApply = (xx: tf.Tensor) => reference.apply(xx, { mask }) as tf.Tensor;
  tf.tidy(() => { refApply(x); });
  const fused = new BiGru({ units: U, seed: 9, recurrentActivation: act });
  const fusedApply = (xx: tf.Tensor) => (composed ? composedApply(fused, xx, tokenIds, act) : (fused.apply([xx, tokenIds]) as tf.Tensor));
  tf.tidy(() => { fused.apply([x, tokenIds]); });
  // tfjs-layers' weights: forward kernel, recurrent kernel, bias, then the backward direction's.
  fused.setWeights(reference.getWeights());
  const want = run(refApply, reference.trainableWeights, x, r);
  const got = run(fusedApply, fused.trainableWeights, x, r);
  let worst = relDiff(want.out, got.out);
  want.grads.forEach((g, i) => { worst = Math.max(worst, relDiff(g, got.grads[i]!)); });
  // Sanity: the gradients are not all zero (the comparison would be empty).
  expect(Math.max(...want.grads.map((g) => Math.max(...g.map(Math.abs))))).toBeGreaterThan(1e-3);
  tf.dispose([x, r, tokenIds, mask]);
  reference.dispose();
  fused.dispose();
  return worst;
}

/** The layer's equations through composedSequence (what a backend without the fused kernels runs). */
function composedApply(layer: BiGru, x: tf.Tensor, tokenIds: tf.Tensor, act: GruRecurrentActivation): tf.Tensor {
  const w = layer.trainableWeights.map((v) => v.read());
  const m = tf.sign(tf.abs(tokenIds));
  const flat = tf.reshape(x, [B * T, D]);
  const dir = (i: number) => composedSequence(tf.reshape(tf.add(tf.matMul(flat, w[3 * i]!), w[3 * i + 2]!), [B, T, 3 * U]), w[3 * i + 1]!, m, i === 1, act);
  return tf.concat([dir(0), dir(1)], -1);
}

describe('fused bidirectional GRU = tfjs-layers bidirectional GRU (same weights)', () => {
  beforeAll(async () => {
    await initBackend('wasm');
    setNativeKernelsEnabled(false); // the JavaScript kernels here; the native ones below
  });
  afterAll(() => setNativeKernelsEnabled(true));

  for (const backend of ['cpu', 'wasm'] as const) {
    for (const act of ['hardSigmoid', 'sigmoid'] as const) {
      it(`${backend}, ${act}: outputs and gradients within 1e-5`, async () => {
        await tf.setBackend(backend);
        expect(compare(act)).toBeLessThan(1e-5);
      });
    }
  }

  it('the composed-ops path (backends without the kernels) computes the same', async () => {
    await tf.setBackend('cpu');
    expect(compare('hardSigmoid', true)).toBeLessThan(1e-5);
  });

  it('padding steps carry the state; an all-padding row is 0; no tensors leak', async () => {
    await tf.setBackend('wasm');
    const before = tf.memory().numTensors;
    const xp = tf.randomNormal([B, T, 3 * U], 0, 1, 'float32', 7);
    const u = tf.randomNormal([U, 3 * U], 0, 0.5, 'float32', 8);
    const tokenIds = ids();
    const m = tf.sign(tokenIds);
    const hs = biGruSequence(xp, xp, u, u, m, 'hardSigmoid');
    const both = hs.arraySync();
    hs.dispose();
    const fwd = both.map((row) => row.map((v) => v.slice(0, U)));
    const bwd = both.map((row) => row.map((v) => v.slice(U)));
    // row 1 has 3 tokens: forward steps 3.. repeat step 2; backward steps 3.. are 0 (never reached).
    for (let t = 3; t < T; t++) {
      expect(fwd[1]![t]).toEqual(fwd[1]![2]);
      expect(bwd[1]![t]!.every((v) => v === 0)).toBe(true);
    }
    expect(fwd[2]!.flat().every((v) => v === 0)).toBe(true);
    expect(fwd[1]![2]!.some((v) => v !== 0)).toBe(true);
    tf.dispose([xp, u, m, tokenIds]);
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('fused GRU on the native addon (wasm backend)', () => {
  beforeAll(async () => {
    await initBackend('wasm');
    setNativeKernelsEnabled(true);
    expect(registerNativeKernels()).toBe(true);
  });

  for (const act of ['hardSigmoid', 'sigmoid'] as const) {
    it(`${act}: the layer equals tfjs-layers' bidirectional GRU within 1e-5, through the native kernels`, async () => {
      await tf.setBackend('wasm');
      const before = [nativeKernelCalls.MtlGruSequence ?? 0, nativeKernelCalls.MtlGruSequenceGrad ?? 0];
      expect(compare(act)).toBeLessThan(1e-5);
      expect(nativeKernelCalls.MtlGruSequence ?? 0).toBeGreaterThan(before[0]!);
      expect(nativeKernelCalls.MtlGruSequenceGrad ?? 0).toBeGreaterThan(before[1]!);
    });
  }

  it('native = JavaScript kernels on the bench sizes (B 64, T 20, U 32) and an odd one, both directions', async () => {
    await tf.setBackend('wasm');
    for (const [b, t, u] of [[64, 20, 32], [3, 9, 7]] as const) {
      const lengths = Array.from({ length: b }, (_, i) => (i * 7) % (t + 1));
      const run = () => tf.tidy(() => {
        const [xf, xb] = [11, 14].map((s) => tf.randomNormal([b, t, 3 * u], 0, 1, 'float32', s));
        const [kf, kb] = [12, 15].map((s) => tf.randomNormal([u, 3 * u], 0, 0.3, 'float32', s));
        const m = tf.tensor2d(lengths.flatMap((len) => Array.from({ length: t }, (_, j) => (j < len ? 1 : 0))), [b, t]);
        const dy = tf.randomNormal([b, t, 2 * u], 0, 1, 'float32', 13);
        const f = (x1: tf.Tensor, x2: tf.Tensor, k1: tf.Tensor, k2: tf.Tensor) => tf.sum(tf.mul(biGruSequence(x1, x2, k1, k2, m, 'hardSigmoid'), dy));
        const grads = tf.grads(f)([xf!, xb!, kf!, kb!]);
        return [biGruSequence(xf!, xb!, kf!, kb!, m, 'hardSigmoid'), ...grads].map((x) => Float32Array.from(x.dataSync()));
      });
      setNativeKernelsEnabled(false);
      const js = run();
      setNativeKernelsEnabled(true);
      const native = run();
      js.forEach((v, i) => expect(relDiff(v, native[i]!)).toBeLessThan(1e-5));
    }
  });
});

describe('fused text layers inside a gradient of a gradient', () => {
  it('fall back to tf ops, so second-order gradients work and equal the composed ones', async () => {
    await initBackend('wasm');
    await tf.setBackend('wasm');
    // sigmoid gates: tfjs has no second derivative of the hard sigmoid's clip (LogicalAnd has no gradient).
    const layer = new BiGru({ units: U, seed: 4, recurrentActivation: 'sigmoid' });
    const tokenIds = ids();
    const x = tf.randomNormal([B, T, D], 0, 1, 'float32', 5);
    tf.tidy(() => { layer.apply([x, tokenIds]); });
    // d/dx of ‖d(Σ out)/dx‖²: the inner gradient runs at depth 2.
    const second = (apply: (xx: tf.Tensor) => tf.Tensor) => tf.tidy(() =>
      Float32Array.from(tf.grad((xx: tf.Tensor) => tf.sum(tf.square(tf.grad((y: tf.Tensor) => tf.sum(apply(y)))(xx))))(x).dataSync()));
    const fused = second((y) => layer.apply([y, tokenIds]) as tf.Tensor);
    const composed = second((y) => composedApply(layer, y, tokenIds, 'sigmoid'));
    expect(relDiff(composed, fused)).toBeLessThan(1e-5);
    expect(fused.some((v) => v !== 0)).toBe(true);
    tf.dispose([tokenIds, x]);
    layer.dispose();
  });
});
