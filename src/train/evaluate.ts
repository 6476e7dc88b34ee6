/**
 * Inference over a whole dataset in batches (training = false): per-task predictions, masked losses
 * and metrics. Losses are averaged over labelled entries, exactly as in training.
 */
import { tf } from '../engine/tf.js';
import type { Dataset } from '../data/types.js';
import type { MultiTaskModel } from '../models/types.js';
import type { Metrics, Task } from '../tasks/types.js';
import { batchRows, disposeBatch, makeBatch, prepare } from './batches.js';

export interface DatasetEvaluation {
  /** n × headUnits predictions per task, in label units. */
  predictions: Float32Array[];
  /** Per task: its metrics plus `loss`. */
  metrics: Record<string, Metrics>;
}

export function evaluateDataset(model: MultiTaskModel, tasks: Task[], ds: Dataset, batchSize = 1024): DatasetEvaluation {
  const data = prepare(ds, tasks.map((t) => t.name));
  const predictions = tasks.map((t) => new Float32Array(ds.n * t.headUnits));
  const lossSum = new Float64Array(tasks.length);
  const labelled = new Float64Array(tasks.length);
  const order = Array.from({ length: ds.n }, (_, i) => i);
  for (const rows of batchRows(order, batchSize)) {
    const batch = makeBatch(data, rows);
    const outs = tf.tidy(() => {
      const { logits } = model.forward(batch.x, false);
      return logits.flatMap((l, i) => [tasks[i].predict(l), tasks[i].loss(l, batch.labels[i], batch.masks[i]), tf.sum(batch.masks[i])]);
    });
    tasks.forEach((t, i) => {
      const [pred, loss, count] = outs.slice(3 * i, 3 * i + 3);
      predictions[i].set(pred.dataSync() as Float32Array, rows[0] * t.headUnits);
      const c = count.dataSync()[0];
      lossSum[i] += loss.dataSync()[0] * c;
      labelled[i] += c;
    });
    outs.forEach((o) => o.dispose());
    disposeBatch(batch);
  }
  const metrics: Record<string, Metrics> = {};
  tasks.forEach((t, i) => {
    metrics[t.name] = { loss: labelled[i] ? lossSum[i] / labelled[i] : NaN, ...t.metrics(predictions[i], ds.labels[t.name], ds.n) };
  });
  return { predictions, metrics };
}
