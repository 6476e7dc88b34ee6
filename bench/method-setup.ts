/**
 * The gradient-method benchmarks' setup, shared by `bench:methods` (step rates) and `bench:profile`
 * (where one step's time goes): the bench's HPS MLP (784-256-256, batch 128, Adam 1e-3) — or its CNN
 * (bench/spec.ts, batch 64) — on MNIST with T tasks — even ones classify the digit, odd ones regress its
 * box, each with its own head.
 */
import { loadMnist } from '../src/data/loaders/mnist.js';
import { shuffleIndices } from '../src/data/split.js';
import type { Dataset, TaskSpec } from '../src/data/types.js';
import { buildModel } from '../src/models/registry.js';
import { createTask } from '../src/tasks/registry.js';
import { disposeBatch, makeBatch, prepare } from '../src/train/batches.js';
import { Trainer, type TrainerOptions } from '../src/train/node/trainer.js';
import { BENCH_SPECS, type BenchModel } from './spec.js';

export type AggregatorOption = TrainerOptions['aggregator'];

/** `ew`, `pcgrad`, `mgda@rep`, …: a method label as the bench tables print it. */
export function aggregatorFor(label: string): AggregatorOption {
  if (label === 'ew') return null;
  const [method, mode] = label.split('@');
  return { method: method!, mode: mode === 'rep' ? 'rep' : 'param' };
}

/** MNIST as the model takes it: flat rows for the MLP, 28×28×1 images for the CNN. */
export async function benchImages(model: BenchModel = 'mlp'): Promise<Dataset> {
  return (await loadMnist({ flatten: model === 'mlp', limit: 4096 })).train;
}

function tasksFor(data: Dataset, T: number) {
  const specs: TaskSpec[] = [];
  const labels: Record<string, Float32Array> = {};
  for (let t = 0; t < T; t++) {
    const digit = t % 2 === 0;
    const name = `${digit ? 'digit' : 'box'}_${t}`;
    specs.push(digit ? { name, kind: 'multiclass', width: 1, outputSize: 10 } : { name, kind: 'regression', width: 4, outputSize: 4 });
    labels[name] = digit ? data.labels.digit! : data.labels.box!;
  }
  const dataset: Dataset = { ...data, tasks: specs, labels };
  return { dataset, tasks: specs.map((s) => createTask(s, {}, { values: labels[s.name]!, n: data.n })) };
}

/** A trainer for T tasks and a `step()` that trains on the next batch and waits for its losses. */
export function methodRun(data: Dataset, T: number, aggregator: AggregatorOption, benchModel: BenchModel = 'mlp') {
  const spec = BENCH_SPECS[benchModel];
  const B = spec.batchSize;
  const { dataset, tasks } = tasksFor(data, T);
  const prepared = prepare(dataset, tasks.map((t) => t.name));
  const order = shuffleIndices(data.n, 0);
  const batches: number[][] = [];
  for (let s = 0; s + B <= order.length; s += B) batches.push(order.slice(s, s + B));
  const model = buildModel('hps', { inputShape: data.inputShape, tasks, seed: 0 }, { encoder: spec.encoder });
  const trainer = new Trainer(model, tasks, {
    epochs: 1, batchSize: B, optimizer: { name: 'adam', lr: 1e-3 }, seed: 0, progress: 'silent', aggregator, gradientStats: false,
  });
  let n = 0;
  return {
    step(): void {
      const batch = makeBatch(prepared, batches[n % batches.length]!);
      const losses = trainer.step(batch, 0, n++);
      losses.dataSync();
      losses.dispose();
      disposeBatch(batch);
    },
    dispose(): void {
      trainer.dispose();
      model.dispose();
    },
  };
}
