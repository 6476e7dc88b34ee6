/**
 * Evaluation of a BatchSource (./batch-source.ts: a validation or test file streamed from disk): the
 * rows go through the model a batch at a time, and only the predictions and labels are kept — per task
 * n × outputs predictions and n × width labels, 8 bytes per row and output, e.g. 8 MB for a million
 * rows of 3 single-output tasks — because the metrics (AUC, F1, …) need them all at once. The inputs
 * are never held. Losses and metrics are computed as evaluateDataset (./evaluate.ts) computes them.
 */
import { tf } from '../engine/tf.js';
import type { MultiTaskModel } from '../models/types.js';
import type { Metrics, Task } from '../tasks/types.js';
import { disposeBatch } from './batches.js';
import { rowBatchTensors, type BatchSource } from './batch-source.js';
import type { DatasetEvaluation } from './evaluate.js';

/** A Float32Array that grows by doubling. */
class Growing {
  data = new Float32Array(1024);
  length = 0;
  push(values: Float32Array): void {
    if (this.length + values.length > this.data.length) {
      let size = this.data.length;
      while (size < this.length + values.length) size *= 2;
      const next = new Float32Array(size);
      next.set(this.data.subarray(0, this.length));
      this.data = next;
    }
    this.data.set(values, this.length);
    this.length += values.length;
  }
  values(): Float32Array {
    return this.data.slice(0, this.length);
  }
}

export async function evaluateSource(model: MultiTaskModel, tasks: Task[], source: BatchSource, batchSize = 1024): Promise<DatasetEvaluation> {
  const specs = tasks.map((t) => {
    const spec = source.tasks.find((s) => s.name === t.name);
    if (!spec) throw new Error(`dataset "${source.name}" has no task "${t.name}" (it has ${source.tasks.map((s) => s.name).join(', ')})`);
    return { name: t.name, width: spec.width };
  });
  const predictions = tasks.map(() => new Growing());
  const labels = tasks.map(() => new Growing());
  const lossSum = new Float64Array(tasks.length);
  const labelled = new Float64Array(tasks.length);
  let n = 0;
  for await (const b of source.batches(batchSize)) {
    const batch = rowBatchTensors(b, source.inputShape, specs);
    const outs = tf.tidy(() => {
      const { logits } = model.forward(batch.x, false);
      return logits.flatMap((l, i) => [tasks[i]!.predict(l), tasks[i]!.loss(l, batch.labels[i]!, batch.masks[i]!), tf.sum(batch.masks[i]!)]);
    });
    tasks.forEach((t, i) => {
      const [pred, loss, count] = outs.slice(3 * i, 3 * i + 3);
      predictions[i]!.push(pred!.dataSync() as Float32Array);
      labels[i]!.push(b.labels[t.name]!.subarray(0, b.n * specs[i]!.width));
      const c = count!.dataSync()[0]!;
      lossSum[i] += loss!.dataSync()[0]! * c;
      labelled[i] += c;
    });
    outs.forEach((o) => o.dispose());
    disposeBatch(batch);
    n += b.n;
  }
  const metrics: Record<string, Metrics> = {};
  const preds = predictions.map((p) => p.values());
  tasks.forEach((t, i) => {
    metrics[t.name] = { loss: labelled[i] ? lossSum[i]! / labelled[i]! : NaN, ...t.metrics(preds[i]!, labels[i]!.values(), n) };
  });
  return { predictions: preds, metrics };
}
