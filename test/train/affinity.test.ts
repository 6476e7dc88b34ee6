import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/engine/backend.js';
import { tf } from '../../src/engine/tf.js';
import { mulberry32 } from '../../src/data/split.js';
import type { Dataset } from '../../src/data/types.js';
import { buildModel } from '../../src/models/registry.js';
import { bestGrouping, groupScore } from '../../src/relations/grouping.js';
import { createTask } from '../../src/tasks/registry.js';
import { Trainer } from '../../src/train/node/trainer.js';
import { makeBatch, prepare } from '../../src/train/batches.js';
import { lookaheadAffinity } from '../../src/train/affinity.js';

beforeAll(async () => { await initBackend('wasm'); });

/**
 * Built to conflict: the shared representation is a single linear unit. 'up' and 'same' need it to
 * follow x₀; 'other' needs it to follow x₁, so a step for 'up' pulls it away from what 'other' needs.
 */
function conflictData(): Dataset {
  const n = 256, d = 4, rnd = mulberry32(4);
  const x = new Float32Array(n * d).map(() => rnd() * 2 - 1);
  const y = new Float32Array(n), o = new Float32Array(n);
  for (let i = 0; i < n; i++) { y[i] = x[i * d]; o[i] = x[i * d + 1]; }
  return {
    name: 'conflict', inputShape: [d], n, x,
    tasks: ['up', 'other', 'same'].map((name) => ({ name, kind: 'regression' as const, width: 1, outputSize: 1 })),
    labels: { up: y, other: o, same: y.slice() },
  };
}

describe('inter-task affinity (TAG lookahead)', () => {
  it('matches its first-order expansion Z_{i→j} ≈ η ∇L_i·∇L_j / L_j for a small step', async () => {
    const ds = conflictData();
    const tasks = ds.tasks.map((s) => createTask(s, { state: { mean: [0], std: [1] } }));
    const model = buildModel('hps', { inputShape: [4], tasks, seed: 3 }, { encoder: { type: 'mlp', hidden: [6], activation: 'tanh' } });
    const batch = makeBatch(prepare(ds, tasks.map((t) => t.name)), Array.from({ length: 64 }, (_, i) => i));
    const eta = 1e-3;
    const Z = lookaheadAffinity(model, tasks, batch, eta);
    // Independent computation of the per-task shared gradients with tf.variableGrads.
    const shared = model.sharedVariables();
    const grads = tasks.map((t, i) => {
      const { value, grads: g } = tf.variableGrads(() => t.loss(model.forward(batch.x, true).logits[i], batch.labels[i], batch.masks[i]) as tf.Scalar, shared);
      const loss = value.dataSync()[0];
      const flat = shared.flatMap((v) => Array.from(g[v.name].dataSync()));
      tf.dispose([value, ...Object.values(g)]);
      return { loss, flat };
    });
    for (let i = 0; i < 3; i++) {
      for (let j = 0; j < 3; j++) {
        const dot = grads[i].flat.reduce((s, v, k) => s + v * grads[j].flat[k], 0);
        const expected = (eta * dot) / grads[j].loss;
        expect(Math.abs(Z[i][j] - expected)).toBeLessThan(0.05 * Math.abs(expected) + 1e-6);
      }
    }
  });

  it('is positive between tasks with the same target, negative where a shared unit is fought over; no tensor leak', async () => {
    const ds = conflictData();
    const tasks = ds.tasks.map((s) => createTask(s, { state: { mean: [0], std: [1] } }));
    const model = buildModel('hps', { inputShape: [4], tasks, seed: 3 }, { encoder: { type: 'mlp', hidden: [1], activation: 'linear' } });
    // 'same' starts with the head of 'up': same target, same head, so a step for one is a step for the other.
    const [upHead, , sameHead] = tasks.map((t) => model.taskVariables(t.name));
    sameHead.forEach((v, k) => v.assign(upHead[k]));
    const counts: number[] = [];
    const t = new Trainer(model, tasks, { epochs: 3, batchSize: 32, optimizer: { name: 'sgd', lr: 0.05 }, seed: 3, progress: 'silent', affinity: { every: 1 }, onEpoch: () => counts.push(tf.memory().numTensors) });
    const r = await t.fit(ds);
    expect(new Set(counts).size).toBe(1);
    const Z = t.affinity()!;
    const [up, other, same] = [0, 1, 2];
    expect(Z[up][same]).toBeGreaterThan(0);
    expect(Z[same][up]).toBeGreaterThan(0);
    expect(Z[up][same]).toBeGreaterThan(Z[up][other]);
    expect(r.history[0].affinity).toBeDefined();
    expect(bestGrouping(Z).groups.some((g) => g.includes(up) && g.includes(same))).toBe(true);
    t.dispose(); t.model.dispose();
  });
});

describe('task grouping', () => {
  it('hand-worked scores and the exhaustive optimum', () => {
    const Z = [
      [0, 0.5, -0.2],
      [0.3, 0, -0.4],
      [-0.1, -0.3, 0],
    ];
    // {0,1},{2}: task0 receives Z10 = 0.3, task1 receives Z01 = 0.5 → 0.8.
    expect(groupScore(Z, [[0, 1], [2]])).toBeCloseTo(0.8, 12);
    // {0,1,2}: task0 (0.3−0.1)/2, task1 (0.5−0.3)/2, task2 (−0.2−0.4)/2 → 0.1+0.1−0.3 = −0.1.
    expect(groupScore(Z, [[0, 1, 2]])).toBeCloseTo(-0.1, 12);
    expect(bestGrouping(Z)).toEqual({ groups: [[0, 1], [2]], score: expect.closeTo(0.8, 12) });
    // At most one group: everything together.
    expect(bestGrouping(Z, 1).groups).toEqual([[0, 1, 2]]);
  });

  it('greedy (T > 10) finds planted blocks', () => {
    const T = 12;
    const Z = Array.from({ length: T }, (_, i) => Array.from({ length: T }, (_, j) => (i === j ? 0 : Math.floor(i / 4) === Math.floor(j / 4) ? 0.5 : -0.5)));
    expect(bestGrouping(Z).groups).toEqual([[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10, 11]]);
  });
});
