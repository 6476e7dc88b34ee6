/**
 * The training forward pass of encoder + heads models (src/models/chain.ts: their layer chains run with
 * the fused dense and conv ops) against the same model run by tfjs-layers (model.layersModel().apply):
 * logits and the gradients of every trainable variable to 1e-5, for MLP and CNN encoders, relu and
 * tanh layers (tanh stays a plain tfjs-layers layer), dropout, hidden head layers; in training and in
 * inference mode. Models that are not chains keep tfjs-layers' own forward pass.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/engine/backend.js';
import { tf, tfl } from '../../src/engine/tf.js';
import { compileChain } from '../../src/models/chain.js';
import { buildModel } from '../../src/models/registry.js';
import type { MultiTaskModel } from '../../src/models/types.js';
import { createTask } from '../../src/tasks/registry.js';
import type { TaskSpec } from '../../src/data/types.js';
import { setNativeKernelsEnabled } from '../../src/engine/native/index.js';
import { dropoutLayers, reseedDropout } from '../../src/train/dropout-seeds.js';
import { relDiff } from '../helpers/engine.js';

beforeAll(async () => {
  expect(await initBackend('wasm')).toBe('wasm');
});

const TOL = 1e-5;

const specs: TaskSpec[] = [
  { name: 'digit', kind: 'multiclass', width: 1, outputSize: 10 },
  { name: 'box', kind: 'regression', width: 4, outputSize: 4 },
];

/** Logits and ∂(Σ logits·r)/∂θ for every trainable variable, by a forward function. */
function run(model: MultiTaskModel, forward: (x: tf.Tensor) => tf.Tensor[], x: tf.Tensor): Float32Array[] {
  return tf.tidy(() => {
    const r = specs.map((s, i) => tf.randomNormal([x.shape[0]!, s.outputSize], 0, 1, 'float32', 10 + i));
    const vars = model.trainableVariables();
    const logits = forward(x).map((l) => Float32Array.from(l.dataSync()));
    const { value, grads } = tf.variableGrads(() => tf.addN(forward(x).map((l, i) => tf.sum(tf.mul(l, r[i]!)))) as tf.Scalar, vars);
    value.dispose();
    return [...logits, ...vars.map((v) => Float32Array.from(grads[v.name]!.dataSync()))];
  });
}

function compare(encoder: Record<string, unknown>, inputShape: number[], head: { hidden: number[]; activation?: string } = { hidden: [] }): void {
  const tasks = specs.map((s) => createTask(s, {}, { values: new Float32Array(8 * s.width).fill(0.5), n: 8 }));
  const model = buildModel('hps', { inputShape, tasks, seed: 3 }, { encoder, head });
  const x = tf.randomNormal([16, ...inputShape], 0, 1, 'float32', 5);
  const combined = model.layersModel();
  // Seeded dropout layers draw the same mask at every call, whichever path calls them.
  reseedDropout(dropoutLayers(combined), 3, 0);
  for (const training of [true, false]) {
    const fast = run(model, (xx) => model.forward(xx, training).logits, x);
    const plain = run(model, (xx) => combined.apply(xx, { training }) as tf.Tensor[], x);
    plain.forEach((p, i) => expect(relDiff(p, fast[i]!), `output ${i}, training ${training}`).toBeLessThan(TOL));
  }
  x.dispose();
  model.dispose();
}

describe('the fused forward pass equals tfjs-layers', () => {
  it('MLP encoder (relu), linear heads', () => compare({ type: 'mlp', hidden: [32, 16] }, [20]));
  it('MLP encoder with tanh layers (not fused), heads with a hidden relu layer', () => compare({ type: 'mlp', hidden: [12], activation: 'tanh' }, [9], { hidden: [8] }));
  it('MLP encoder with dropout (the layers reseeded alike)', () => compare({ type: 'mlp', hidden: [24, 24], dropout: 0.3 }, [10]));
  it('CNN encoder: convolutions, pooling, flatten, dense', () => compare({ type: 'cnn', conv: [{ filters: 4, kernel: 3 }, { filters: 6, kernel: 3, pool: true }], dense: [16] }, [12, 12, 1]));
  it('the same without the native kernels (pure wasm)', () => {
    setNativeKernelsEnabled(false);
    try {
      compare({ type: 'mlp', hidden: [32, 16] }, [20]);
      compare({ type: 'cnn', conv: [{ filters: 4, kernel: 3, pool: true }], dense: [8] }, [10, 10, 2]);
    } finally {
      setNativeKernelsEnabled(true);
    }
  });
  it('on the cpu backend', async () => {
    await tf.setBackend('cpu');
    try {
      compare({ type: 'mlp', hidden: [32, 16] }, [20]);
      compare({ type: 'cnn', conv: [{ filters: 4, kernel: 3, pool: true }], dense: [8] }, [10, 10, 2]);
    } finally {
      await tf.setBackend('wasm');
    }
  });
});

describe('compileChain', () => {
  it('returns null for a model that is not a chain', () => {
    const a = tfl.input({ shape: [4] });
    const h1 = tfl.layers.dense({ units: 3 }).apply(a) as tfl.SymbolicTensor;
    const h2 = tfl.layers.dense({ units: 3 }).apply(a) as tfl.SymbolicTensor;
    const out = tfl.layers.add().apply([h1, h2]) as tfl.SymbolicTensor;
    const m = tfl.model({ inputs: a, outputs: out });
    expect(compileChain(m)).toBeNull();
    m.dispose();
  });

  it('a Dense on per-token features [B, L, D] (text heads) equals tfjs-layers, values and gradients', () => {
    const a = tfl.input({ shape: [7, 5] });
    const m = tfl.model({ inputs: a, outputs: tfl.layers.dense({ units: 3, activation: 'relu', kernelInitializer: tfl.initializers.glorotUniform({ seed: 2 }), biasInitializer: tfl.initializers.randomNormal({ seed: 3 }) }).apply(a) as tfl.SymbolicTensor });
    const f = compileChain(m)!;
    const x = tf.randomNormal([4, 7, 5], 0, 1, 'float32', 8);
    const r = tf.randomNormal([4, 7, 3], 0, 1, 'float32', 9);
    const vars = m.trainableWeights.map((w) => w.read() as tf.Variable);
    const both = (apply: (xx: tf.Tensor) => tf.Tensor) => tf.tidy(() => {
      const { value, grads } = tf.variableGrads(() => tf.sum(tf.mul(apply(x), r)) as tf.Scalar, vars);
      return [Float32Array.from(apply(x).dataSync()), Float32Array.from(value.dataSync()), ...vars.map((v) => Float32Array.from(grads[v.name]!.dataSync()))];
    });
    const fast = both((xx) => f(xx, true));
    const plain = both((xx) => m.apply(xx, { training: true }) as tf.Tensor);
    expect(fast[0]!.length).toBe(4 * 7 * 3);
    plain.forEach((p, i) => expect(relDiff(p, fast[i]!), `output ${i}`).toBeLessThan(TOL));
    tf.dispose([x, r]);
    m.dispose();
  });

  it('an input of another shape goes to the model itself (and its error)', () => {
    const a = tfl.input({ shape: [4] });
    const m = tfl.model({ inputs: a, outputs: tfl.layers.dense({ units: 2, activation: 'relu' }).apply(a) as tfl.SymbolicTensor });
    const f = compileChain(m)!;
    expect(f).not.toBeNull();
    const x = tf.ones([2, 5]);
    expect(() => f(x, true)).toThrow();
    x.dispose();
    m.dispose();
  });
});
