/**
 * Custom layers of tabular models, defined against a tfjs namespace that the caller passes in, so that
 * the same code registers them in Node (./tabular.ts, with the library's tfjs) and in a web page (the
 * browser runtime, with the page's global `tf`): a saved model with embedded features or ESMM loads in
 * both. This file imports no tfjs value itself (types only).
 *
 * - `MtlFeatureEmbedding` (x [B, inputSize] → [B, dense + Σ dim]): the encoded row holds numeric and
 *   one-hot values ("dense" columns) and id slots of embedded features (src/data/feature-ids.ts). The
 *   output is the dense columns followed by, per embedded feature f with table E_f (rows × dim):
 *     a categorical id i:         E_f[i]
 *     an ids list i_1 … i_L:      (Σ_k m_k E_f[i_k]) / max(1, Σ_k m_k),   m_k = [i_k ≥ 0]  (−1 = no item)
 *   The lookups' gradient is a segment sum of the output gradient into the table's rows (tf.gather's
 *   gradient; on wasm the library's UnsortedSegmentSum kernel).
 * - `MtlEsmmLogit` ([a, b] → [B, 1]): ESMM's pCTCVR = pCTR · pCVR = σ(a) σ(b), returned as a logit so the
 *   binary task's usual loss (sigmoid cross-entropy on logits) applies unchanged:
 *     logit(σ(a)σ(b)) = log σ(a)σ(b) − log(1 − σ(a)σ(b)) = −log(e^{−a} + e^{−b} + e^{−a−b}),
 *   since 1 − σ(a)σ(b) = (e^{−a} + e^{−b} + e^{−a−b}) / ((1 + e^{−a})(1 + e^{−b})). Computed as a
 *   log-sum-exp (max subtracted), exact and finite for any a, b.
 */
import type * as tfcore from '@tensorflow/tfjs-core';
import type * as tflayers from '@tensorflow/tfjs-layers';

type Tensor = tfcore.Tensor;
type Shape = (number | null)[];

/** One embedded feature's place in the input row and its table. */
export interface EmbeddingSlot {
  /** The feature's column, for the table's weight name. */
  column: string;
  /** First id slot in the input row. */
  offset: number;
  /** Id slots: 1 for a categorical feature, maxLength for an ids list (mean-pooled). */
  length: number;
  pooled: boolean;
  rows: number;
  dim: number;
}

export interface FeatureEmbeddingArgs {
  name?: string;
  trainable?: boolean;
  inputSize: number;
  /** Input columns that pass through as they are (numeric and one-hot values), in order. */
  dense: number[];
  tables: EmbeddingSlot[];
  seed: number;
}

/** The namespaces the layers are defined with: tfjs-core and tfjs-layers (in a page, both are the global `tf`). */
export interface TfNamespaces {
  tf: typeof tfcore;
  tfl: typeof tflayers;
}

export interface TabularLayers {
  FeatureEmbedding: new (args: FeatureEmbeddingArgs) => tflayers.layers.Layer;
  EsmmLogit: new (args?: { name?: string }) => tflayers.layers.Layer;
}

const defined = new WeakMap<object, TabularLayers>();

/** Width of the embedding layer's output. */
export function embeddedWidth(args: Pick<FeatureEmbeddingArgs, 'dense' | 'tables'>): number {
  return args.dense.length + args.tables.reduce((s, t) => s + t.dim, 0);
}

/** The layers, defined (once per tfjs-core instance) and registered for serialization with it. */
export function tabularLayers({ tf, tfl }: TfNamespaces): TabularLayers {
  const known = defined.get(tf);
  if (known) return known;

  class FeatureEmbedding extends tfl.layers.Layer {
    static className = 'MtlFeatureEmbedding';
    readonly inputSize: number;
    readonly dense: number[];
    readonly tables: EmbeddingSlot[];
    readonly seed: number;
    private weightsOf: tflayers.LayerVariable[] = [];
    private readonly denseContiguous: boolean;

    constructor(args: FeatureEmbeddingArgs) {
      super(args);
      this.inputSize = args.inputSize;
      this.dense = [...args.dense];
      this.tables = args.tables.map((t) => ({ ...t }));
      this.seed = args.seed;
      this.denseContiguous = this.dense.every((c, i) => c === (this.dense[0] ?? 0) + i);
    }

    override build(inputShape: Shape | Shape[]): void {
      this.weightsOf = this.tables.map((t, i) => this.addWeight(`embedding_${i}_${t.column.replace(/[^A-Za-z0-9_]/g, '_')}`, [t.rows, t.dim], 'float32',
        tfl.initializers.randomUniform({ minval: -0.05, maxval: 0.05, seed: this.seed + 7 * i })));
      this.built = true;
      void inputShape;
    }

    override computeOutputShape(inputShape: Shape | Shape[]): Shape {
      return [(inputShape as Shape)[0] ?? null, embeddedWidth(this)];
    }

    override call(inputs: Tensor | Tensor[]): Tensor {
      return tf.tidy(() => {
        const x = Array.isArray(inputs) ? inputs[0]! : inputs;
        const B = x.shape[0]!;
        const parts: Tensor[] = [];
        if (this.dense.length) {
          parts.push(this.denseContiguous
            ? tf.slice(x, [0, this.dense[0]!], [B, this.dense.length])
            : tf.gather(x, tf.tensor1d(this.dense, 'int32'), 1));
        }
        this.tables.forEach((t, i) => {
          const table = this.weightsOf[i]!.read();
          const ids = tf.slice(x, [0, t.offset], [B, t.length]);
          if (!t.pooled) {
            parts.push(tf.gather(table, tf.cast(tf.reshape(ids, [B]), 'int32')));
            return;
          }
          // −1 (no item) reads row 0 and is then masked out of the mean.
          const mask = tf.cast(tf.greaterEqual(ids, 0), 'float32');
          const rows = tf.reshape(tf.gather(table, tf.cast(tf.reshape(tf.relu(ids), [B * t.length]), 'int32')), [B, t.length, t.dim]);
          const sum = tf.sum(tf.mul(rows, tf.expandDims(mask, 2)), 1);
          parts.push(tf.div(sum, tf.maximum(tf.sum(mask, 1, true), 1)));
        });
        return parts.length === 1 ? parts[0]! : tf.concat(parts, 1);
      });
    }

    override getConfig(): tfcore.serialization.ConfigDict {
      return { ...super.getConfig(), inputSize: this.inputSize, dense: this.dense, tables: this.tables as unknown as tfcore.serialization.ConfigDict[], seed: this.seed };
    }
  }

  class EsmmLogit extends tfl.layers.Layer {
    static className = 'MtlEsmmLogit';

    override computeOutputShape(inputShape: Shape | Shape[]): Shape {
      return (inputShape as Shape[])[0]!;
    }

    override call(inputs: Tensor | Tensor[]): Tensor {
      return tf.tidy(() => {
        if (!Array.isArray(inputs) || inputs.length !== 2) throw new Error('MtlEsmmLogit expects two inputs [ctr logit, cvr logit]');
        const [a, b] = inputs as [Tensor, Tensor];
        const na = tf.neg(a);
        const nb = tf.neg(b);
        // −logsumexp(−a, −b, −a−b); tf.logSumExp takes the max out for stability.
        return tf.neg(tf.logSumExp(tf.stack([na, nb, tf.add(na, nb)], 0), 0));
      });
    }
  }

  tf.serialization.registerClass(FeatureEmbedding as unknown as tfcore.serialization.SerializableConstructor<tfcore.serialization.Serializable>);
  tf.serialization.registerClass(EsmmLogit as unknown as tfcore.serialization.SerializableConstructor<tfcore.serialization.Serializable>);
  const out: TabularLayers = { FeatureEmbedding, EsmmLogit };
  defined.set(tf, out);
  return out;
}
