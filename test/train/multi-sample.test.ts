/**
 * The trainer's support for methods that need several independent gradient samples per step
 * (GradientMethod.samples: MoDo, SDMGrad): the seeded extra-batch sampler, the gradient step on the
 * extra batches (G per sample, heads averaged), and the Trainer's checks.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { rowsCross, type GradientMethod } from '../../src/aggregators/method.js';
import { initBackend } from '../../src/engine/backend.js';
import { tf } from '../../src/engine/tf.js';
import { buildModel } from '../../src/models/registry.js';
import { createTask } from '../../src/tasks/registry.js';
import { datasetSource } from '../../src/train/batch-source.js';
import { disposeBatch, makeBatch, prepare, type Batch } from '../../src/train/batches.js';
import { gradientStep } from '../../src/train/gradient-step.js';
import { extraSampleRows, sampleDistinct, samplePool } from '../../src/train/sampler.js';
import type { TaskGradients } from '../../src/train/task-gradients.js';
import { Trainer, type TrainerOptions } from '../../src/train/trainer.js';
import { mulberry32 } from '../../src/data/split.js';
import { equalWeighting } from '../../src/weighting/fixed.js';
import { registerWeighting } from '../../src/weighting/registry.js';
import type { Weighting, WeightingOptions } from '../../src/weighting/types.js';
import { syntheticDataset } from '../helpers/synthetic.js';

beforeAll(async () => { await initBackend('cpu'); });

const ds = syntheticDataset(150, 6, 2);
const names = ds.tasks.map((t) => t.name);
const data = prepare(ds, names);

describe('the extra-sample sampler', () => {
  it('sampleDistinct: m distinct values in range; m ≥ n gives a permutation; each value equally likely', () => {
    const rand = mulberry32(1);
    expect([...sampleDistinct(10, 10, rand)].sort((a, b) => a - b)).toEqual([...Array(10).keys()]);
    expect(sampleDistinct(4, 9, rand)).toHaveLength(4);
    const counts = new Array<number>(20).fill(0);
    let bad = 0;
    for (let k = 0; k < 4000; k++) {
      const s = sampleDistinct(20, 5, rand);
      if (new Set(s).size !== 5 || s.some((v) => !Number.isInteger(v) || v < 0 || v >= 20)) bad++;
      s.forEach((v) => counts[v]!++);
    }
    expect(bad).toBe(0);
    // Inclusion probability 5/20: 1000 expected per value, binomial sd ≈ 27; 5 sd apart at most.
    counts.forEach((c) => expect(Math.abs(c - 1000)).toBeLessThan(140));
  });

  it('mixed: batchSize distinct rows, a pure function of (seed, step, k), different across steps and k', () => {
    const pool = samplePool(data, 'mixed');
    const a = extraSampleRows(pool, 32, 5, 17, 1);
    expect(a.rows).toHaveLength(32);
    expect(new Set(a.rows).size).toBe(32);
    expect(a.slice).toBeUndefined();
    expect(extraSampleRows(samplePool(data, 'mixed'), 32, 5, 17, 1)).toEqual(a);
    for (const other of [extraSampleRows(pool, 32, 5, 18, 1), extraSampleRows(pool, 32, 5, 17, 2), extraSampleRows(pool, 32, 6, 17, 1)]) {
      expect(other.rows).not.toEqual(a.rows);
    }
    expect(extraSampleRows(pool, 1000, 5, 0, 1).rows).toHaveLength(ds.n);
  });

  it('per-task: batchSize rows of each task\'s labelled rows, each in its task\'s slice', () => {
    const pool = samplePool(data, 'per-task');
    const { rows, slice } = extraSampleRows(pool, 16, 3, 4, 1);
    expect(rows).toHaveLength(48);
    names.forEach((_, t) => {
      const mine = rows.filter((_, i) => slice![i] === t);
      expect(mine).toHaveLength(16);
      expect(new Set(mine).size).toBe(16);
      // Task c has no label on every third row (the synthetic data's missing labels).
      if (names[t] === 'c') mine.forEach((r) => expect(r % 3).not.toBe(0));
    });
  });
});

describe('gradientStep with extra batches', () => {
  const tasks = ds.tasks.map((s) => createTask(s, {}, { values: ds.labels[s.name], n: ds.n }));
  const rowsOf = (start: number) => Array.from({ length: 24 }, (_, i) => (start + 5 * i) % ds.n);

  function step(model: ReturnType<typeof buildModel>, batch: Batch, extra: Batch[] | undefined, seen: (G: TaskGradients, S?: TaskGradients[]) => void) {
    return gradientStep({
      model, tasks, weighting: equalWeighting({ taskNames: names }), batch, ctx: { epoch: 0, step: 0 }, mode: 'param', extra,
      direction: (G, _losses, S) => { seen(G, S); return { weights: new Array<number>(G.T).fill(1) }; },
    });
  }
  const values = (m: Map<tf.Variable, tf.Tensor>, v: tf.Variable) => Array.from(m.get(v)!.dataSync());

  it('each head gets the mean of its gradients over the samples; the shared part the step batch\'s direction; G per sample', () => {
    const model = buildModel('hps', { inputShape: ds.inputShape, tasks, seed: 4 }, { encoder: { type: 'mlp', hidden: [8] } });
    const batches = [0, 1, 2].map((s) => makeBatch(data, rowsOf(s)));
    const rows: Float32Array[][] = [];
    // The slow path: one single-sample step per batch.
    const single = batches.map((b) => step(model, b, undefined, (G) => rows.push(G.rows().map((r) => Float32Array.from(r)))));
    const before = tf.memory().numTensors;
    let crosses: number[][][] = [];
    const multi = step(model, batches[0]!, batches.slice(1), (G, S) => {
      expect(S).toHaveLength(2);
      // On the device (two TaskGradients), and from the rows (a plain view).
      crosses = [G.cross(S![0]!), S![0]!.cross(S![1]!), S![1]!.cross(S![1]!), S![1]!.cross({ T: 3, rows: () => rows[2]!, gramian: () => [] })];
    });
    // Σ over P in float32 on the device vs double on the host: compare to float32 precision.
    const close = (a: number[][], b: number[][]) => a.forEach((r, i) => r.forEach((v, j) => expect(v).toBeCloseTo(b[i]![j]!, 4)));
    close(crosses[0]!, rowsCross(rows[0]!, rows[1]!));
    close(crosses[1]!, rowsCross(rows[1]!, rows[2]!));
    close(crosses[2]!, rowsCross(rows[2]!, rows[2]!));
    close(crosses[3]!, rowsCross(rows[2]!, rows[2]!));
    for (const task of tasks) {
      for (const v of model.taskVariables(task.name)) {
        const mean = values(single[0]!.grads, v).map((x, j) => (x + values(single[1]!.grads, v)[j]! + values(single[2]!.grads, v)[j]!) / 3);
        values(multi.grads, v).forEach((x, j) => expect(x).toBeCloseTo(mean[j]!, 5));
      }
    }
    for (const v of model.sharedVariables()) expect(values(multi.grads, v)).toEqual(values(single[0]!.grads, v));
    expect(Array.from(multi.losses.dataSync())).toEqual(Array.from(single[0]!.losses.dataSync()));
    // Only the result's own tensors are new: the extra tapes, terms and G's are gone.
    const owned = multi.grads.size + 1;
    expect(tf.memory().numTensors).toBe(before + owned);
    for (const r of [...single, multi]) { r.grads.forEach((g) => g.dispose()); r.losses.dispose(); }
    batches.forEach(disposeBatch);
    model.dispose();
  });

  it('extra samples need mode "param"', () => {
    const model = buildModel('hps', { inputShape: ds.inputShape, tasks, seed: 4 }, { encoder: { type: 'mlp', hidden: [8] } });
    const b = makeBatch(data, rowsOf(0));
    expect(() => gradientStep({
      model, tasks, weighting: equalWeighting({ taskNames: names }), batch: b, ctx: { epoch: 0, step: 0 }, mode: 'rep', extra: [b],
      direction: (G) => ({ weights: new Array<number>(G.T).fill(1) }),
    })).toThrow(/mode "param"/);
    disposeBatch(b);
    model.dispose();
  });
});

describe('the Trainer supplies what a method declares', () => {
  /** A probe: equal weights, declares `samples`, records what each step got. */
  const seen: { step: number; samples: number; same: boolean }[] = [];
  function probe(samples: number) {
    return (o: WeightingOptions): Weighting => {
      const T = o.taskNames.length;
      const method: GradientMethod<null> = {
        name: `probe-${samples}`, samples, init: () => null,
        update(G, state, ctx) {
          const S = ctx.samples ?? [];
          seen.push({ step: ctx.step, samples: S.length, same: S.some((s) => JSON.stringify(s.gramian()) === JSON.stringify(G.gramian())) });
          return { direction: { weights: new Array<number>(T).fill(1) }, state };
        },
      };
      return { ...equalWeighting(o), name: method.name, gradient: method };
    };
  }
  for (const k of [1, 2, 4]) registerWeighting(`probe-${k}`, probe(k));
  registerWeighting('probe-0', probe(0));

  function trainer(method: string, extra: Partial<TrainerOptions> = {}) {
    const tasks = ds.tasks.map((s) => createTask(s, {}, { values: ds.labels[s.name], n: ds.n }));
    const model = buildModel('hps', { inputShape: ds.inputShape, tasks, seed: 1 }, { encoder: { type: 'mlp', hidden: [8] } });
    return new Trainer(model, tasks, { epochs: 2, batchSize: 64, optimizer: { name: 'sgd', lr: 0.05 }, seed: 1, weighting: { method }, ...extra });
  }
  const finish = (t: Trainer) => { t.dispose(); t.model.dispose(); };

  it('samples: k gives every step k − 1 extra gradient samples of other batches, in both batchings', async () => {
    for (const [k, batching] of [[2, 'mixed'], [4, 'mixed'], [2, 'per-task']] as const) {
      seen.length = 0;
      const t = trainer(`probe-${k}`, { batching });
      await t.fit(ds);
      const steps = batching === 'mixed' ? 2 * Math.ceil(ds.n / 64) : seen.length;
      expect(seen).toHaveLength(steps);
      expect(seen.map((s) => s.step)).toEqual([...Array(steps).keys()]);
      seen.forEach((s) => { expect(s.samples).toBe(k - 1); expect(s.same).toBe(false); });
      finish(t);
    }
  });

  it('samples: 1 is the default: the same run as a method that declares nothing', async () => {
    const a = trainer('probe-1'), b = trainer('ew', { aggregator: { method: 'sum' } });
    await a.fit(ds);
    await b.fit(ds);
    expect(a.model.trainableVariables().map((v) => Array.from(v.dataSync()))).toEqual(b.model.trainableVariables().map((v) => Array.from(v.dataSync())));
    finish(a); finish(b);
  });

  it('clear errors: a bad declaration, a streamed source, a step without its extra batches', async () => {
    expect(() => trainer('probe-0')).toThrow(/whole number ≥ 1/);
    const t = trainer('modo');
    await expect(t.fit(datasetSource(ds))).rejects.toThrow(/needs the training data in memory/);
    const b = makeBatch(data, [0, 1, 2, 3]);
    expect(() => t.step(b, 0, 0)).toThrow(/3 independent minibatches per step.*got 0 more/);
    disposeBatch(b);
    finish(t);
  });
});
