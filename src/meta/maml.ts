/**
 * Model-agnostic meta-learning (Finn et al. 2017) and Reptile (Nichol et al. 2018) on flat float64
 * parameter vectors (models: src/meta/models.ts).
 *
 * Adaptation (the inner loop), for both: k steps of gradient descent on the support set S,
 *   φ₀ = θ,  φ_{j+1} = φ_j − α ∇L_S(φ_j).
 * MAML's meta-objective is the query loss after adaptation, L_Q(φ_k(θ)); its gradient is
 *   ∇_θ L_Q(φ_k) = Π_{j=k−1…0} (I − α ∇²L_S(φ_j)) · ∇L_Q(φ_k)          (second order)
 * and first-order MAML (FOMAML) drops the Hessian terms: ∇L_Q(φ_k). The product is applied right to
 * left with Hessian-vector products (exact for the linear model, central differences otherwise).
 * Outer update: Adam on the mean meta-gradient of a meta-batch of episodes.
 *
 * Reptile: adapt on a task's data with k steps, then move θ toward the adapted weights,
 *   θ ← θ + ε · mean_tasks(φ_k − θ),
 * with ε decayed linearly to 0 over the iterations (as in Nichol et al.).
 */
import { mulberry32 } from '../data/split.js';
import { hessianVector, type ParamModel } from './models.js';

export interface Episode<D> {
  support: D;
  query: D;
}

export interface AdaptOptions {
  steps: number;
  lr: number;
}

/** φ_0 … φ_k of k gradient steps on `data` from θ (k + 1 vectors). */
export function adaptTrajectory<D>(model: ParamModel<D>, theta: Float64Array, data: D, o: AdaptOptions): Float64Array[] {
  const traj = [theta.slice()];
  let phi = theta.slice();
  for (let s = 0; s < o.steps; s++) {
    const g = model.grad(phi, data);
    phi = phi.map((p, i) => p - o.lr * g[i]!);
    traj.push(phi);
  }
  return traj;
}

/** φ_k after k gradient steps on `data` from θ. */
export function adapt<D>(model: ParamModel<D>, theta: Float64Array, data: D, o: AdaptOptions): Float64Array {
  return adaptTrajectory(model, theta, data, o).at(-1)!;
}

export interface MetaGradient {
  grad: Float64Array;
  /** Query loss after adaptation. */
  queryLoss: number;
}

/** MAML's meta-gradient for one episode (first order: the query gradient at the adapted weights). */
export function mamlGradient<D>(model: ParamModel<D>, theta: Float64Array, ep: Episode<D>, o: AdaptOptions & { firstOrder?: boolean }): MetaGradient {
  const traj = adaptTrajectory(model, theta, ep.support, o);
  const phi = traj.at(-1)!;
  let g = model.grad(phi, ep.query);
  if (!o.firstOrder) {
    for (let j = o.steps - 1; j >= 0; j--) {
      const hv = hessianVector(model, traj[j]!, ep.support, g);
      g = g.map((v, i) => v - o.lr * hv[i]!);
    }
  }
  return { grad: g, queryLoss: model.loss(phi, ep.query) };
}

/** Adam on a flat vector (Kingma & Ba 2015). */
export class Adam {
  private m: Float64Array;
  private v: Float64Array;
  private t = 0;
  constructor(size: number, private readonly lr: number, private readonly beta1 = 0.9, private readonly beta2 = 0.999, private readonly eps = 1e-8) {
    this.m = new Float64Array(size);
    this.v = new Float64Array(size);
  }

  /** θ ← θ − lr · m̂ / (√v̂ + ε), in place. */
  step(theta: Float64Array, grad: Float64Array): void {
    this.t++;
    const c1 = 1 - this.beta1 ** this.t, c2 = 1 - this.beta2 ** this.t;
    for (let i = 0; i < theta.length; i++) {
      const g = grad[i]!;
      this.m[i] = this.beta1 * this.m[i]! + (1 - this.beta1) * g;
      this.v[i] = this.beta2 * this.v[i]! + (1 - this.beta2) * g * g;
      theta[i] -= (this.lr * (this.m[i]! / c1)) / (Math.sqrt(this.v[i]! / c2) + this.eps);
    }
  }
}

export interface MetaTrainOptions {
  iterations: number;
  /** Episodes (tasks) per meta-update. */
  metaBatch: number;
  innerSteps: number;
  innerLr: number;
  /** MAML: Adam's learning rate. Reptile: the initial step ε (decayed linearly to 0). */
  outerLr: number;
  seed: number;
  /** MAML only: first-order (default true). */
  firstOrder?: boolean;
  /** Initial θ (default model.init(seed)). */
  init?: Float64Array;
  onIteration?: (it: number, theta: Float64Array, loss: number) => void;
}

/** Meta-trains θ with MAML; `sample(rand)` draws an episode. */
export function trainMaml<D>(model: ParamModel<D>, sample: (rand: () => number) => Episode<D>, o: MetaTrainOptions): Float64Array {
  const theta = o.init?.slice() ?? model.init(o.seed);
  const rand = mulberry32(o.seed * 31337 + 1);
  const adam = new Adam(model.size, o.outerLr);
  const firstOrder = o.firstOrder ?? true;
  for (let it = 0; it < o.iterations; it++) {
    const g = new Float64Array(model.size);
    let loss = 0;
    for (let b = 0; b < o.metaBatch; b++) {
      const r = mamlGradient(model, theta, sample(rand), { steps: o.innerSteps, lr: o.innerLr, firstOrder });
      for (let i = 0; i < g.length; i++) g[i] += r.grad[i]! / o.metaBatch;
      loss += r.queryLoss / o.metaBatch;
    }
    adam.step(theta, g);
    o.onIteration?.(it, theta, loss);
  }
  return theta;
}

/** Meta-trains θ with Reptile; `sample(rand)` draws a task's training data. */
export function trainReptile<D>(model: ParamModel<D>, sample: (rand: () => number) => D, o: MetaTrainOptions): Float64Array {
  const theta = o.init?.slice() ?? model.init(o.seed);
  const rand = mulberry32(o.seed * 31337 + 2);
  for (let it = 0; it < o.iterations; it++) {
    const eps = o.outerLr * (1 - it / o.iterations);
    const delta = new Float64Array(model.size);
    let loss = 0;
    for (let b = 0; b < o.metaBatch; b++) {
      const data = sample(rand);
      const phi = adapt(model, theta, data, { steps: o.innerSteps, lr: o.innerLr });
      for (let i = 0; i < delta.length; i++) delta[i] += (phi[i]! - theta[i]!) / o.metaBatch;
      if (o.onIteration) loss += model.loss(phi, data) / o.metaBatch;
    }
    for (let i = 0; i < theta.length; i++) theta[i] += eps * delta[i]!;
    o.onIteration?.(it, theta, loss);
  }
  return theta;
}

/**
 * The baseline init: θ fitted on all meta-training samples pooled (one model for every task), by Adam
 * on seeded random minibatches.
 */
export function trainPooled(model: ParamModel, data: { n: number; x: Float64Array; y: Float64Array }, o: { iterations: number; lr: number; batch: number; seed: number }): Float64Array {
  const theta = model.init(o.seed);
  const rand = mulberry32(o.seed * 31337 + 3);
  const adam = new Adam(model.size, o.lr);
  const d = data.x.length / data.n;
  const b = Math.min(o.batch, data.n);
  const x = new Float64Array(b * d), y = new Float64Array(b);
  for (let it = 0; it < o.iterations; it++) {
    for (let i = 0; i < b; i++) {
      const r = Math.floor(rand() * data.n);
      x.set(data.x.subarray(r * d, (r + 1) * d), i * d);
      y[i] = data.y[r]!;
    }
    adam.step(theta, model.grad(theta, { n: b, x, y }));
  }
  return theta;
}
