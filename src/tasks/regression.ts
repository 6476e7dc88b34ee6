/**
 * Regression: MSE (default) or L1 on targets standardised with the training labels' mean and standard
 * deviation, so tasks in different units train on one scale; predictions are mapped back to real
 * units. Metrics MAE, RMSE, R² averaged over outputs (primary: MAE, lower is better).
 */
import { tf } from '../engine/tf.js';
import type { TaskSpec } from '../data/types.js';
import { mae, r2, rmse } from '../eval/metrics.js';
import { fusedLoss, fusedLossUsable, regressionKernel } from './fused-loss.js';
import { labelledColumn, maskedMean } from './masked.js';
import type { Task } from './types.js';

export interface RegressionOptions {
  loss?: 'mse' | 'l1';
  /** Target scaling; fitted from training labels when absent. */
  mean?: number[];
  std?: number[];
}

/** Per-output mean and standard deviation of the non-missing labels. */
export function fitTargetScaling(labels: Float32Array, n: number, width: number): { mean: number[]; std: number[] } {
  const mean: number[] = [], std: number[] = [];
  for (let j = 0; j < width; j++) {
    let s = 0, s2 = 0, c = 0;
    for (let i = 0; i < n; i++) {
      const v = labels[i * width + j];
      if (Number.isNaN(v)) continue;
      s += v; s2 += v * v; c++;
    }
    const m = c ? s / c : 0;
    const sd = c ? Math.sqrt(Math.max(s2 / c - m * m, 0)) : 1;
    mean.push(m);
    std.push(sd > 1e-12 ? sd : 1);
  }
  return { mean, std };
}

export function regressionTask(spec: TaskSpec, options: RegressionOptions = {}): Task {
  const W = spec.width;
  const lossKind = options.loss ?? 'mse';
  const mean = options.mean ?? new Array(W).fill(0);
  const std = options.std ?? new Array(W).fill(1);
  const kernel = regressionKernel(mean, std, lossKind);
  return {
    spec, name: spec.name, kind: 'regression', headUnits: W, primary: 'mae', higherIsBetter: false,
    loss(logits, labels, mask) {
      // One fused op (src/tasks/fused-loss.ts) where the backend reads values cheaply, else tf ops.
      if (fusedLossUsable()) return fusedLoss(logits, labels, mask, kernel);
      return tf.tidy(() => {
        const z = tf.div(tf.sub(labels, tf.tensor1d(mean)), tf.tensor1d(std));
        const diff = tf.sub(logits, z);
        return maskedMean(lossKind === 'l1' ? tf.abs(diff) : tf.square(diff), mask);
      });
    },
    predict: (logits) => tf.tidy(() => tf.add(tf.mul(logits, tf.tensor1d(std)), tf.tensor1d(mean))),
    metrics(pred, labels, n) {
      const out = { mae: 0, rmse: 0, r2: 0, count: 0 };
      for (let j = 0; j < W; j++) {
        const { pred: p, truth: t } = labelledColumn(pred, labels, n, W, j);
        out.mae += mae(p, t) / W;
        out.rmse += rmse(p, t) / W;
        out.r2 += r2(p, t) / W;
        out.count += t.length;
      }
      return out;
    },
    state: () => ({ loss: lossKind, mean, std }),
  };
}
