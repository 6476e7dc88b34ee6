import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/engine/backend.js';
import { Tape } from '../../src/engine/tape.js';
import { tf } from '../../src/engine/tf.js';
import { buildModel } from '../../src/models/registry.js';
import { createTask } from '../../src/tasks/registry.js';
import { disposeBatch, makeBatch, prepare } from '../../src/train/batches.js';
import { syntheticDataset } from '../helpers/synthetic.js';

beforeAll(async () => { await initBackend('wasm'); });

function expectSame(a: tf.Tensor | null, b: tf.Tensor, tol = 1e-6) {
  expect(a).not.toBeNull();
  expect(a!.shape).toEqual(b.shape);
  const x = a!.dataSync();
  const y = b.dataSync();
  let worst = 0;
  for (let i = 0; i < x.length; i++) worst = Math.max(worst, Math.abs(x[i]! - y[i]!) / (1 + Math.abs(y[i]!)));
  expect(worst).toBeLessThanOrEqual(tol);
}

function seeded(shape: number[], seed: number) {
  return tf.randomNormal(shape, 0, 1, 'float32', seed);
}

describe('Tape: one forward, several backward passes', () => {
  it('gives tf.grads\' gradients for each of several outputs of one recorded pass', () => {
    const x = seeded([6, 5], 1);
    const w1 = tf.variable(seeded([5, 4], 2));
    const w2 = tf.variable(seeded([4, 3], 3));
    const w3 = tf.variable(seeded([4, 2], 4));
    const f = () => {
      const h = tf.relu(tf.matMul(x, w1));
      return [tf.sum(tf.square(tf.matMul(h, w2))), tf.mean(tf.tanh(tf.matMul(h, w3)))] as [tf.Scalar, tf.Scalar];
    };
    const { tape, result } = Tape.record(f);
    for (const t of [0, 1, 0]) {
      const got = tape.grad(result[t]!, [w1, w2, w3]);
      const { value, grads } = tf.variableGrads(() => {
        const h = tf.relu(tf.matMul(x, w1));
        return (t === 0 ? tf.sum(tf.square(tf.matMul(h, w2))) : tf.mean(tf.tanh(tf.matMul(h, w3)))) as tf.Scalar;
      }, [w1, w2, w3]);
      value.dispose();
      const want = [w1, w2, w3].map((v) => grads[v.name] ?? null);
      expectSame(got[0]!, want[0]!);
      // Task t's output does not depend on the other head: null from both.
      if (t === 0) { expectSame(got[1]!, want[1]!); expect(got[2]).toBeNull(); expect(want[2]).toBeNull(); }
      else { expect(got[1]).toBeNull(); expect(want[1]).toBeNull(); expectSame(got[2]!, want[2]!); }
      [...got, ...want].forEach((g) => g?.dispose());
    }
    tape.dispose();
    result.forEach((r) => r.dispose());
    [x, w1, w2, w3].forEach((v) => v.dispose());
  });

  it('a seed dy on an intermediate tensor is the vector-Jacobian product through the part below it', () => {
    const x = seeded([4, 3], 5);
    const w = tf.variable(seeded([3, 6], 6));
    const { tape, result } = Tape.record(() => {
      const z = tf.sigmoid(tf.matMul(x, w));
      return { z, loss: tf.sum(tf.mul(z, z)) };
    });
    const dy = seeded([4, 6], 7);
    const [g] = tape.grad(result.z, [w], dy);
    const want = tf.grad((a: tf.Tensor) => tf.sigmoid(tf.matMul(x, a)))(w, dy);
    expectSame(g!, want);
    // The gradient with respect to an intermediate: ∂(Σz²)/∂z = 2z.
    const [dz] = tape.grad(result.loss, [result.z]);
    const twoZ = tf.mul(2, result.z);
    expectSame(dz!, twoZ);
    [g, dz, want, twoZ, dy, x, w, result.z, result.loss].forEach((t) => t!.dispose());
    tape.dispose();
  });

  it('matches variableGrads on a CNN multi-task model, task by task, and leaks nothing', () => {
    const ds = { ...syntheticDataset(16, 64, 3), inputShape: [8, 8, 1] };
    const tasks = ds.tasks.map((s) => createTask(s, {}, { values: ds.labels[s.name]!, n: ds.n }));
    const model = buildModel('hps', { inputShape: ds.inputShape, tasks, seed: 3 }, { encoder: { type: 'cnn', conv: [{ filters: 4, kernel: 3, pool: true }, { filters: 6, kernel: 3 }], dense: [8] } });
    const batch = makeBatch(prepare(ds, tasks.map((t) => t.name)), Array.from({ length: 16 }, (_, i) => i));
    const lossOf = (logits: tf.Tensor[], i: number) => tasks[i]!.loss(logits[i]!, batch.labels[i]!, batch.masks[i]);
    const vars = model.trainableVariables();
    const before = tf.memory().numTensors;
    for (let round = 0; round < 2; round++) {
      const { tape, result } = Tape.record(() => {
        const { logits } = model.forward(batch.x, true);
        return tasks.map((_, i) => lossOf(logits, i));
      });
      tasks.forEach((_, t) => {
        const got = tape.grad(result[t]!, vars);
        const { value, grads } = tf.variableGrads(() => lossOf(model.forward(batch.x, true).logits, t) as tf.Scalar, vars);
        vars.forEach((v, k) => {
          if (grads[v.name]) expectSame(got[k]!, grads[v.name]!, 1e-5);
          else expect(got[k]).toBeNull();
        });
        value.dispose();
        Object.values(grads).forEach((g) => g.dispose());
        got.forEach((g) => g?.dispose());
      });
      tape.dispose();
      result.forEach((r) => r.dispose());
      expect(tf.memory().numTensors).toBe(before);
    }
    disposeBatch(batch);
    model.dispose();
  });

  it('refuses to nest in a gradient computation, and cleans up when the forward pass throws', () => {
    const w = tf.variable(tf.scalar(2));
    expect(() => tf.grad((a: tf.Tensor) => {
      Tape.record(() => tf.mul(a, w));
      return a;
    })(tf.scalar(1))).toThrow(/cannot run inside/);
    const before = tf.memory().numTensors;
    expect(() => Tape.record(() => {
      tf.square(w);
      throw new Error('boom');
    })).toThrow('boom');
    expect(tf.memory().numTensors).toBe(before);
    // The engine records normally afterwards.
    const g = tf.grad((a: tf.Tensor) => tf.square(a))(tf.scalar(3));
    expect(g.dataSync()[0]).toBe(6);
    const { tape, result } = Tape.record(() => tf.square(w));
    tape.dispose();
    expect(() => tape.grad(result, [w])).toThrow(/after dispose/);
    w.dispose();
  });
});
