/**
 * Custom tfjs-layers layers of the text encoder, written with tf ops and registered for serialization
 * (importing this module registers them), so a saved text model loads with `tf.loadLayersModel` once
 * this module is loaded. Every weight has a seeded initialiser.
 *
 * Token ids arrive as floats (Dataset.x) with 0 = `<pad>`; the token mask is sign(id) (ids are ≥ 0).
 *
 * - `PositionEmbedding`: x + P[:L], P a learned L × D table.
 * - `MaskedSelfAttention` ([x, ids] → x'): multi-head scaled dot-product self-attention,
 *     A_h = softmax(Q_h K_hᵀ / √d_h + b),  b_j = −1e9 where token j is padding (0 elsewhere),
 *     out = concat_h(A_h V_h) W_o + b_o,  Q = x W_q + b_q, K = x W_k + b_k, V = x W_v + b_v,
 *   so no token attends to padding. On cpu and wasm the heads' scores, softmax and weighted sum run as
 *   one fused kernel forward and one backward (src/engine/kernels/attention.ts); elsewhere as tf ops.
 * - `TokenDense`: a dense layer on every token, as one fused op (the Transformer's feed-forward blocks).
 * - `LayerNorm`: (x − mean) / √(var + ε) · γ + β over the last axis, with plain broadcasting. (tfjs-layers'
 *   layerNormalization tiles γ, β, mean and variance to the full input shape, and the gradient of tile
 *   is one slice + add per repetition: ~14,000 kernel calls per backward pass at [64, 35, 64], 25× slower
 *   on wasm than the whole rest of the encoder.) One fused kernel forward and one backward on cpu and wasm
 *   (src/engine/kernels/layer-norm.ts), tf ops elsewhere.
 * - `TrimPadding` (ids [B, L] → ids [B, L_b]): cuts the batch to its longest sentence, L_b ≤ L (read on
 *   the CPU: one small sync per forward pass). Padding is at the end, so nothing but padding is cut; the
 *   encoder then runs on L_b positions (SNIPS: 9 tokens on average, L = 35, so about half the work), and
 *   `TokenMask` pads the features back to L. Shapes inside the encoder are data-dependent; its input and
 *   output shapes are not.
 * - `TokenMask` ([x, ids] → x · mask, padded back to ids' length L): zeroes the features of padding. The text encoders end
 *   with it, so the shared per-token representation is exactly 0 at padding — the convention the heads
 *   rely on (below).
 * - `MaskedPooling` (x [B, L, D] → [B, D]): mean (or max) over the non-padding positions, which it
 *   recovers from the representation itself as the rows that are not all zero: m_t = sign(max_d |x_td|).
 *   That keeps decode(representation) a function of the representation alone (rep-grad works on the
 *   per-token features), and sign() has a zero gradient, so the mask carries no gradient.
 */
import { tf, tfl } from '../../engine/tf.js';
import { attentionCore, attentionSupported } from '../../engine/kernels/attention.js';
import { layerNorm } from '../../engine/kernels/layer-norm.js';
import { fusedDense, fusedOpsUsable } from '../../engine/fused.js';
import './bigru.js'; // registers MtlBiGru with the other text layers, for loading saved text models
import './decoder.js'; // registers MtlAttentionDecoder (generate heads) likewise

type Tensor = tf.Tensor;
type Kwargs = Record<string, unknown>;
type Shape = (number | null)[];

interface BaseArgs {
  name?: string;
  trainable?: boolean;
}

function one(inputs: Tensor | Tensor[]): Tensor {
  return Array.isArray(inputs) ? inputs[0]! : inputs;
}

function two(inputs: Tensor | Tensor[], who: string): [Tensor, Tensor] {
  if (!Array.isArray(inputs) || inputs.length !== 2) throw new Error(`${who} expects two inputs [features, token ids]`);
  return [inputs[0]!, inputs[1]!];
}

/** 1 on tokens, 0 on padding, shape [B, L], from float ids. */
export function tokenMask(ids: Tensor): Tensor {
  return tf.sign(tf.abs(ids));
}

/**
 * 1 where a position's feature row is not all zero, shape [B, L, 1]. A constant of the backward pass
 * (sign has a zero gradient), so it is computed off the tape: otherwise the gradient of max would
 * still run, a broadcast Equal over [B, L, D] (10 ms per step on wasm at the agent's sizes).
 */
export function nonZeroRows(x: Tensor): Tensor {
  const noGradient = tf.customGrad(((v: Tensor, save: tf.GradSaveFunc) => {
    save([v]);
    return { value: tf.sign(tf.max(tf.abs(v), -1, true)), gradFunc: (_dy: Tensor, saved: Tensor[]) => tf.zerosLike(saved[0]!) };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return noGradient(x);
}

/**
 * x [B, L, Din] times w [Din, Dout] (+ b) → [B, L, Dout]; as one fused dense op (product and bias in one
 * kernel, the bias gradient as a product with ones: src/engine/fused.ts) where it may run.
 */
function dense3d(x: Tensor, w: Tensor, b?: Tensor, activation: 'linear' | 'relu' = 'linear'): Tensor {
  const [B, L, Din] = x.shape as [number, number, number];
  const rows = tf.reshape(x, [B * L, Din]);
  if (fusedOpsUsable()) return tf.reshape(fusedDense(rows, w, b ?? null, activation), [B, L, w.shape[1]!]);
  const y = tf.reshape(tf.matMul(rows, w), [B, L, w.shape[1]!]);
  const z = b ? tf.add(y, b) : y;
  return activation === 'relu' ? tf.relu(z) : z;
}

// -------------------------------------------------------------------------------------------------

export interface PositionEmbeddingArgs extends BaseArgs {
  maxLength: number;
  dim: number;
  seed: number;
}

export class PositionEmbedding extends tfl.layers.Layer {
  static className = 'MtlPositionEmbedding';
  readonly maxLength: number;
  readonly dim: number;
  readonly seed: number;
  private table!: tfl.LayerVariable;

  constructor(args: PositionEmbeddingArgs) {
    super(args);
    this.maxLength = args.maxLength;
    this.dim = args.dim;
    this.seed = args.seed;
  }

  override build(inputShape: Shape | Shape[]): void {
    this.table = this.addWeight('positions', [this.maxLength, this.dim], 'float32',
      tfl.initializers.randomUniform({ minval: -0.05, maxval: 0.05, seed: this.seed }));
    this.built = true;
    void inputShape;
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape | Shape[] {
    return inputShape;
  }

  override call(inputs: Tensor | Tensor[], _kwargs: Kwargs): Tensor {
    return tf.tidy(() => {
      const x = one(inputs);
      const L = x.shape[1]!;
      const p = L === this.maxLength ? this.table.read() : tf.slice(this.table.read(), [0, 0], [L, this.dim]);
      return tf.add(x, p);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), maxLength: this.maxLength, dim: this.dim, seed: this.seed };
  }
}

// -------------------------------------------------------------------------------------------------

export interface MaskedSelfAttentionArgs extends BaseArgs {
  dim: number;
  heads: number;
  seed: number;
}

export class MaskedSelfAttention extends tfl.layers.Layer {
  static className = 'MtlMaskedSelfAttention';
  readonly dim: number;
  readonly heads: number;
  readonly seed: number;
  private w: tfl.LayerVariable[] = [];
  private b: tfl.LayerVariable[] = [];

  constructor(args: MaskedSelfAttentionArgs) {
    super(args);
    if (args.dim % args.heads !== 0) throw new Error(`self-attention: dim ${args.dim} is not divisible by ${args.heads} heads`);
    this.dim = args.dim;
    this.heads = args.heads;
    this.seed = args.seed;
  }

  override build(inputShape: Shape | Shape[]): void {
    const d = this.dim;
    const din = (inputShape as Shape[])[0]![2];
    if (din !== d) throw new Error(`self-attention: input features ${din} ≠ dim ${d}`);
    this.w = ['query', 'key', 'value', 'output'].map((n, i) =>
      this.addWeight(`${n}_kernel`, [d, d], 'float32', tfl.initializers.glorotUniform({ seed: this.seed + i })));
    this.b = ['query', 'key', 'value', 'output'].map((n) => this.addWeight(`${n}_bias`, [d], 'float32', tfl.initializers.zeros()));
    this.built = true;
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    return (inputShape as Shape[])[0]!;
  }

  /** Attention weights [B, H, L, L] (rows sum to 1 over the non-padding keys). */
  attention(x: Tensor, ids: Tensor): { weights: Tensor; values: Tensor } {
    const [B, L] = x.shape as [number, number];
    const H = this.heads, dh = this.dim / H;
    const split = (t: Tensor) => tf.transpose(tf.reshape(t, [B, L, H, dh]), [0, 2, 1, 3]); // [B, H, L, dh]
    const q = split(dense3d(x, this.w[0]!.read(), this.b[0]!.read()));
    const k = split(dense3d(x, this.w[1]!.read(), this.b[1]!.read()));
    const v = split(dense3d(x, this.w[2]!.read(), this.b[2]!.read()));
    const scores = tf.div(tf.matMul(q, k, false, true), Math.sqrt(dh)); // [B, H, L, L]
    const bias = tf.reshape(tf.mul(tf.sub(1, tokenMask(ids)), -1e9), [B, 1, 1, L]);
    return { weights: tf.softmax(tf.add(scores, bias), -1), values: v };
  }

  override call(inputs: Tensor | Tensor[], _kwargs: Kwargs): Tensor {
    return tf.tidy(() => {
      const [x, ids] = two(inputs, 'self-attention');
      const [B, L] = x.shape as [number, number];
      if (attentionSupported()) {
        // One fused kernel forward and backward for the heads' scores, softmax and weighted sum.
        const proj = (i: number) => dense3d(x, this.w[i]!.read(), this.b[i]!.read());
        const ctx = attentionCore(proj(0), proj(1), proj(2), tokenMask(ids), this.heads);
        return dense3d(ctx, this.w[3]!.read(), this.b[3]!.read());
      }
      const { weights, values } = this.attention(x, ids);
      const ctx = tf.reshape(tf.transpose(tf.matMul(weights, values), [0, 2, 1, 3]), [B, L, this.dim]);
      return dense3d(ctx, this.w[3]!.read(), this.b[3]!.read());
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), dim: this.dim, heads: this.heads, seed: this.seed };
  }
}

// -------------------------------------------------------------------------------------------------

export interface TokenDenseArgs extends BaseArgs {
  units: number;
  activation?: 'linear' | 'relu';
  seed: number;
}

/**
 * A dense layer applied to every token ([B, L, Din] → [B, L, units]): what tfjs-layers' Dense does on a
 * 3-D input (the same weights, kernel Glorot-uniform with `seed`, bias zeros), as one fused op forward
 * and backward (dense3d). The Transformer's feed-forward blocks use it.
 */
export class TokenDense extends tfl.layers.Layer {
  static className = 'MtlTokenDense';
  readonly units: number;
  readonly activation: 'linear' | 'relu';
  readonly seed: number;
  private kernel!: tfl.LayerVariable;
  private bias!: tfl.LayerVariable;

  constructor(args: TokenDenseArgs) {
    super(args);
    if (!Number.isInteger(args.units) || args.units < 1) throw new Error(`TokenDense: units must be a positive integer, got ${args.units}`);
    const act = args.activation ?? 'linear';
    if (act !== 'linear' && act !== 'relu') throw new Error(`TokenDense: activation must be linear or relu, got ${String(act)}`);
    this.units = args.units;
    this.activation = act;
    this.seed = args.seed;
  }

  override build(inputShape: Shape | Shape[]): void {
    const din = (inputShape as Shape).at(-1);
    if (din == null) throw new Error('TokenDense: the feature size of the input must be known');
    this.kernel = this.addWeight('kernel', [din, this.units], 'float32', tfl.initializers.glorotUniform({ seed: this.seed }));
    this.bias = this.addWeight('bias', [this.units], 'float32', tfl.initializers.zeros());
    this.built = true;
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    return [...(inputShape as Shape).slice(0, -1), this.units];
  }

  override call(inputs: Tensor | Tensor[], _kwargs: Kwargs): Tensor {
    return tf.tidy(() => dense3d(one(inputs), this.kernel.read(), this.bias.read(), this.activation));
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), units: this.units, activation: this.activation, seed: this.seed };
  }
}

// -------------------------------------------------------------------------------------------------

export interface LayerNormArgs extends BaseArgs {
  epsilon?: number;
}

export class LayerNorm extends tfl.layers.Layer {
  static className = 'MtlLayerNorm';
  readonly epsilon: number;
  private gamma!: tfl.LayerVariable;
  private beta!: tfl.LayerVariable;

  constructor(args: LayerNormArgs = {}) {
    super(args);
    this.epsilon = args.epsilon ?? 1e-5;
  }

  override build(inputShape: Shape | Shape[]): void {
    const d = (inputShape as Shape).at(-1)!;
    this.gamma = this.addWeight('gamma', [d], 'float32', tfl.initializers.ones());
    this.beta = this.addWeight('beta', [d], 'float32', tfl.initializers.zeros());
    this.built = true;
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape | Shape[] {
    return inputShape;
  }

  override call(inputs: Tensor | Tensor[], _kwargs: Kwargs): Tensor {
    return tf.tidy(() => {
      return layerNorm(one(inputs), this.gamma.read(), this.beta.read(), this.epsilon);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), epsilon: this.epsilon };
  }
}

// -------------------------------------------------------------------------------------------------

/** The number of positions up to the last token of any row (≥ 1), read on the CPU. */
export function batchLength(ids: Tensor): number {
  const [B, L] = ids.shape as [number, number];
  const v = ids.dataSync();
  let len = 1;
  for (let b = 0; b < B; b++) {
    for (let j = L - 1; j >= len; j--) {
      if (v[b * L + j] !== 0) {
        len = j + 1;
        break;
      }
    }
  }
  return len;
}

export class TrimPadding extends tfl.layers.Layer {
  static className = 'MtlTrimPadding';

  constructor(args: BaseArgs = {}) {
    super(args);
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape | Shape[] {
    return inputShape;
  }

  override call(inputs: Tensor | Tensor[], _kwargs: Kwargs): Tensor {
    return tf.tidy(() => {
      const ids = one(inputs);
      const len = batchLength(ids);
      return len === ids.shape[1] ? tf.clone(ids) : tf.slice(ids, [0, 0], [-1, len]);
    });
  }
}

// -------------------------------------------------------------------------------------------------

export class TokenMask extends tfl.layers.Layer {
  static className = 'MtlTokenMask';

  constructor(args: BaseArgs = {}) {
    super(args);
    this.supportsMasking = true;
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    return (inputShape as Shape[])[0]!;
  }

  /** The output carries no Keras mask: padding is zeroed instead. */
  override computeMask(): Tensor {
    return null as unknown as Tensor;
  }

  override call(inputs: Tensor | Tensor[], _kwargs: Kwargs): Tensor {
    return tf.tidy(() => {
      const [h, ids] = two(inputs, 'token mask');
      const L = ids.shape[1]!, len = h.shape[1]!;
      const x = len < L ? tf.pad(h, [[0, 0], [0, L - len], [0, 0]]) : h;
      return tf.mul(x, tf.expandDims(tokenMask(ids), -1));
    });
  }
}

// -------------------------------------------------------------------------------------------------

export type PoolingMode = 'mean' | 'max';

export interface MaskedPoolingArgs extends BaseArgs {
  mode: PoolingMode;
}

export class MaskedPooling extends tfl.layers.Layer {
  static className = 'MtlMaskedPooling';
  readonly mode: PoolingMode;

  constructor(args: MaskedPoolingArgs) {
    super(args);
    if (args.mode !== 'mean' && args.mode !== 'max') throw new Error(`pooling must be 'mean' or 'max', got ${String(args.mode)}`);
    this.mode = args.mode;
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const s = inputShape as Shape;
    return [s[0]!, s[2]!];
  }

  override call(inputs: Tensor | Tensor[], _kwargs: Kwargs): Tensor {
    return tf.tidy(() => maskedPool(one(inputs), this.mode));
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), mode: this.mode };
  }
}

/** Masked mean / max over the positions whose feature row is not all zero; [B, L, D] → [B, D]. */
export function maskedPool(x: Tensor, mode: PoolingMode): Tensor {
  return tf.tidy(() => {
    const m = nonZeroRows(x); // [B, L, 1]
    const count = tf.sum(m, 1); // [B, 1]
    if (mode === 'mean') return tf.div(tf.sum(tf.mul(x, m), 1), tf.maximum(count, 1));
    // max: padding positions pushed to −1e9; an all-padding row pools to 0.
    const pooled = tf.max(tf.add(tf.mul(x, m), tf.mul(tf.sub(m, 1), 1e9)), 1);
    return tf.mul(pooled, tf.minimum(count, 1));
  });
}

for (const cls of [PositionEmbedding, MaskedSelfAttention, TokenDense, LayerNorm, TrimPadding, TokenMask, MaskedPooling]) tf.serialization.registerClass(cls);
