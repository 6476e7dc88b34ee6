/**
 * The per-task gradients of one step's shared part, G (T × P), kept on the device.
 *
 * Most aggregators only need the T×T Gramian M = GGᵀ and return weights β for d = Gᵀβ (see
 * aggregators/weighted.ts). Reading G back to JavaScript and forming M there costs O(T²P) scalar
 * work per step — more than the step itself for the bench MLP at T ≥ 4 — so M and d are matrix
 * products on the backend, and only T² numbers cross over. Methods that need every value (GradDrop,
 * GradNorm, DB-MTL) read the rows back with `rows()`.
 */
import type { Matrix } from '../aggregators/types.js';
import { tf } from '../engine/tf.js';
import { unflatten } from './flat.js';

/** What a gradient method returns: weights of the task gradients, or a whole direction of length P. */
export type { Direction } from '../aggregators/method.js';
import { rowsCross, type Direction, type GradientView } from '../aggregators/method.js';

export class TaskGradients {
  readonly T: number;
  readonly P: number;
  /** One T × n_k block per shared tensor k: G = [S_1 … S_K] column-wise, never concatenated. */
  private S: tf.Tensor2D[] | null;
  private M: Matrix | null = null;
  private R: Float32Array[] | null = null;

  /**
   * `parts[t][k]` is task t's gradient for the k-th shared tensor (of shape `shapes[k]`). Takes
   * ownership of the parts: they are disposed once copied into the blocks.
   */
  constructor(parts: tf.Tensor[][], private readonly shapes: number[][]) {
    this.T = parts.length;
    this.S = shapes.map((_, k) => tf.tidy(() => tf.concat(parts.map((row) => tf.reshape(row[k]!, [1, -1])), 0) as tf.Tensor2D));
    parts.forEach((row) => row.forEach((g) => g.dispose()));
    this.P = this.S.reduce((n, s) => n + s.shape[1], 0);
  }

  private blocks(): tf.Tensor2D[] {
    if (!this.S) throw new Error('TaskGradients used after dispose()');
    return this.S;
  }

  /** M = GGᵀ = Σ_k S_k S_kᵀ (T×T): products on the device, read back once and cached. */
  gramian(): Matrix {
    if (!this.M) {
      const S = this.blocks();
      const product = tf.tidy(() => tf.addN(S.map((s) => tf.matMul(s, s, false, true))));
      const flat = product.dataSync();
      product.dispose();
      const M: Matrix = [];
      // Symmetrise: the two triangles are summed in different orders.
      for (let i = 0; i < this.T; i++) M.push(Array.from({ length: this.T }, (_, j) => (flat[i * this.T + j]! + flat[j * this.T + i]!) / 2));
      this.M = M;
    }
    return this.M;
  }

  /**
   * G·Hᵀ (T×T) with another sample's gradients of the same parameters (multi-sample methods: MoDo,
   * SDMGrad): Σ_k S_k H_kᵀ on the device for another TaskGradients, from the rows otherwise.
   */
  cross(other: GradientView): Matrix {
    if (!(other instanceof TaskGradients)) return rowsCross(this.rows(), other.rows());
    const S = this.blocks(), H = other.blocks();
    if (other.T !== this.T || H.length !== S.length || H.some((h, k) => h.shape[1] !== S[k]!.shape[1])) {
      throw new Error(`TaskGradients.cross: gradients of ${this.T}×${this.P} and ${other.T}×${other.P}`);
    }
    const product = tf.tidy(() => tf.addN(S.map((s, k) => tf.matMul(s, H[k]!, false, true))));
    const flat = product.dataSync();
    product.dispose();
    return Array.from({ length: this.T }, (_, i) => Array.from(flat.subarray(i * this.T, (i + 1) * this.T)));
  }

  /** The rows gₜ as arrays (one read of every block), for methods that need every value. */
  rows(): Float32Array[] {
    if (!this.R) {
      const rows = Array.from({ length: this.T }, () => new Float32Array(this.P));
      let offset = 0;
      for (const s of this.blocks()) {
        const n = s.shape[1];
        const values = s.dataSync() as Float32Array;
        rows.forEach((row, t) => row.set(values.subarray(t * n, (t + 1) * n), offset));
        offset += n;
      }
      this.R = rows;
    }
    return this.R;
  }

  /** d = Gᵀβ, per shared tensor in its own shape (the caller owns the tensors). */
  combine(beta: readonly number[]): tf.Tensor[] {
    if (beta.length !== this.T) throw new Error(`TaskGradients.combine: ${beta.length} weights for ${this.T} tasks`);
    const S = this.blocks();
    return tf.tidy(() => {
      const b = tf.tensor2d([Array.from(beta)], [1, this.T]);
      return S.map((s, k) => tf.reshape(tf.matMul(b, s), this.shapes[k]!));
    });
  }

  /** A direction given as numbers, as tensors of the shared shapes (the caller owns them). */
  fromVector(d: Float32Array): tf.Tensor[] {
    if (d.length !== this.P) throw new Error(`TaskGradients: a direction of length ${d.length} for ${this.P} parameters`);
    return unflatten(d, this.shapes);
  }

  /** Applies a method's answer: weights are combined on the device, a vector is uploaded. */
  apply(direction: Direction): tf.Tensor[] {
    return 'weights' in direction ? this.combine(direction.weights) : this.fromVector(direction.vector);
  }

  dispose(): void {
    this.S?.forEach((s) => s.dispose());
    this.S = null;
  }
}
