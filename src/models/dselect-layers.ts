/**
 * The DSelect-k gate (Hazimeh, Zhao, Chowdhery, Sathiamoorthy, Chen, Mazumder, Hong, Chi, "DSelect-k:
 * Differentiable Selection in the Mixture of Experts with Applications to Multi-Task Learning", NeurIPS
 * 2021) as a tfjs layer, `MtlDSelectGate`: x [B, d] → mixture weights w [B, n] over n experts, each row
 * ≥ 0 and summing to 1. The mixture Σ_l w_l · expert_l itself is standard tfjs layers (./experts.ts).
 *
 * Defined against a tfjs namespace the caller passes in (as ./tabular-layers.ts), so that the same class
 * is registered in Node (./dselect-k.ts, with the library's tfjs) and in a web page (the browser runtime,
 * with the page's global `tf`): a saved dselect-k model loads in both. Imports no tfjs value itself.
 *
 * With m = ⌈log₂ n⌉ binary digits and the smooth-step (Hazimeh et al. 2020, "The Tree Ensemble Layer")
 *
 *     S(t) = 0 for t ≤ −γ/2,   1 for t ≥ γ/2,   −2t³/γ³ + 3t/(2γ) + 1/2 otherwise,
 *
 * single-expert selector i (of k) has logits z_i ∈ R^m and puts on code c = 0 … 2^m − 1 the weight
 *
 *     q_i(c) = Π_j ( S(z_ij) if bit j of c is 1 else 1 − S(z_ij) ),   bit j = (c >> j) & 1 (least significant first),
 *
 * a product of m Bernoulli-like factors, so Σ_c q_i(c) = 1 and, once every |z_ij| ≥ γ/2, q_i is one-hot.
 * The k selectors are combined by softmax(α): w = Σ_i softmax(α)_i · q_i (at most k non-zero weights
 * once the selectors saturate).
 *
 * Conditioning (`routing`):
 * - 'example' (default; the paper's per-example gate, the example-conditioned mode of its authors' code):
 *   z = W_z x + b_z (k·m outputs) and α = W_α x + b_α (k outputs), linear in the gate's input, so every
 *   example has its own selection;
 * - 'task': z ∈ R^{k×m} and α ∈ R^k are trainable constants (the paper's static gate), the same weights
 *   for every example.
 * Initialisation as the authors': z's parameters uniform in ±γ/100 (every selector starts near uniform),
 * α's uniform in ±0.05; seeded.
 *
 * n not a power of 2: codes n … 2^m − 1 name no expert. The paper leaves their weight out (the gate's
 * weights then sum to Σ_{c<n} q_i(c) ≤ 1) and adds the penalty Σ 1/Σ_{c<n} q_i(c) to the loss to push the
 * selectors off them. Here each unused code c is an alias of expert c − n instead (code c selects
 * expert c mod n): the gate is the paper's gate over 2^m slots in which slots n … 2^m − 1 hold copies of
 * experts 0 … 2^m − n − 1. The weights then sum to 1 exactly for every z, a saturated selector still
 * picks exactly one (real) expert, and no penalty is needed. The price: at initialisation (z ≈ 0, every
 * code ≈ 2^−m) the aliased experts start with twice the weight of the others.
 *
 * Omitted: the paper's optional entropy regulariser on the selectors (it only speeds up their
 * convergence to one-hot; the selectors saturate without it).
 */
import type * as tfcore from '@tensorflow/tfjs-core';
import type * as tflayers from '@tensorflow/tfjs-layers';
import type { TfNamespaces } from './tabular-layers.js';

type Tensor = tfcore.Tensor;
type Shape = (number | null)[];

export type DSelectRouting = 'example' | 'task';

export interface DSelectGateArgs {
  name?: string;
  trainable?: boolean;
  /** n ≥ 2 experts. */
  experts: number;
  /** k ≥ 1 single-expert selectors (at most k experts selected). */
  k: number;
  /** γ > 0, the width of the smooth-step's cubic part (default 1). */
  gamma?: number;
  routing?: DSelectRouting;
  seed: number;
}

export interface DSelectLayers {
  DSelectGate: new (args: DSelectGateArgs) => tflayers.layers.Layer;
}

/** m = ⌈log₂ n⌉, the binary digits of a selector. */
export function selectorBits(experts: number): number {
  return Math.ceil(Math.log2(experts));
}

/** S(t) of the header, in plain numbers (for tests and documentation). */
export function smoothStepValue(t: number, gamma = 1): number {
  if (t <= -gamma / 2) return 0;
  if (t >= gamma / 2) return 1;
  return (-2 * t ** 3) / gamma ** 3 + (3 * t) / (2 * gamma) + 0.5;
}

/** Checks the gate's arguments; the message names what is wrong. */
export function checkDSelectArgs(a: Pick<DSelectGateArgs, 'experts' | 'k' | 'gamma' | 'routing'>): void {
  if (!Number.isInteger(a.experts) || a.experts < 2) throw new Error(`dselect-k: experts must be an integer ≥ 2, got ${JSON.stringify(a.experts)}`);
  if (!Number.isInteger(a.k) || a.k < 1 || a.k > a.experts) {
    throw new Error(`dselect-k: k (experts selected) must be an integer in [1, experts = ${a.experts}], got ${JSON.stringify(a.k)}`);
  }
  const gamma = a.gamma ?? 1;
  if (typeof gamma !== 'number' || !Number.isFinite(gamma) || gamma <= 0) throw new Error(`dselect-k: gamma must be a number > 0, got ${JSON.stringify(a.gamma)}`);
  if (a.routing !== undefined && a.routing !== 'example' && a.routing !== 'task') {
    throw new Error(`dselect-k: routing must be 'example' or 'task', got ${JSON.stringify(a.routing)}`);
  }
}

const defined = new WeakMap<object, DSelectLayers>();

/** The layer, defined (once per tfjs-core instance) and registered for serialization with it. */
export function dselectLayers({ tf, tfl }: TfNamespaces): DSelectLayers {
  const known = defined.get(tf);
  if (known) return known;

  /**
   * S(t), exactly 0 and 1 outside (−γ/2, γ/2), with its derivative S'(t) = 3/(2γ) − 6t²/γ³ inside and 0
   * outside given explicitly (tf.customGrad): tfjs has no gradient for the comparisons of tf.where.
   */
  const smoothStep = (t: Tensor, gamma: number): Tensor => {
    const h = gamma / 2;
    const f = tf.customGrad((...args: (Tensor | tfcore.GradSaveFunc)[]) => {
      const u = args[0] as Tensor;
      (args[1] as tfcore.GradSaveFunc)([u]);
      const c = tf.clipByValue(u, -h, h); // the cubic on (−γ/2, γ/2) only: no overflow for huge |t|
      const cubic = tf.add(tf.mul(c, tf.sub(3 / (2 * gamma), tf.mul(tf.square(c), 2 / gamma ** 3))), 0.5);
      const value = tf.where(tf.lessEqual(u, -h), tf.zerosLike(u), tf.where(tf.greaterEqual(u, h), tf.onesLike(u), cubic));
      return {
        value,
        gradFunc: (dy: Tensor, saved: Tensor[]) => {
          const x = saved[0]!;
          const inside = tf.less(tf.abs(x), h);
          const slope = tf.sub(3 / (2 * gamma), tf.mul(tf.square(x), 6 / gamma ** 3));
          return tf.mul(dy, tf.where(inside, slope, tf.zerosLike(x)));
        },
      };
    });
    return f(t) as Tensor;
  };

  class DSelectGate extends tfl.layers.Layer {
    static className = 'MtlDSelectGate';
    readonly experts: number;
    readonly k: number;
    readonly gamma: number;
    readonly routing: DSelectRouting;
    readonly seed: number;
    /** m and 2^m. */
    private readonly bits: number;
    private readonly codes: number;
    private params: tflayers.LayerVariable[] = [];

    constructor(args: DSelectGateArgs) {
      super(args);
      checkDSelectArgs(args);
      this.experts = args.experts;
      this.k = args.k;
      this.gamma = args.gamma ?? 1;
      this.routing = args.routing ?? 'example';
      this.seed = args.seed;
      this.bits = selectorBits(this.experts);
      this.codes = 2 ** this.bits;
    }

    override build(inputShape: Shape | Shape[]): void {
      const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as Shape;
      const { k, bits, gamma, seed } = this;
      const zInit = (s: number) => tfl.initializers.randomUniform({ minval: -gamma / 100, maxval: gamma / 100, seed: s });
      const aInit = (s: number) => tfl.initializers.randomUniform({ minval: -0.05, maxval: 0.05, seed: s });
      if (this.routing === 'task') {
        this.params = [this.addWeight('z', [k, bits], 'float32', zInit(seed)), this.addWeight('alpha', [k], 'float32', aInit(seed + 1))];
      } else {
        const d = shape[shape.length - 1];
        if (shape.length !== 2 || typeof d !== 'number') throw new Error(`MtlDSelectGate: the input must be [batch, features], got [${shape.join(', ')}]`);
        this.params = [
          this.addWeight('z_kernel', [d, k * bits], 'float32', zInit(seed)),
          this.addWeight('z_bias', [k * bits], 'float32', zInit(seed + 2)),
          this.addWeight('alpha_kernel', [d, k], 'float32', aInit(seed + 1)),
          this.addWeight('alpha_bias', [k], 'float32', aInit(seed + 3)),
        ];
      }
      this.built = true;
    }

    override computeOutputShape(inputShape: Shape | Shape[]): Shape {
      const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as Shape;
      return [shape[0] ?? null, this.experts];
    }

    /**
     * Selector weights over the experts from logits z [..., k, m]: [..., k, n] (each row summing to 1;
     * unused codes folded onto their alias experts, see the header).
     */
    private selectors(z: Tensor): Tensor {
      const s = smoothStep(z, this.gamma);
      const lead = z.shape.slice(0, -1);
      // q[..., i, c] = Π_j (S or 1 − S): start from ones and multiply in one digit at a time.
      let q: Tensor = tf.ones([...lead, this.codes]);
      for (let j = 0; j < this.bits; j++) {
        const sj = tf.slice(s, [...lead.map(() => 0), j], [...lead, 1]); // [..., k, 1]
        const bit = tf.tensor1d(Array.from({ length: this.codes }, (_, c) => (c >> j) & 1), 'float32'); // [2^m]
        // bit · S + (1 − bit) · (1 − S) = (1 − S) + bit · (2S − 1)
        q = tf.mul(q, tf.add(tf.sub(1, sj), tf.mul(bit, tf.sub(tf.mul(sj, 2), 1))));
      }
      if (this.codes === this.experts) return q;
      // Fold code c onto expert c mod n: [.., 2^m] × F [2^m, n], F[c, c mod n] = 1.
      const n = this.experts;
      const fold = tf.tensor2d(Array.from({ length: this.codes * n }, (_, i) => (Math.floor(i / n) % n === i % n ? 1 : 0)), [this.codes, n]);
      const flat = tf.reshape(q, [-1, this.codes]);
      return tf.reshape(tf.matMul(flat, fold), [...lead, n]);
    }

    override call(inputs: Tensor | Tensor[]): Tensor {
      return tf.tidy(() => {
        const x = Array.isArray(inputs) ? inputs[0]! : inputs;
        const B = x.shape[0]!;
        const { k, bits, experts: n } = this;
        if (this.routing === 'task') {
          const [z, alpha] = this.params.map((p) => p.read());
          const sel = this.selectors(z!); // [k, n]
          const w = tf.matMul(tf.reshape(tf.softmax(alpha!), [1, k]), sel); // [1, n]
          return tf.tile(w, [B, 1]);
        }
        const [zk, zb, ak, ab] = this.params.map((p) => p.read());
        const z = tf.reshape(tf.add(tf.matMul(x, zk!), zb!), [B, k, bits]);
        const alpha = tf.softmax(tf.add(tf.matMul(x, ak!), ab!)); // [B, k]
        const sel = this.selectors(z); // [B, k, n]
        return tf.reshape(tf.matMul(tf.reshape(alpha, [B, 1, k]), sel), [B, n]);
      });
    }

    override getConfig(): tfcore.serialization.ConfigDict {
      return { ...super.getConfig(), experts: this.experts, k: this.k, gamma: this.gamma, routing: this.routing, seed: this.seed };
    }
  }

  tf.serialization.registerClass(DSelectGate as unknown as tfcore.serialization.SerializableConstructor<tfcore.serialization.Serializable>);
  const out: DSelectLayers = { DSelectGate };
  defined.set(tf, out);
  return out;
}
