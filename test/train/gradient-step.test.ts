import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/engine/backend.js';
import { tf } from '../../src/engine/tf.js';
import { buildModel } from '../../src/models/registry.js';
import { createTask } from '../../src/tasks/registry.js';
import { Trainer, type TrainerOptions } from '../../src/train/node/trainer.js';
import { aggregate, isGramianMethod, registerAggregator, weightsFromGramian } from '../../src/aggregators/index.js';
import { disposeBatch, makeBatch, prepare } from '../../src/train/batches.js';
import { fromWeights } from '../../src/aggregators/weighted.js';
import { flatten } from '../../src/train/flat.js';
import { gradientStep } from '../../src/train/gradient-step.js';
import { equalWeighting } from '../../src/weighting/fixed.js';
import { syntheticDataset } from '../helpers/synthetic.js';

beforeAll(async () => { await initBackend('wasm'); });

const ds = syntheticDataset(320, 8, 5);

function trainer(options: Partial<TrainerOptions>) {
  const tasks = ds.tasks.map((s) => createTask(s, {}, { values: ds.labels[s.name], n: ds.n }));
  const model = buildModel('hps', { inputShape: ds.inputShape, tasks, seed: 2 }, { encoder: { type: 'mlp', hidden: [12, 10] } });
  return new Trainer(model, tasks, { epochs: 2, batchSize: 64, optimizer: { name: 'sgd', lr: 0.05 }, seed: 2, progress: 'silent', l2: 1e-3, ...options });
}

const weights = (t: Trainer) => t.model.trainableVariables().map((v) => Array.from(v.dataSync()));

function expectClose(a: number[][], b: number[][], tol: number) {
  expect(a.length).toBe(b.length);
  a.forEach((row, i) => row.forEach((v, j) => expect(Math.abs(v - b[i][j])).toBeLessThan(tol)));
}

describe('per-task gradients', () => {
  it('param mode with the `sum` aggregator reproduces the summed-loss step (chain rule)', async () => {
    const plain = trainer({});
    const perTask = trainer({ aggregator: { method: 'sum', mode: 'param' } });
    await plain.fit(ds);
    await perTask.fit(ds);
    expectClose(weights(perTask), weights(plain), 1e-5);
  });

  it('rep mode with `sum` reproduces it too: the encoder sees Σ_t ∂L_t/∂z once', async () => {
    const plain = trainer({});
    const rep = trainer({ aggregator: { method: 'sum', mode: 'rep' } });
    await plain.fit(ds);
    await rep.fit(ds);
    expectClose(weights(rep), weights(plain), 1e-5);
  });

  it('fixed weights scale each task gradient before aggregation', async () => {
    const plain = trainer({ weighting: { method: 'fixed', weights: [2, 0.5, 1] } });
    const perTask = trainer({ weighting: { method: 'fixed', weights: [2, 0.5, 1] }, aggregator: { method: 'sum' } });
    await plain.fit(ds);
    await perTask.fit(ds);
    expectClose(weights(perTask), weights(plain), 1e-5);
  });

  it('no tensor survives a gradient-space step (param and rep)', async () => {
    for (const mode of ['param', 'rep'] as const) {
      const counts: number[] = [];
      const t = trainer({ epochs: 4, aggregator: { method: 'pcgrad', mode }, onEpoch: () => counts.push(tf.memory().numTensors) });
      await t.fit(ds);
      expect(new Set(counts.slice(1)).size).toBe(1);
      t.dispose(); t.model.dispose();
    }
  });

  it('MGDA and PCGrad train (the losses go down)', async () => {
    for (const method of ['mgda', 'pcgrad']) {
      const t = trainer({ epochs: 6, optimizer: { name: 'adam', lr: 0.01 }, aggregator: { method } });
      const r = await t.fit(ds);
      const first = r.history[0].train, last = r.history.at(-1)!.train;
      for (const name of ['a', 'b', 'c']) expect(last[name].loss).toBeLessThan(first[name].loss);
      t.dispose(); t.model.dispose();
    }
  });
});

describe('one recorded forward pass equals T separate ones (the slow path)', () => {
  it('PCGrad and MGDA directions, param and rep mode, against variableGrads per task + aggregate on the rows', () => {
    const tasks = ds.tasks.map((s) => createTask(s, {}, { values: ds.labels[s.name], n: ds.n }));
    const model = buildModel('hps', { inputShape: ds.inputShape, tasks, seed: 4 }, { encoder: { type: 'mlp', hidden: [12, 10] } });
    const batch = makeBatch(prepare(ds, tasks.map((t) => t.name)), Array.from({ length: 64 }, (_, i) => 3 * i));
    const weighting = equalWeighting({ taskNames: tasks.map((t) => t.name) });
    const shared = model.sharedVariables();
    const lossOf = (logits: tf.Tensor[], t: number) => tasks[t].loss(logits[t], batch.labels[t], batch.masks[t]) as tf.Scalar;
    for (const method of ['pcgrad', 'mgda']) {
      const options = { seed: 7 };
      // Slow path, param mode: one forward + backward per task, d = aggregate(rows), flattened in JS.
      const rows = tasks.map((_, t) => {
        const { value, grads } = tf.variableGrads(() => lossOf(model.forward(batch.x, true).logits, t), shared);
        value.dispose();
        const row = flatten(shared.map((v) => grads[v.name]));
        Object.values(grads).forEach((g) => g.dispose());
        return row;
      });
      const slow = aggregate(method, rows, options);
      // Slow path, rep mode: z as a variable, per-task gradients w.r.t. z, then the encoder's VJP of d_z.
      const z = tf.variable(tf.tidy(() => model.encode!(batch.x, true)));
      const zRows = tasks.map((_, t) => {
        const { value, grads } = tf.variableGrads(() => lossOf(model.decode!(z, true), t), [z]);
        value.dispose();
        const row = Float32Array.from(grads[z.name].dataSync());
        grads[z.name].dispose();
        return row;
      });
      const dz = tf.tensor(aggregate(method, zRows, options), z.shape);
      const enc = tf.variableGrads(() => tf.sum(tf.mul(model.encode!(batch.x, true), dz)) as tf.Scalar, shared);
      enc.value.dispose();
      const slowRep = flatten(shared.map((v) => enc.grads[v.name]));
      Object.values(enc.grads).forEach((g) => g.dispose());
      [z, dz].forEach((t) => t.dispose());

      for (const [mode, want] of [['param', slow], ['rep', slowRep]] as const) {
        const { grads, losses } = gradientStep({
          model, tasks, weighting, batch, ctx: { epoch: 0, step: 0 }, mode,
          direction: (G) => ({ weights: weightsFromGramian(method, G.gramian(), options) }),
        });
        const got = flatten(shared.map((v) => grads.get(v)!));
        let worst = 0;
        want.forEach((v, k) => (worst = Math.max(worst, Math.abs(v - got[k]) / (1e-3 + Math.abs(v)))));
        expect(worst, `${method} ${mode}`).toBeLessThan(1e-4);
        grads.forEach((g) => g.dispose());
        losses.dispose();
      }
    }
    disposeBatch(batch);
    model.dispose();
  });
});

describe('registered aggregators through the Trainer', () => {
  it('a rows method (values read back) and a Gramian method (G kept on the device) that pick the same direction train alike', async () => {
    // Both take task 1's gradient: one from the rows in JavaScript, one as weights (0, 1, 0) on the device.
    registerAggregator('second-task-rows', (G) => Float32Array.from(G[1]!));
    registerAggregator('second-task-gramian', fromWeights((M) => M.map((_, i) => (i === 1 ? 1 : 0))));
    expect(isGramianMethod('second-task-rows')).toBe(false);
    expect(isGramianMethod('second-task-gramian')).toBe(true);
    const rows = trainer({ aggregator: { method: 'second-task-rows' } });
    const gram = trainer({ aggregator: { method: 'second-task-gramian' } });
    await rows.fit(ds);
    await gram.fit(ds);
    expectClose(weights(gram), weights(rows), 1e-5);
    for (const t of [rows, gram]) { t.dispose(); t.model.dispose(); }
  });
});

describe('penalties', () => {
  it('a penalty λ‖θ_shared‖² equals the built-in L2, in loss space and in gradient space', async () => {
    for (const aggregator of [null, { method: 'sum' }]) {
      const builtIn = trainer({ l2: 1e-2, aggregator });
      const viaPenalty = trainer({ l2: 0, aggregator });
      const shared = viaPenalty.model.sharedVariables();
      (viaPenalty.options as TrainerOptions).penalties = [() => tf.mul(1e-2, tf.addN(shared.map((v) => tf.sum(tf.square(v)))))];
      await builtIn.fit(ds);
      await viaPenalty.fit(ds);
      expectClose(weights(viaPenalty), weights(builtIn), 1e-5);
    }
  });
});
