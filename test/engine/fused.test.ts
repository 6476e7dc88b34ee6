/**
 * The fused layer ops (src/engine/fused.ts) against the plain tfjs ops they replace — a product, a bias
 * add and an activation (tf.matMul + tf.add + tf.relu; tf.conv2d + tf.add + tf.relu) —, values and the
 * gradients of every input, to 1e-5 relative, on wasm with the native kernels, on pure wasm and on the
 * cpu backend; gradients are asked for one input at a time too (they are computed lazily) and through
 * the one-forward-many-backward Tape. Also: the wasm Identity that shares its input's buffer, and the
 * fused Adam's copy on write of a shared variable buffer.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/engine/backend.js';
import { fusedConv2d, fusedDense, columnSums, type FusedActivation } from '../../src/engine/fused.js';
import { fusedAdam, nativeKernelCalls, setNativeKernelsEnabled } from '../../src/engine/native/index.js';
import { Tape } from '../../src/engine/tape.js';
import { tf } from '../../src/engine/tf.js';
import { wasmBackend } from '../../src/engine/tfjs-internals.js';
import { outputs, randn, worstRelDiff, type Computation } from '../helpers/engine.js';

delete process.env.MTL_NATIVE;
const TOL = 1e-5;

beforeAll(async () => {
  expect(await initBackend('wasm')).toBe('wasm');
});

/** The value of f and its gradients w.r.t. each of xs (dy: seeded, so no symmetry hides a wrong term). */
function valueAndGrads(f: (...xs: tf.Tensor[]) => tf.Tensor, xs: tf.Tensor[], seed: number): () => tf.Tensor[] {
  return () => {
    const y = f(...xs);
    const dy = randn(y.shape, seed);
    const grads = tf.grads((...args: tf.Tensor[]) => tf.sum(tf.mul(f(...args), dy)))(xs);
    return [y, ...grads];
  };
}

/** `fn` on native wasm, pure wasm and cpu (the backend ends as wasm with native kernels on). */
async function everywhere(fn: Computation): Promise<ReturnType<typeof outputs>[]> {
  const out: ReturnType<typeof outputs>[] = [];
  await tf.setBackend('wasm');
  setNativeKernelsEnabled(true);
  out.push(outputs(fn));
  setNativeKernelsEnabled(false);
  out.push(outputs(fn));
  setNativeKernelsEnabled(true);
  await tf.setBackend('cpu');
  out.push(outputs(fn));
  await tf.setBackend('wasm');
  return out;
}

const plainDense = (act: FusedActivation) => (x: tf.Tensor, w: tf.Tensor, b?: tf.Tensor) => {
  let y = tf.matMul(x, w);
  if (b) y = tf.add(y, b);
  return act === 'relu' ? tf.relu(y) : y;
};

describe('fusedDense = matMul + bias + activation', () => {
  for (const act of ['relu', 'linear'] as FusedActivation[]) {
    for (const [B, K, N, bias] of [[128, 784, 256, true], [7, 13, 5, true], [3, 4, 2, false], [64, 256, 10, true]] as const) {
      it(`${act}, [${B}, ${K}] x [${K}, ${N}]${bias ? ' + bias' : ''}: values and gradients of x, W, b`, async () => {
        const make = () => [randn([B, K], 1), randn([K, N], 2), ...(bias ? [randn([N], 3)] : [])];
        const fused = (x: tf.Tensor, w: tf.Tensor, b?: tf.Tensor) => fusedDense(x, w, b ?? null, act);
        const runs = await everywhere(() => {
          const xs = make();
          return [...valueAndGrads(plainDense(act), xs, 4)(), ...valueAndGrads(fused, xs, 4)()];
        });
        for (const run of runs) {
          const half = run.length / 2;
          expect(worstRelDiff(run.slice(0, half), run.slice(half))).toBeLessThan(TOL);
        }
        // The same numbers on every backend.
        expect(worstRelDiff(runs[2]!, runs[0]!)).toBeLessThan(TOL);
      });
    }
  }

  it('a gradient is computed only for the inputs asked for (no input gradient of a first layer)', () => {
    const x = randn([32, 64], 5), w = tf.variable(randn([64, 16], 6)), b = tf.variable(randn([16], 7));
    const before = nativeKernelCalls.BatchMatMul ?? 0;
    const { grads, value } = tf.variableGrads(() => tf.sum(fusedDense(x, w, b, 'relu')) as tf.Scalar, [w, b]);
    // dW = xᵀ g and db = 1ᵀ g: two products; dx = g Wᵀ is not computed.
    expect((nativeKernelCalls.BatchMatMul ?? 0) - before).toBe(2);
    const ref = tf.variableGrads(() => tf.sum(plainDense('relu')(x, w, b)) as tf.Scalar, [w, b]);
    expect(worstRelDiff(outputs(() => [ref.grads[w.name]!, ref.grads[b.name]!]), outputs(() => [grads[w.name]!, grads[b.name]!]))).toBeLessThan(TOL);
    tf.dispose([x, w, b, value, ref.value, ...Object.values(grads), ...Object.values(ref.grads)]);
  });

  it('through the Tape: one forward pass, a backward pass per output, no tensor left', () => {
    const start = tf.memory().numTensors;
    const x = randn([16, 8], 8), w = randn([8, 6], 9), b = randn([6], 10), v = randn([6, 3], 11);
    const { tape, result } = Tape.record(() => {
      const h = fusedDense(x, w, b, 'relu');
      return [tf.sum(fusedDense(h, v, null, 'linear')), tf.sum(tf.square(h))];
    });
    const [g1, g2] = result.map((y) => tape.grad(y, [w, b]));
    const ref1 = tf.grads((w_: tf.Tensor, b_: tf.Tensor) => tf.sum(tf.matMul(tf.relu(tf.add(tf.matMul(x, w_), b_)), v)))([w, b]);
    const ref2 = tf.grads((w_: tf.Tensor, b_: tf.Tensor) => tf.sum(tf.square(tf.relu(tf.add(tf.matMul(x, w_), b_)))))([w, b]);
    expect(worstRelDiff(outputs(() => ref1), outputs(() => g1 as tf.Tensor[]))).toBeLessThan(TOL);
    expect(worstRelDiff(outputs(() => ref2), outputs(() => g2 as tf.Tensor[]))).toBeLessThan(TOL);
    tape.dispose();
    tf.dispose([...result, x, w, b, v]);
    expect(tf.memory().numTensors).toBe(start);
  });
});

const plainConv = (act: FusedActivation, strides: number, pad: 'valid' | 'same') => (x: tf.Tensor, f: tf.Tensor, b?: tf.Tensor) => {
  let y: tf.Tensor = tf.conv2d(x as tf.Tensor4D, f as tf.Tensor4D, strides, pad);
  if (b) y = tf.add(y, b);
  return act === 'relu' ? tf.relu(y) : y;
};

describe('fusedConv2d = conv2d + bias + activation', () => {
  const cases = [
    { x: [4, 12, 12, 3], f: [3, 3, 3, 8], strides: 1, pad: 'valid' as const, act: 'relu' as const, bias: true },
    { x: [2, 9, 7, 5], f: [3, 2, 5, 4], strides: 2, pad: 'same' as const, act: 'linear' as const, bias: true },
    { x: [3, 10, 10, 2], f: [5, 5, 2, 6], strides: 1, pad: 'same' as const, act: 'relu' as const, bias: false },
    { x: [2, 14, 14, 16], f: [3, 3, 16, 24], strides: 1, pad: 'valid' as const, act: 'relu' as const, bias: true },
  ];
  for (const c of cases) {
    it(`${c.act}, x [${c.x}], filter [${c.f}], stride ${c.strides}, ${c.pad}${c.bias ? ' + bias' : ''}: values and gradients`, async () => {
      const make = () => [randn(c.x, 1), tf.mul(randn(c.f, 2), 0.3), ...(c.bias ? [randn([c.f[3]!], 3)] : [])];
      const fused = (x: tf.Tensor, f: tf.Tensor, b?: tf.Tensor) => fusedConv2d(x, f, b ?? null, { strides: c.strides, pad: c.pad, activation: c.act });
      const runs = await everywhere(() => {
        const xs = make();
        return [...valueAndGrads(plainConv(c.act, c.strides, c.pad), xs, 4)(), ...valueAndGrads(fused, xs, 4)()];
      });
      for (const run of runs) {
        const half = run.length / 2;
        expect(worstRelDiff(run.slice(0, half), run.slice(half))).toBeLessThan(TOL);
      }
      expect(worstRelDiff(runs[2]!, runs[0]!)).toBeLessThan(TOL);
    });
  }
});

describe('columnSums (a bias gradient)', () => {
  it('equals tf.sum over the leading axes', async () => {
    for (const shape of [[128, 256], [5, 3], [4, 6, 6, 7], [300, 1]]) {
      const runs = await everywhere(() => {
        const g = randn(shape, 12);
        return [tf.sum(g, shape.slice(0, -1).map((_, i) => i)), columnSums(g)];
      });
      for (const run of runs) expect(worstRelDiff([run[0]!], [run[1]!])).toBeLessThan(TOL);
    }
  });
});

describe('wasm Identity shares the buffer; the fused Adam copies a shared variable before updating it', () => {
  it('tf.clone on wasm: same values, one buffer with two references, each tensor disposable on its own', () => {
    const be = wasmBackend();
    const x = randn([3, 4], 13);
    const y = tf.clone(x);
    expect(y.dataId).toBe(x.dataId);
    expect(be.refCount(x.dataId)).toBe(2);
    x.dispose();
    expect(Array.from(y.dataSync())).toHaveLength(12);
    expect(be.refCount(y.dataId)).toBe(1);
    y.dispose();
  });

  it('a clone taken before an Adam step keeps the old values; the step equals one on an unshared variable', () => {
    const init = randn([40, 30], 14);
    const g = randn([40, 30], 15);
    const shared = tf.variable(tf.clone(init));
    const alone = tf.variable(tf.add(init, 0));
    const gradsOf = (v: tf.Variable) => ({ [v.name]: g }) as unknown as Parameters<ReturnType<typeof fusedAdam>["applyGradients"]>[0];
    const snapshot = tf.clone(shared); // shares shared's buffer
    const before = Float32Array.from(snapshot.dataSync());
    const [optA, optB] = [fusedAdam(0.01), fusedAdam(0.01)];
    const calls = nativeKernelCalls.adamUpdate ?? 0;
    for (let i = 0; i < 3; i++) {
      optA.applyGradients(gradsOf(shared));
      optB.applyGradients(gradsOf(alone));
    }
    expect((nativeKernelCalls.adamUpdate ?? 0) - calls).toBe(6); // the native update ran for both
    expect(Array.from(snapshot.dataSync())).toEqual(Array.from(before));
    expect(Array.from(shared.dataSync())).toEqual(Array.from(alone.dataSync()));
    expect(Array.from(shared.dataSync())).not.toEqual(Array.from(before));
    tf.dispose([init, g, shared, alone, snapshot]);
    optA.dispose();
    optB.dispose();
  });
});
