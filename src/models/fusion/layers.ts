/**
 * Layers of the fusion architecture (registered for serialization on import).
 *
 * `SelectColumns`: x [B, d] → x[:, indices] (a view of the flat input).
 *
 * `CrossViewAttention`: V view embeddings e_1 … e_V ∈ R^D (one per view, same D) → fused [B, V·D].
 * Each view's embedding attends over the views' embeddings with scaled dot products:
 *
 *   q_v = e_v W_Q,   k_u = e_u W_K   (W_Q, W_K ∈ R^{D×d_k}),   s_vu = q_v · k_u / √d_k
 *
 *   attendSelf = true (default): the softmax runs over all V views, and a view's own slot keeps its
 *   embedding as it is while the other views contribute their projected values (W_V ∈ R^{D×D}):
 *     α_v· = softmax_u(s_v·),     o_v = α_vv · e_v + Σ_{u≠v} α_vu · (e_u W_V)
 *   so α_vv is how much view v keeps of itself and α_vu how much it takes from view u; Σ_u α_vu = 1.
 *
 *   attendSelf = false: the softmax runs over the other views only, added to the view (residual):
 *     α_v· = softmax_{u≠v}(s_v·),  o_v = e_v + Σ_{u≠v} α_vu · (e_u W_V)
 *   With two views each softmax has a single term (α ≡ 1): this is then a learned cross-view residual.
 *
 *   fused = [o_1; …; o_V] (concatenated in view order).
 * With one view both forms give o_1 = e_1, so a one-view fusion model is the single-view model.
 */
import { tf, tfl, type Tensor } from '../../engine/tf.js';
type Kwargs = Record<string, unknown>;
type Shape = (number | null)[];

export interface FusionLayerArgs {
  name?: string;
  trainable?: boolean;
}

export interface SelectColumnsArgs extends FusionLayerArgs {
  indices: number[];
}

export class SelectColumns extends tfl.layers.Layer {
  static className = 'MtlSelectColumns';
  readonly indices: number[];
  private readonly contiguous: boolean;

  constructor(args: SelectColumnsArgs) {
    super(args);
    if (!args.indices?.length) throw new Error('SelectColumns: no columns');
    this.indices = [...args.indices];
    this.contiguous = this.indices.every((c, i) => c === this.indices[0]! + i);
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    return [(inputShape as Shape)[0]!, this.indices.length];
  }

  override call(inputs: Tensor | Tensor[], _kwargs: Kwargs): Tensor {
    return tf.tidy(() => {
      const x = Array.isArray(inputs) ? inputs[0]! : inputs;
      if (this.contiguous) {
        return this.indices.length === x.shape[1] ? tf.clone(x) : tf.slice(x, [0, this.indices[0]!], [-1, this.indices.length]);
      }
      return tf.gather(x, tf.tensor1d(this.indices, 'int32'), 1);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), indices: this.indices };
  }
}

/** The formula of the file header on stacked embeddings E [B, V, D]: weights [B, V, V] and fused [B, V, D]. */
export function crossViewAttention(E: Tensor, WQ: Tensor, WK: Tensor, WV: Tensor, attendSelf: boolean): { weights: Tensor; output: Tensor } {
  return tf.tidy(() => {
    const [B, V, D] = E.shape as [number, number, number];
    const flat = tf.reshape(E, [B * V, D]);
    const dk = WQ.shape[1]!;
    const Q = tf.reshape(tf.matMul(flat, WQ), [B, V, dk]);
    const K = tf.reshape(tf.matMul(flat, WK), [B, V, dk]);
    const P = tf.reshape(tf.matMul(flat, WV), [B, V, D]);
    let S = tf.div(tf.matMul(Q, K, false, true), Math.sqrt(dk)); // [B, V, V]
    const eye = tf.eye(V);
    if (V === 1) return { weights: tf.onesLike(S), output: tf.clone(E) };
    if (!attendSelf) S = tf.add(S, tf.mul(eye, -1e9));
    const A = tf.softmax(S, -1);
    if (!attendSelf) return { weights: A, output: tf.add(E, tf.matMul(A, P)) };
    const offDiagonal = tf.mul(A, tf.sub(1, eye));
    const self = tf.sum(tf.mul(A, eye), -1, true); // α_vv [B, V, 1]
    return { weights: A, output: tf.add(tf.mul(self, E), tf.matMul(offDiagonal, P)) };
  });
}

export interface CrossViewAttentionArgs extends FusionLayerArgs {
  /** Key/query size d_k (default D). */
  keyDim?: number;
  attendSelf?: boolean;
  seed: number;
}

export class CrossViewAttention extends tfl.layers.Layer {
  static className = 'MtlCrossViewAttention';
  readonly keyDim: number | undefined;
  readonly attendSelf: boolean;
  readonly seed: number;
  private wq!: tfl.LayerVariable;
  private wk!: tfl.LayerVariable;
  private wv!: tfl.LayerVariable;

  constructor(args: CrossViewAttentionArgs) {
    super(args);
    this.keyDim = args.keyDim;
    this.attendSelf = args.attendSelf ?? true;
    this.seed = args.seed;
  }

  override build(inputShape: Shape | Shape[]): void {
    const shapes = inputShape as Shape[];
    const D = shapes[0]![1]!;
    for (const s of shapes) if (s[1] !== D) throw new Error(`cross-view attention: every view embedding must have the same size; got ${shapes.map((x) => x[1]).join(', ')}`);
    const dk = this.keyDim ?? D;
    this.wq = this.addWeight('query', [D, dk], 'float32', tfl.initializers.glorotUniform({ seed: this.seed }));
    this.wk = this.addWeight('key', [D, dk], 'float32', tfl.initializers.glorotUniform({ seed: this.seed + 1 }));
    this.wv = this.addWeight('value', [D, D], 'float32', tfl.initializers.glorotUniform({ seed: this.seed + 2 }));
    this.built = true;
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const shapes = inputShape as Shape[];
    return [shapes[0]![0]!, shapes.length * shapes[0]![1]!];
  }

  private stacked(inputs: Tensor | Tensor[]): Tensor {
    const list = Array.isArray(inputs) ? inputs : [inputs];
    return tf.stack(list, 1);
  }

  /** Attention weights [B, V, V] (row v: how view v weighs the views; rows sum to 1). */
  attentionWeights(inputs: Tensor[]): Tensor {
    return tf.tidy(() => {
      const r = crossViewAttention(this.stacked(inputs), this.wq.read(), this.wk.read(), this.wv.read(), this.attendSelf);
      return r.weights;
    });
  }

  override call(inputs: Tensor | Tensor[], _kwargs: Kwargs): Tensor {
    return tf.tidy(() => {
      const E = this.stacked(inputs);
      const [B, V, D] = E.shape as [number, number, number];
      const { output } = crossViewAttention(E, this.wq.read(), this.wk.read(), this.wv.read(), this.attendSelf);
      return tf.reshape(output, [B, V * D]);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    const c: tf.serialization.ConfigDict = { ...super.getConfig(), attendSelf: this.attendSelf, seed: this.seed };
    if (this.keyDim !== undefined) c.keyDim = this.keyDim;
    return c;
  }
}

for (const cls of [SelectColumns, CrossViewAttention]) tf.serialization.registerClass(cls);
