/**
 * The fused task losses (src/tasks/fused-loss.ts) against the tf-ops losses they replace: for every task
 * kind, on random logits and labels with missing entries, the loss value and its gradient w.r.t. the
 * logits (scaled by an upstream gradient) agree to 1e-5; the fused form is what the tasks use on wasm
 * and cpu, the tf-ops form inside a nested gradient computation; no tensor is left behind.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/engine/backend.js';
import { tf } from '../../src/engine/tf.js';
import type { TaskSpec } from '../../src/data/types.js';
import { createTask } from '../../src/tasks/registry.js';
import { boxKernel, fusedLoss, fusedLossUsable, regressionKernel, sigmoidCrossEntropyKernel, softmaxCrossEntropyKernel, type LossKernel } from '../../src/tasks/fused-loss.js';
import { multiclassLossOps } from '../../src/tasks/multiclass.js';
import { maskedMean } from '../../src/tasks/masked.js';
import { sigmoidCrossEntropy } from '../../src/tasks/sigmoid.js';
import { smoothL1 } from '../../src/tasks/box.js';
import { mulberry32 } from '../../src/data/split.js';
import { relDiff } from '../helpers/engine.js';

beforeAll(async () => {
  expect(await initBackend('wasm')).toBe('wasm');
});

const TOL = 1e-5;

type OpsLoss = (logits: tf.Tensor, labels: tf.Tensor, mask: tf.Tensor) => tf.Tensor;

/** Loss and d(scale·loss)/dlogits of both forms on the same inputs. */
function compare(ops: OpsLoss, kernel: LossKernel, logits: tf.Tensor, labels: tf.Tensor, mask: tf.Tensor, scale = 1.7): void {
  const run = (f: OpsLoss) => {
    const { value, grads } = tf.tidy(() => {
      const g = tf.valueAndGrad((z: tf.Tensor) => tf.mul(f(z, labels, mask), scale) as tf.Scalar)(logits);
      return { value: g.value.dataSync()[0]!, grads: Float32Array.from(g.grad.dataSync()) };
    });
    return { value, grads };
  };
  const a = run(ops);
  const b = run((z, y, m) => fusedLoss(z, y, m, kernel));
  expect(Math.abs(a.value - b.value) / Math.max(1, Math.abs(a.value))).toBeLessThan(TOL);
  expect(relDiff(a.grads, b.grads)).toBeLessThan(TOL);
}

/** Random inputs: logits [B, W], labels from `label`, a 0/1 mask with some zeros (missing labels). */
function inputs(B: number, W: number, seed: number, label: (r: () => number) => number, maskWidth = W) {
  const r = mulberry32(seed);
  const z = Float32Array.from({ length: B * W }, () => (r() - 0.5) * 8);
  const y = Float32Array.from({ length: B * maskWidth }, () => label(r));
  const m = Float32Array.from({ length: B * maskWidth }, () => (r() < 0.2 ? 0 : 1));
  for (let i = 0; i < y.length; i++) if (m[i] === 0) y[i] = 0; // as makeBatch fills missing labels
  return { logits: tf.tensor2d(z, [B, W]), labels: tf.tensor2d(y, [B, maskWidth]), mask: tf.tensor2d(m, [B, maskWidth]) };
}

function check(ops: OpsLoss, kernel: LossKernel, B: number, W: number, label: (r: () => number) => number, maskWidth = W): void {
  for (const seed of [1, 2, 3]) {
    const { logits, labels, mask } = inputs(B, W, seed, label, maskWidth);
    compare(ops, kernel, logits, labels, mask);
    // All labels missing: loss 0 and a zero gradient either way.
    compare(ops, kernel, logits, labels, tf.zerosLike(mask));
    tf.dispose([logits, labels, mask]);
  }
}

describe('fused losses equal their tf-ops forms (value and gradient, 1e-5)', () => {
  it('softmax cross-entropy (multiclass)', () => {
    for (const K of [10, 3, 2]) check((z, y, m) => multiclassLossOps(z, y, m, K), softmaxCrossEntropyKernel(K), 64, K, (r) => Math.floor(r() * K), 1);
  });

  it('sigmoid cross-entropy (binary, multilabel)', () => {
    const ops: OpsLoss = (z, y, m) => maskedMean(sigmoidCrossEntropy(z, y), m);
    check(ops, sigmoidCrossEntropyKernel, 64, 1, (r) => (r() < 0.5 ? 1 : 0));
    check(ops, sigmoidCrossEntropyKernel, 32, 6, (r) => (r() < 0.3 ? 1 : 0));
  });

  it('regression, MSE and L1, on standardised targets', () => {
    const mean = [2, -1, 0.5], std = [0.5, 3, 1];
    for (const kind of ['mse', 'l1'] as const) {
      const ops: OpsLoss = (z, y, m) => {
        const t = tf.div(tf.sub(y, tf.tensor1d(mean)), tf.tensor1d(std));
        const d = tf.sub(z, t);
        return maskedMean(kind === 'l1' ? tf.abs(d) : tf.square(d), m);
      };
      check(ops, regressionKernel(mean, std, kind), 48, 3, (r) => (r() - 0.5) * 6);
    }
  });

  it('box smooth-L1 on sigmoid outputs (a row counts only when fully labelled)', () => {
    const beta = 0.1;
    const ops: OpsLoss = (z, y, m) => {
      const rowMask = tf.min(m, 1, true);
      const perCoord = smoothL1(tf.sub(tf.sigmoid(z), y), beta);
      return maskedMean(perCoord, tf.mul(tf.onesLike(perCoord), rowMask));
    };
    check(ops, boxKernel(beta), 64, 4, (r) => r());
  });

  it('the tasks use the fused form on wasm and cpu, the tf-ops form in a gradient of a gradient', async () => {
    const spec: TaskSpec = { name: 'r', kind: 'regression', width: 3, outputSize: 3 };
    const task = createTask(spec, { state: { mean: [0, 1, 2], std: [1, 2, 3] } });
    expect(fusedLossUsable()).toBe(true);
    await tf.setBackend('cpu');
    expect(fusedLossUsable()).toBe(true);
    await tf.setBackend('wasm');
    const { logits, labels, mask } = inputs(16, 3, 9, (r) => r() * 4);
    // d/dz (dL/dz · v) of the mean squared error: 2·m·v / Σm. Only the tf-ops form is twice differentiable.
    const v = tf.randomNormal([16, 3], 0, 1, 'float32', 3);
    let inner = true;
    const second = tf.grad((z: tf.Tensor) => {
      const g = tf.grad((z2: tf.Tensor) => {
        inner = fusedLossUsable();
        return task.loss(z2, labels, mask) as tf.Scalar;
      })(z);
      return tf.sum(tf.mul(g, v));
    })(logits);
    expect(inner).toBe(false);
    const m = mask.dataSync(), vv = v.dataSync();
    const count = Array.from(m).reduce((a, b) => a + b, 0);
    expect(relDiff(Array.from(vv, (x, i) => (2 * m[i]! * x) / count), second.dataSync())).toBeLessThan(TOL);
    tf.dispose([logits, labels, mask, v, second]);
  });

  it('no tensor is left behind (forward, backward, no tape)', () => {
    const task = createTask({ name: 'b', kind: 'box', width: 4, outputSize: 4 });
    const { logits, labels, mask } = inputs(8, 4, 4, (r) => r());
    const start = tf.memory().numTensors;
    task.loss(logits, labels, mask).dispose();
    const { value, grad } = tf.valueAndGrad((z: tf.Tensor) => task.loss(z, labels, mask) as tf.Scalar)(logits);
    tf.dispose([value, grad]);
    expect(tf.memory().numTensors).toBe(start);
    tf.dispose([logits, labels, mask]);
  });
});
