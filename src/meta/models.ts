/**
 * Small regression models on a flat float64 parameter vector θ, in pure TypeScript, for meta-learning
 * (src/meta/maml.ts, src/meta/reptile.ts). Why not tfjs: a meta-learning episode is a few gradient steps
 * on a few dozen samples, where tfjs' per-op overhead (tens of µs) dwarfs the arithmetic; float64 and
 * hand-written gradients also make the tests exact (FOMAML's meta-gradient, MAML's Hessian term).
 *
 * Loss of both models: L(θ; X, y) = (1/2n) Σ_i (f_θ(x_i) − y_i)².
 *  - linear:  f(x) = θᵀx (give X a bias column).  ∇L = Xᵀr/n with r = Xθ − y; Hessian XᵀX/n, so the
 *             Hessian-vector product is exact: Hv = Xᵀ(Xv)/n.
 *  - mlp:     f(x) = w₂ᵀ tanh(W₁x + b₁) + b₂, θ = [W₁ (h × d, row-major), b₁, w₂, b₂]; gradient by
 *             backpropagation; Hessian-vector products by central differences of gradients
 *             (see finiteDifferenceHvp), accurate to ~1e-8 relative in float64.
 */
import { mulberry32 } from '../data/split.js';

/** Samples of one task: x is n × d row-major. */
export interface RegressionData {
  n: number;
  x: Float64Array;
  y: Float64Array;
}

export interface ParamModel<D = RegressionData> {
  readonly name: string;
  /** Number of parameters. */
  readonly size: number;
  /** A random initial θ (seeded). */
  init(seed: number): Float64Array;
  loss(theta: Float64Array, data: D): number;
  /** ∇_θ L(θ; data). */
  grad(theta: Float64Array, data: D): Float64Array;
  /** Exact Hessian-vector product ∇²L(θ) v, where the model has one. */
  hvp?(theta: Float64Array, data: D, v: Float64Array): Float64Array;
  /** Outputs on n inputs (regression models only). */
  predict?(theta: Float64Array, x: Float64Array, n: number): Float64Array;
}

/** ∇²L(θ)v ≈ (∇L(θ + εv) − ∇L(θ − εv)) / 2ε with ε = 1e-5 · max(1, ‖θ‖) / ‖v‖. */
export function finiteDifferenceHvp<D>(model: ParamModel<D>, theta: Float64Array, data: D, v: Float64Array): Float64Array {
  let vn = 0, tn = 0;
  for (let i = 0; i < v.length; i++) { vn += v[i]! ** 2; tn += theta[i]! ** 2; }
  vn = Math.sqrt(vn);
  if (vn === 0) return new Float64Array(v.length);
  const eps = (1e-5 * Math.max(1, Math.sqrt(tn))) / vn;
  const plus = theta.map((t, i) => t + eps * v[i]!), minus = theta.map((t, i) => t - eps * v[i]!);
  const gp = model.grad(plus, data), gm = model.grad(minus, data);
  return gp.map((g, i) => (g - gm[i]!) / (2 * eps));
}

/** ∇²L(θ)v: the model's exact product, or central differences. */
export function hessianVector<D>(model: ParamModel<D>, theta: Float64Array, data: D, v: Float64Array): Float64Array {
  return model.hvp ? model.hvp(theta, data, v) : finiteDifferenceHvp(model, theta, data, v);
}

function uniform(rand: () => number, limit: number): number {
  return (rand() * 2 - 1) * limit;
}

export function linearModel(d: number): ParamModel {
  const outputs = (theta: Float64Array, x: Float64Array, n: number) => {
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      let s = 0;
      const row = i * d;
      for (let j = 0; j < d; j++) s += x[row + j]! * theta[j]!;
      out[i] = s;
    }
    return out;
  };
  const xtv = (x: Float64Array, r: Float64Array, n: number) => {
    const g = new Float64Array(d);
    for (let i = 0; i < n; i++) {
      const ri = r[i]! / n, row = i * d;
      for (let j = 0; j < d; j++) g[j] += x[row + j]! * ri;
    }
    return g;
  };
  return {
    name: 'linear',
    size: d,
    init(seed) {
      const rand = mulberry32(seed * 7919 + 3);
      const lim = Math.sqrt(6 / (d + 1));
      return Float64Array.from({ length: d }, () => uniform(rand, lim));
    },
    loss(theta, data) {
      const f = outputs(theta, data.x, data.n);
      let s = 0;
      for (let i = 0; i < data.n; i++) s += (f[i]! - data.y[i]!) ** 2;
      return s / (2 * data.n);
    },
    grad(theta, data) {
      const r = outputs(theta, data.x, data.n);
      for (let i = 0; i < data.n; i++) r[i] -= data.y[i]!;
      return xtv(data.x, r, data.n);
    },
    hvp(_theta, data, v) {
      return xtv(data.x, outputs(v, data.x, data.n), data.n);
    },
    predict: outputs,
  };
}

/** One hidden layer of `hidden` tanh units (see the file header for the parameter layout). */
export function mlpModel(d: number, hidden: number): ParamModel {
  const h = hidden;
  const oB1 = h * d, oW2 = oB1 + h, oB2 = oW2 + h, size = oB2 + 1;
  /** Hidden activations (n × h) and outputs. */
  const forward = (theta: Float64Array, x: Float64Array, n: number) => {
    const act = new Float64Array(n * h), out = new Float64Array(n);
    const b2 = theta[oB2]!;
    for (let i = 0; i < n; i++) {
      const row = i * d;
      let f = b2;
      for (let k = 0; k < h; k++) {
        let s = theta[oB1 + k]!;
        const wk = k * d;
        for (let j = 0; j < d; j++) s += theta[wk + j]! * x[row + j]!;
        const a = Math.tanh(s);
        act[i * h + k] = a;
        f += theta[oW2 + k]! * a;
      }
      out[i] = f;
    }
    return { act, out };
  };
  return {
    name: `mlp[${h}]`,
    size,
    init(seed) {
      const rand = mulberry32(seed * 7919 + 5);
      const theta = new Float64Array(size);
      const l1 = Math.sqrt(6 / (d + h)), l2 = Math.sqrt(6 / (h + 1));
      for (let i = 0; i < h * d; i++) theta[i] = uniform(rand, l1);
      for (let k = 0; k < h; k++) theta[oW2 + k] = uniform(rand, l2);
      return theta;
    },
    loss(theta, data) {
      const { out } = forward(theta, data.x, data.n);
      let s = 0;
      for (let i = 0; i < data.n; i++) s += (out[i]! - data.y[i]!) ** 2;
      return s / (2 * data.n);
    },
    grad(theta, data) {
      const { n, x, y } = data;
      const { act, out } = forward(theta, x, n);
      const g = new Float64Array(size);
      for (let i = 0; i < n; i++) {
        const r = (out[i]! - y[i]!) / n;
        g[oB2] += r;
        const row = i * d;
        for (let k = 0; k < h; k++) {
          const a = act[i * h + k]!;
          g[oW2 + k] += r * a;
          const delta = r * theta[oW2 + k]! * (1 - a * a);
          if (delta === 0) continue;
          g[oB1 + k] += delta;
          const wk = k * d;
          for (let j = 0; j < d; j++) g[wk + j] += delta * x[row + j]!;
        }
      }
      return g;
    },
    predict: (theta, x, n) => forward(theta, x, n).out,
  };
}
