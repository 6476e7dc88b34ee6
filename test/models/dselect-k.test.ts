/**
 * DSelect-k (src/models/dselect-k.ts, gate in src/models/dselect-layers.ts) against hand-worked values of
 * the smooth-step and the selector products, the sum-to-1 and one-hot properties (n a power of 2 or not),
 * the parameter groups counted by hand, training, saving and loading, and `mtl compare`'s method parsing.
 */
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { initBackend } from '../../src/engine/backend.js';
import { tf } from '../../src/engine/tf.js';
import { DSelectGate } from '../../src/models/dselect-k.js';
import { selectorBits, smoothStepValue, type DSelectGateArgs } from '../../src/models/dselect-layers.js';
import type { GatedModel } from '../../src/models/experts.js';
import { saveLayersModel } from '../../src/models/io.js';
import { buildManifest } from '../../src/models/manifest.js';
import { countParameters, parameterGroups } from '../../src/models/params.js';
import { architectureNames } from '../../src/models/registry.js';
import { loadSavedModel } from '../../src/models/saved.js';
import { estimateParameters } from '../../src/models/size.js';
import { parseMethod } from '../../src/run/compare.js';
import { Trainer } from '../../src/train/node/trainer.js';
import { build, ds, maxAbsDiff, randomInput, tempDir } from './helpers.js';

beforeAll(async () => { await initBackend('wasm'); });

/** Gate weights [B, n] of a lone gate layer with the given parameters (task routing: [z (k × m), α (k)]). */
function gateWeights(args: Omit<DSelectGateArgs, 'seed'>, params: (number[] | number[][])[], batch = 2, inputs = 3): number[][] {
  const layer = new DSelectGate({ seed: 5, ...args });
  const x = tf.randomUniform([batch, inputs], -1, 1, 'float32', 3);
  tf.dispose(layer.apply(x) as tf.Tensor); // builds it
  const tensors = params.map((p) => (Array.isArray(p[0]) ? tf.tensor2d(p as number[][]) : tf.tensor1d(p as number[])));
  layer.setWeights(tensors);
  const w = layer.apply(x) as tf.Tensor;
  const rows = w.arraySync() as number[][];
  tf.dispose([w, x, ...tensors]);
  layer.dispose();
  return rows;
}

/** The same gate with routing 'example': kernels zero, biases = z (flattened) and α, so every row is the hand value. */
function exampleGateWeights(args: Omit<DSelectGateArgs, 'seed' | 'routing'>, z: number[][], alpha: number[]): number[][] {
  const inputs = 3, m = selectorBits(args.experts);
  return gateWeights({ ...args, routing: 'example' }, [
    Array.from({ length: inputs }, () => new Array(args.k * m).fill(0)), z.flat(),
    Array.from({ length: inputs }, () => new Array(args.k).fill(0)), alpha,
  ], 2, inputs);
}

const expectRow = (row: number[], want: number[], digits = 6) => {
  expect(row.length).toBe(want.length);
  row.forEach((v, i) => expect(v, `weight ${i}`).toBeCloseTo(want[i]!, digits));
};

describe('the smooth-step S(t)', () => {
  it('is 0 at −γ/2, 1/2 at 0, 1 at γ/2; by hand S(1/4) = −2/64 + 3/8 + 1/2 = 0.84375 (γ = 1), S(−1/2) = 0.15625 (γ = 2)', () => {
    for (const gamma of [1, 2, 0.3]) {
      expect(smoothStepValue(-gamma / 2, gamma)).toBe(0);
      expect(smoothStepValue(0, gamma)).toBe(0.5);
      expect(smoothStepValue(gamma / 2, gamma)).toBe(1);
      expect(smoothStepValue(-gamma, gamma)).toBe(0);
      expect(smoothStepValue(3 * gamma, gamma)).toBe(1);
    }
    expect(smoothStepValue(0.25, 1)).toBeCloseTo(0.84375, 12);
    expect(smoothStepValue(-0.5, 2)).toBeCloseTo(0.15625, 12); // S_γ(t) = S_1(t/γ): −2(−1/4)³ + 3(−1/4)/2 + 1/2
  });

  it('the layer computes the same S: with n = 2, k = 1 the gate is [1 − S(z), S(z)], exactly 0/1 beyond ±γ/2', () => {
    const cases: [number, number, number][] = [[0.25, 1, 0.84375], [-0.5, 2, 0.15625], [0, 1, 0.5], [-0.5, 1, 0], [0.5, 1, 1], [7, 1, 1], [-1e6, 1, 0], [0.15, 0.3, 1]];
    for (const [t, gamma, s] of cases) {
      const [row] = gateWeights({ experts: 2, k: 1, gamma, routing: 'task' }, [[[t]], [0]]);
      expectRow(row!, [1 - s, s]);
      if (s === 0 || s === 1) expect(row).toEqual([1 - s, s]);
    }
  });

  it("its gradient is S'(t) = 3/(2γ) − 6t²/γ³ inside (1.125 at t = 1/4, γ = 1; 0.5625 at t = −1/2, γ = 2), 0 outside", () => {
    const cases: [number, number, number][] = [[0.25, 1, 1.125], [-0.5, 2, 0.5625], [0, 1, 1.5], [0.6, 1, 0], [-3, 1, 0]];
    for (const [t, gamma, slope] of cases) {
      const layer = new DSelectGate({ experts: 2, k: 1, gamma, routing: 'task', seed: 1 });
      const x = tf.zeros([1, 2]);
      tf.dispose(layer.apply(x) as tf.Tensor);
      const z = tf.tensor2d([[t]]);
      layer.setWeights([z, tf.zeros([1])]);
      const v = layer.trainableWeights[0]!.read() as tf.Variable;
      // d/dz of S(z) (the weight on expert 1) and of 1 − S(z) (expert 0).
      for (const [pick, sign] of [[[0, 1], 1], [[1, 0], -1]] as [number[], number][]) {
        const { value, grads } = tf.variableGrads(() => tf.sum(tf.mul(layer.apply(x) as tf.Tensor, tf.tensor1d(pick))) as tf.Scalar, [v]);
        expect(grads[v.name]!.dataSync()[0]).toBeCloseTo(sign * slope, 6);
        tf.dispose([value, ...Object.values(grads)]);
      }
      tf.dispose([x, z]);
      layer.dispose();
    }
  });
});

describe('the DSelect-k gate', () => {
  // S(1/4) = 0.84375, S(−1/10) = −2(−0.001) − 0.15 + 0.5 = 0.352 (γ = 1). Bit j of expert l = (l >> j) & 1:
  //   l = 0: (1 − s0)(1 − s1) = 0.15625 · 0.648 = 0.10125      l = 1: s0(1 − s1) = 0.84375 · 0.648 = 0.54675
  //   l = 2: (1 − s0)s1 = 0.15625 · 0.352 = 0.055              l = 3: s0 s1 = 0.84375 · 0.352 = 0.297
  const hand = [0.10125, 0.54675, 0.055, 0.297];

  it('n = 4, k = 1, z = (1/4, −1/10): the weights are the hand-computed products and sum to 1, per task and per example', () => {
    const z = [[0.25, -0.1]];
    expect(hand.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    for (const row of gateWeights({ experts: 4, k: 1, routing: 'task' }, [z, [0.3]])) expectRow(row, hand);
    for (const row of exampleGateWeights({ experts: 4, k: 1 }, z, [0.3])) expectRow(row, hand);
  });

  it('k = 2: softmax(α) = (1/4, 3/4) mixes a selector saturated on expert 3 with one on expert 2', () => {
    const z = [[1, 1], [-1, 0.7]];
    const alpha = [0, Math.log(3)];
    for (const row of gateWeights({ experts: 4, k: 2, routing: 'task' }, [z, alpha])) expectRow(row, [0, 0, 0.75, 0.25]);
    // One saturated selector and the hand selector above: (1/2)(0, 0, 0, 1) + (1/2)·hand.
    const half = gateWeights({ experts: 4, k: 2, routing: 'task' }, [[[2, 3], [0.25, -0.1]], [0.4, 0.4]]);
    expectRow(half[0]!, hand.map((h, l) => 0.5 * h + (l === 3 ? 0.5 : 0)));
  });

  it('n not a power of 2: the unused codes fold onto experts c mod n; n = 3, z = (1/4, 1/4) by hand, and random z sum to 1', () => {
    // s = 0.84375: codes 0: (1 − s)² = 0.0244140625, 1 and 2: s(1 − s) = 0.1318359375, 3: s² = 0.7119140625 → expert 0.
    const [row] = gateWeights({ experts: 3, k: 1, routing: 'task' }, [[[0.25, 0.25]], [0]]);
    expectRow(row!, [0.0244140625 + 0.7119140625, 0.1318359375, 0.1318359375]);
    // Per example, random (seeded) gate parameters spread well into and beyond the cubic region.
    for (const [n, k] of [[3, 1], [3, 2], [5, 2], [6, 3], [7, 4], [8, 2], [9, 3]] as const) {
      const layer = new DSelectGate({ experts: n, k, gamma: 1, routing: 'example', seed: 11 });
      const x = tf.randomUniform([64, 6], -1, 1, 'float32', n);
      tf.dispose(layer.apply(x) as tf.Tensor);
      const wanted = layer.getWeights().map((w, i) => tf.randomNormal(w.shape, 0, i % 2 ? 0.3 : 0.6, 'float32', 17 + i));
      layer.setWeights(wanted);
      const w = layer.apply(x) as tf.Tensor;
      expect(w.shape).toEqual([64, n]);
      const values = w.arraySync() as number[][];
      for (const r of values) {
        expect(Math.abs(r.reduce((a, b) => a + b, 0) - 1), `n = ${n}, k = ${k}`).toBeLessThan(1e-5);
        expect(Math.min(...r)).toBeGreaterThanOrEqual(0);
      }
      tf.dispose([w, x, ...wanted]);
      layer.dispose();
    }
  });

  it('with every |z| ≥ γ/2 each selector picks exactly one expert (n = 8, 5, 3; per task and per example)', () => {
    let seed = 1;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
    for (const n of [8, 5, 3]) {
      const m = selectorBits(n);
      for (let trial = 0; trial < 6; trial++) {
        const z = [Array.from({ length: m }, () => (rnd() < 0.5 ? -1 : 1) * (0.5 + 4 * rnd()))];
        const code = z[0]!.reduce((c, v, j) => c + (v > 0 ? 1 << j : 0), 0);
        const want = Array.from({ length: n }, (_, l) => (l === code % n ? 1 : 0));
        for (const row of gateWeights({ experts: n, k: 1, routing: 'task' }, [z, [0]])) expect(row).toEqual(want);
        for (const row of exampleGateWeights({ experts: n, k: 1 }, z, [0])) expect(row).toEqual(want);
      }
    }
    // Per example with a large kernel: every example's gate is one-hot (at most k = 1 non-zero), not all the same.
    const layer = new DSelectGate({ experts: 8, k: 1, routing: 'example', seed: 2 });
    // Inputs with |x_j| ≥ 0.2 and random signs, so that z = 50 x_j (j < 3) lies beyond ±γ/2 for every example.
    const x = tf.tidy(() => tf.mul(tf.randomUniform([40, 4], 0.2, 1, 'float32', 9), tf.where(tf.greater(tf.randomUniform([40, 4], -1, 1, 'float32', 4), 0), 1, -1)));
    tf.dispose(layer.apply(x) as tf.Tensor);
    const [kernel, bias, ak, ab] = layer.getWeights();
    const big = [tf.tensor2d([[50, 0, 0], [0, 50, 0], [0, 0, 50], [0, 0, 0]]), tf.zerosLike(bias!), ak!.clone(), ab!.clone()];
    expect(kernel!.shape).toEqual([4, 3]);
    layer.setWeights(big);
    const rows = (layer.apply(x) as tf.Tensor).arraySync() as number[][];
    for (const r of rows) expect(r.filter((v) => v === 1).length + r.filter((v) => v === 0).length).toBe(8);
    expect(new Set(rows.map((r) => r.indexOf(1))).size).toBeGreaterThan(1);
    tf.dispose([x, ...big]);
    layer.dispose();
  });

  it('refuses bad options with a message naming them', () => {
    expect(() => build('dselect-k', { experts: 1 })).toThrow(/experts/);
    expect(() => build('dselect-k', { experts: 4, k: 5 })).toThrow('dselect-k: k (experts selected) must be an integer in [1, experts = 4], got 5');
    expect(() => build('dselect-k', { gamma: 0 })).toThrow(/gamma/);
    expect(() => build('dselect-k', { routing: 'batch' })).toThrow(/routing/);
    expect(() => build('dselect-k', { expert: 3 })).toThrow('dselect-k: unknown option(s) expert; options are experts, k, gamma, routing');
    // In a config, before anything is built: the registered options schema.
    const schema = (o: Record<string, unknown>) => {
      try {
        parseConfig({ data: { dataset: 'adult' }, model: { architecture: 'dselect-k', options: o } }, 'config.yaml');
        return '';
      } catch (e) {
        return (e as Error).message;
      }
    };
    expect(schema({ experts: 6, k: 3, gamma: 0.5, routing: 'task' })).toBe('');
    expect(schema({ experts: 3, k: 4 })).toContain('architecture "dselect-k": option "k": k (experts selected) must be at most experts');
    expect(schema({ experts: 1 })).toContain('option "experts"');
    expect(schema({ gamma: -1 })).toContain('option "gamma"');
    expect(schema({ routing: 'global' })).toContain('option "routing"');
    expect(schema({ topk: 2 })).toContain('unknown option "topk" (allowed: experts, k, gamma, routing)');
  });
});

describe('the dselect-k architecture', () => {
  // 8 inputs, expert = encoder mlp [6, 4] (82 parameters), heads a: 5, b: 5, c: 15 (see architectures.test.ts).
  // n = 3 experts → m = 2; k = 2: per-example gate 8·(k·m) + k·m + 8·k + k = 32 + 4 + 16 + 2 = 54; task gate k·m + k = 6.
  const cases: [Record<string, unknown>, number, number][] = [
    [{ experts: 3, k: 2 }, 3 * 82, 54],
    [{ experts: 3, k: 2, routing: 'task' }, 3 * 82, 6],
    [{}, 4 * 82, 8 * 4 + 4 + 8 * 2 + 2], // defaults: n = 4, k = 2
  ];
  it.each(cases)('%j: experts are shared, each task owns its gate and head (hand-counted)', (options, shared, gate) => {
    const model = build('dselect-k', options).model as GatedModel;
    expect(architectureNames()).toContain('dselect-k');
    expect(model.architecture).toBe('dselect-k');
    const heads = { a: 5, b: 5, c: 15 };
    expect(parameterGroups(model)).toEqual({ shared, tasks: { a: gate + heads.a, b: gate + heads.b, c: gate + heads.c } });
    expect(countParameters(model)).toBe(shared + 3 * gate + 25);
    expect(estimateParameters({ architecture: 'dselect-k', encoder: { type: 'mlp', hidden: [6, 4] }, head: { hidden: [] }, options }, 8, [1, 1, 3])!.parameters)
      .toBe(shared + 25); // the size check counts every expert (gates are small and not estimated)
    const n = (options.experts as number | undefined) ?? 4;
    const x = randomInput(ds.inputShape, 6);
    expect(model.gateNames).toEqual(['a', 'b', 'c']);
    expect(model.gateExperts).toEqual([0, 1, 2].map(() => Array.from({ length: n }, (_, i) => `shared${i}`)));
    const gates = model.gates(x);
    for (const g of gates) {
      expect(g.shape).toEqual([6, n]);
      tf.tidy(() => tf.sum(g, 1).dataSync()).forEach((s) => expect(s).toBeCloseTo(1, 5));
    }
    // Gradients: every shared variable reaches every task; a task's own variables reach no other task.
    const all = model.trainableVariables();
    model.taskNames.forEach((task, t) => {
      const own = tf.variableGrads(() => tf.sum(tf.square(model.forward(x, true).logits[t]!)) as tf.Scalar, all);
      expect(model.sharedVariables().filter((v) => !own.grads[v.name]).map((v) => v.name)).toEqual([]);
      const others = tf.variableGrads(() => tf.addN(model.forward(x, true).logits.filter((_, u) => u !== t).map((l) => tf.sum(tf.square(l)))) as tf.Scalar, all);
      for (const v of model.taskVariables(task)) if (others.grads[v.name]) expect(tf.tidy(() => tf.max(tf.abs(others.grads[v.name]!)).dataSync()[0])).toBe(0);
      tf.dispose([own.value, others.value, ...Object.values(own.grads), ...Object.values(others.grads)]);
    });
    tf.dispose([...gates, x]);
    model.dispose();
  });

  it('trains on a small seeded dataset: the loss of every task decreases (EW and PCGrad); rep-grad is refused', async () => {
    const before = tf.memory().numTensors;
    for (const aggregator of [undefined, { method: 'pcgrad' }] as const) {
      const { model, tasks } = build('dselect-k', { experts: 3, k: 2 }, 0);
      const t = new Trainer(model, tasks, { epochs: 6, batchSize: 32, optimizer: { name: 'adam', lr: 1e-2 }, seed: 0, progress: 'silent', ...(aggregator ? { aggregator } : {}) });
      const r = await t.fit(ds);
      const first = r.history[0]!.train, last = r.history.at(-1)!.train;
      for (const name of ['a', 'b', 'c']) expect(last[name]!.loss, `${name} (${aggregator?.method ?? 'ew'})`).toBeLessThan(first[name]!.loss);
      t.dispose();
      model.dispose();
    }
    expect(tf.memory().numTensors).toBe(before);
    const { model, tasks } = build('dselect-k', {}, 0);
    const t = new Trainer(model, tasks, { epochs: 1, batchSize: 64, optimizer: { name: 'adam', lr: 1e-2 }, seed: 0, progress: 'silent', aggregator: { method: 'pcgrad', mode: 'rep' } });
    await expect(t.fit(ds)).rejects.toThrow(/needs an architecture with one shared representation/);
    t.dispose();
    model.dispose();
  });

  it('save → load (model folder, loadSavedModel) predicts what the model predicts to 1e-6, gate layer and config included', async () => {
    const dir = tempDir();
    try {
      for (const options of [{ experts: 5, k: 2, gamma: 0.5 }, { experts: 4, k: 3, routing: 'task' }]) {
        const { model, tasks } = build('dselect-k', options, 3);
        // Spread the gates' parameters so that the selection differs between examples and some selectors saturate.
        for (const v of model.trainableVariables().filter((u) => u.name.includes('dselect_k_gate'))) v.assign(tf.randomNormal(v.shape, 0, 0.8, 'float32', 21));
        const folder = path.join(dir, String(options.experts));
        fs.mkdirSync(folder);
        await saveLayersModel(folder, model.layersModel());
        fs.writeFileSync(path.join(folder, 'manifest.json'), JSON.stringify(buildManifest({ architecture: 'dselect-k', inputShape: ds.inputShape, tasks })));
        const json = JSON.parse(fs.readFileSync(path.join(folder, 'model.json'), 'utf8'));
        const gates = JSON.stringify(json.modelTopology).match(/"class_name":"MtlDSelectGate"/g) ?? [];
        expect(gates.length).toBe(3);
        expect(JSON.stringify(json.modelTopology)).toContain(`"experts":${options.experts},"k":${options.k}`);
        const saved = await loadSavedModel(folder);
        expect(saved.manifest.architecture).toBe('dselect-k');
        const x = randomInput(ds.inputShape, 16, 5);
        const got = tf.tidy(() => saved.model.forward(x, false).logits);
        const want = tf.tidy(() => model.forward(x, false).logits);
        got.forEach((g, i) => expect(maxAbsDiff(g, want[i]!)).toBeLessThanOrEqual(1e-6));
        tf.dispose([...got, ...want, x]);
        saved.model.dispose();
        model.dispose();
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('mtl compare takes dselect-k as a method (an architecture), alone or with a weighting or aggregator', () => {
    expect(parseMethod('dselect-k')).toEqual({ label: 'dselect-k', architecture: 'dselect-k', weighting: 'ew', aggregator: undefined });
    expect(parseMethod('dselect-k+uw+pcgrad')).toMatchObject({ architecture: 'dselect-k', weighting: 'uw', aggregator: { method: 'pcgrad', mode: 'param' } });
  });
});
