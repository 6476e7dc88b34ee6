/**
 * The attention decoder of `generate` tasks: a GRU with Luong attention (Luong, Pham & Manning 2015,
 * "Effective approaches to attention-based neural machine translation", global attention with the
 * `general` score, without input feeding) over any encoder's features, the memory M [B, S, D] (per-token
 * text features, audio frames; a pooled [B, D] representation counts as S = 1). Defined against the tfjs
 * namespaces the caller passes (as ../tabular-layers.ts is), so the same layer loads in Node and in a page
 * with the page's tfjs; no tfjs value is imported here.
 *
 * One layer, `MtlAttentionDecoder` (memory → token ids [B, U]), with the weights
 *   E [V, e] (target embedding), GRU W [e, 3H], R [H, 3H], b [3H], W_init [D, H], b_init [H],
 *   W_a [D, H] (attention), W_c [D + H, H], b_c [H], W_o [H, V], b_o [V],
 * and, with y_0 = <bos> and m_s the memory rows that are not all zero (text features are exactly 0 at
 * padding; ./layers.ts TokenMask):
 *   h_0 = tanh(mean_s(m_s) W_init + b_init)
 *   h_t = GRU(E[y_{t−1}], h_{t−1})   (reset gate after the recurrent product, as cuDNN and Keras's reset_after)
 *   a_t = softmax_s(h_t · (m_s W_a))   (padding rows get −1e9 before the softmax)
 *   c_t = Σ_s a_ts m_s,   h̃_t = tanh([c_t; h_t] W_c + b_c),   logits_t = h̃_t W_o + b_o  → p(y_t | y_<t, x).
 * Without input feeding the GRU reads only the previous tokens, so under teacher forcing the attention
 * and output layers run for all U steps at once (batched matrix products); only the GRU steps one by one.
 *
 * `call` returns token ids [B, U] (floats; the ids up to and including <eos>, then <pad> = 0): greedy
 * decoding (argmax at each step) when `beam` is 1, beam search (./decoder-search.ts, length normalisation
 * log P / |y|^α) otherwise; <pad> and <bos> are never generated. In training (kwargs.training true) it
 * skips decoding and returns zeros of that shape. Either way the output tensor is linked
 * (src/tasks/generate-link.ts) to teacherForced(labels) on the same memory, which the task's loss uses.
 */
import type * as tfcore from '@tensorflow/tfjs-core';
import type * as tflayers from '@tensorflow/tfjs-layers';
import { linkDecoderOutput } from '../../tasks/generate-link.js';
import { beamSearch, type Hypothesis } from './decoder-search.js';

type Tensor = tfcore.Tensor;
type Shape = (number | null)[];

export interface TfNamespaces {
  tf: typeof tfcore;
  tfl: typeof tflayers;
}

export interface AttentionDecoderArgs {
  name?: string;
  trainable?: boolean;
  /** V: the target vocabulary size (the task's labelNames). */
  vocabSize: number;
  /** U: the most tokens generated (the task's width, <eos> included). */
  maxLength: number;
  /** e: the target embedding size. */
  embeddingDim: number;
  /** H: the GRU state and attentional-vector size. */
  units: number;
  seed: number;
  bos: number;
  eos: number;
  /** Ids never generated (<pad>, <bos>). */
  banned: number[];
  /** Beam width at prediction (1 = greedy). */
  beam: number;
  /** α of the length normalisation log P / |y|^α. */
  lengthPenalty: number;
}

export interface AttentionDecoderLayer extends tflayers.layers.Layer {
  readonly vocabSize: number;
  readonly maxLength: number;
  readonly embeddingDim: number;
  readonly units: number;
  beam: number;
  lengthPenalty: number;
  /** Next-token logits [B, U, V] with the gold previous tokens (labels [B, U], NaN already 0). */
  teacherForced(memory: Tensor, labels: Tensor): Tensor;
  /** Greedy decoding: per example the generated ids (<eos> included when generated). */
  greedy(memory: Tensor): number[][];
  /** Beam search of width k (α: length normalisation). */
  beamSearch(memory: Tensor, width: number, lengthPenalty: number): Hypothesis[];
}

export interface DecoderLayers {
  AttentionDecoder: new (args: AttentionDecoderArgs) => AttentionDecoderLayer;
}

const defined = new WeakMap<object, DecoderLayers>();

/** The layer, defined (once per tfjs-core instance) and registered for serialization with it. */
export function decoderLayers({ tf, tfl }: TfNamespaces): DecoderLayers {
  const known = defined.get(tf);
  if (known) return known;

  /** 1 where a memory row is not all zero, [B, S]; no gradient (a constant of the backward pass). */
  const rowMask = (m: Tensor): Tensor => {
    const f = tf.customGrad(((v: Tensor, save: tfcore.GradSaveFunc) => {
      save([v]);
      return { value: tf.sign(tf.max(tf.abs(v), -1)), gradFunc: (_dy: Tensor, saved: Tensor[]) => tf.zerosLike(saved[0]!) };
    }) as unknown as Parameters<typeof tf.customGrad>[0]);
    return f(m);
  };

  class AttentionDecoder extends tfl.layers.Layer implements AttentionDecoderLayer {
    static className = 'MtlAttentionDecoder';
    readonly vocabSize: number;
    readonly maxLength: number;
    readonly embeddingDim: number;
    readonly units: number;
    readonly seed: number;
    readonly bos: number;
    readonly eos: number;
    readonly banned: number[];
    beam: number;
    lengthPenalty: number;
    private w: Record<string, tflayers.LayerVariable> = {};
    /** The memory of the last call, for its output's link (see call). */
    private kept: Tensor | null = null;

    constructor(args: AttentionDecoderArgs) {
      super(args);
      for (const key of ['vocabSize', 'maxLength', 'embeddingDim', 'units', 'beam'] as const) {
        if (!Number.isInteger(args[key]) || args[key] < 1) throw new Error(`MtlAttentionDecoder: ${key} must be a positive integer, got ${args[key]}`);
      }
      if (!(args.lengthPenalty >= 0)) throw new Error(`MtlAttentionDecoder: lengthPenalty must be ≥ 0, got ${args.lengthPenalty}`);
      this.vocabSize = args.vocabSize;
      this.maxLength = args.maxLength;
      this.embeddingDim = args.embeddingDim;
      this.units = args.units;
      this.seed = args.seed;
      this.bos = args.bos;
      this.eos = args.eos;
      this.banned = [...args.banned];
      this.beam = args.beam;
      this.lengthPenalty = args.lengthPenalty;
    }

    override build(inputShape: Shape | Shape[]): void {
      const s = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as Shape;
      const D = s[s.length - 1];
      if (D == null) throw new Error('MtlAttentionDecoder: the feature size of the memory must be known');
      const V = this.vocabSize, e = this.embeddingDim, H = this.units;
      const glorot = (k: number) => tfl.initializers.glorotUniform({ seed: this.seed * 16 + k });
      const zeros = () => tfl.initializers.zeros();
      const add = (name: string, shape: number[], init: ReturnType<typeof tfl.initializers.zeros>) => { this.w[name] = this.addWeight(name, shape, 'float32', init); };
      add('embedding', [V, e], tfl.initializers.randomUniform({ minval: -0.05, maxval: 0.05, seed: this.seed * 16 }));
      add('gru_kernel', [e, 3 * H], glorot(1));
      add('gru_recurrent_kernel', [H, 3 * H], glorot(2));
      add('gru_bias', [3 * H], zeros());
      add('init_kernel', [D, H], glorot(3));
      add('init_bias', [H], zeros());
      add('attention_kernel', [D, H], glorot(4));
      add('combine_kernel', [D + H, H], glorot(5));
      add('combine_bias', [H], zeros());
      add('output_kernel', [H, V], glorot(6));
      add('output_bias', [V], zeros());
      this.built = true;
    }

    override computeOutputShape(inputShape: Shape | Shape[]): Shape {
      const s = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as Shape;
      return [s[0] ?? null, this.maxLength];
    }

    override computeMask(): Tensor {
      return null as unknown as Tensor;
    }

    private get(name: string): Tensor {
      return this.w[name]!.read();
    }

    /** Memory as [B, S, D], its row mask [B, S], h_0 [B, H] and the attention keys m W_a [B, S, H]. */
    private prepare(memory: Tensor): { m: Tensor; mask: Tensor; h0: Tensor; keys: Tensor } {
      const m = memory.rank === 2 ? tf.expandDims(memory, 1) : memory;
      if (m.rank !== 3) throw new Error(`MtlAttentionDecoder: memory must be [B, S, D] or [B, D], got [${memory.shape.join(', ')}]`);
      const [B, S, D] = m.shape as [number, number, number];
      const mask = rowMask(m);
      const mean = tf.div(tf.sum(tf.mul(m, tf.expandDims(mask, 2)), 1), tf.maximum(tf.sum(mask, 1, true), 1));
      const h0 = tf.tanh(tf.add(tf.matMul(mean, this.get('init_kernel')), this.get('init_bias')));
      const keys = tf.reshape(tf.matMul(tf.reshape(m, [B * S, D]), this.get('attention_kernel')), [B, S, this.units]);
      return { m, mask, h0, keys };
    }

    /** One GRU step from the input projection xp [N, 3H] and the state h [N, H]. */
    private gru(xp: Tensor, h: Tensor): Tensor {
      const H = this.units;
      const hp = tf.matMul(h, this.get('gru_recurrent_kernel'));
      const [xz, xr, xn] = tf.split(xp, [H, H, H], 1) as [Tensor, Tensor, Tensor];
      const [hz, hr, hn] = tf.split(hp, [H, H, H], 1) as [Tensor, Tensor, Tensor];
      const z = tf.sigmoid(tf.add(xz, hz));
      const r = tf.sigmoid(tf.add(xr, hr));
      const n = tf.tanh(tf.add(xn, tf.mul(r, hn)));
      return tf.add(tf.mul(tf.sub(1, z), n), tf.mul(z, h));
    }

    /** Input projections E[ids] W + b of int32 ids [N] → [N, 3H]. */
    private project(ids: Tensor): Tensor {
      return tf.add(tf.matMul(tf.gather(this.get('embedding'), ids), this.get('gru_kernel')), this.get('gru_bias'));
    }

    /** Logits [B, T, V] from the decoder states hs [B, T, H] and the attention over m [B, S, D]. */
    private attend(hs: Tensor, m: Tensor, mask: Tensor, keys: Tensor): Tensor {
      const [B, T, H] = hs.shape as [number, number, number];
      const D = m.shape[2]!;
      const bias = tf.expandDims(tf.mul(tf.sub(mask, 1), 1e9), 1); // [B, 1, S]
      const a = tf.softmax(tf.add(tf.matMul(hs, keys, false, true), bias)); // [B, T, S]
      const c = tf.matMul(a, m); // [B, T, D]
      const joined = tf.reshape(tf.concat([c, hs], 2), [B * T, D + H]);
      const ht = tf.tanh(tf.add(tf.matMul(joined, this.get('combine_kernel')), this.get('combine_bias')));
      return tf.reshape(tf.add(tf.matMul(ht, this.get('output_kernel')), this.get('output_bias')), [B, T, this.vocabSize]);
    }

    teacherForced(memory: Tensor, labels: Tensor): Tensor {
      return tf.tidy(() => {
        const [B, U] = labels.shape as [number, number];
        const { m, mask, h0, keys } = this.prepare(memory);
        const ids = tf.cast(labels, 'int32');
        const prev = U > 1 ? tf.concat([tf.fill([B, 1], this.bos, 'int32'), tf.slice(ids, [0, 0], [B, U - 1])], 1) : tf.fill([B, 1], this.bos, 'int32');
        const xp = tf.reshape(this.project(tf.reshape(prev, [B * U])), [B, U, 3 * this.units]);
        const steps = tf.unstack(xp, 1);
        const hs: Tensor[] = [];
        let h = h0;
        for (const x of steps) { h = this.gru(x, h); hs.push(h); }
        return this.attend(tf.stack(hs, 1), m, mask, keys);
      });
    }

    /** One decoding step for rows of (state h, memory m, mask, keys): the new state and log p [N, V]. */
    private stepRows(tokens: Tensor, h: Tensor, m: Tensor, mask: Tensor, keys: Tensor): { h: Tensor; logp: Tensor } {
      const h1 = this.gru(this.project(tokens), h);
      const logits = tf.squeeze(this.attend(tf.expandDims(h1, 1), m, mask, keys), [1]);
      return { h: h1, logp: tf.logSoftmax(logits) };
    }

    greedy(memory: Tensor): number[][] {
      const B = memory.shape[0]!;
      const V = this.vocabSize;
      const ban = new Float32Array(V);
      for (const v of this.banned) ban[v] = -Infinity;
      const out: number[][] = Array.from({ length: B }, () => []);
      const done = new Array<boolean>(B).fill(false);
      const { m, mask, h0, keys } = tf.tidy(() => this.prepare(memory));
      const banT = tf.tensor1d(ban);
      let h = h0;
      let tokens = tf.fill([B], this.bos, 'int32');
      try {
        for (let t = 0; t < this.maxLength && done.some((d) => !d); t++) {
          const next = tf.tidy(() => {
            const s = this.stepRows(tokens, h, m, mask, keys);
            return { h: s.h, y: tf.cast(tf.argMax(tf.add(s.logp, banT), 1), 'int32') };
          });
          tf.dispose([h === h0 ? [] : h, tokens]);
          h = next.h;
          tokens = next.y;
          const y = tokens.dataSync();
          for (let b = 0; b < B; b++) {
            if (done[b]) continue;
            out[b]!.push(y[b]!);
            if (y[b] === this.eos) done[b] = true;
          }
        }
      } finally {
        tf.dispose([m === memory ? [] : m, mask, h0, keys, banT, h === h0 ? [] : h, tokens]);
      }
      return out;
    }

    beamSearch(memory: Tensor, width: number, lengthPenalty: number): Hypothesis[] {
      const B = memory.shape[0]!;
      const prepared = tf.tidy(() => this.prepare(memory));
      let rows = { h: prepared.h0, m: prepared.m, mask: prepared.mask, keys: prepared.keys };
      const owned = new Set<Tensor>([prepared.h0, prepared.mask, prepared.keys]);
      if (prepared.m !== memory) owned.add(prepared.m);
      try {
        return beamSearch((parents, tokens) => {
          const next = tf.tidy(() => {
            const p = tf.tensor1d(parents, 'int32');
            const g = { h: tf.gather(rows.h, p), m: tf.gather(rows.m, p), mask: tf.gather(rows.mask, p), keys: tf.gather(rows.keys, p) };
            const s = this.stepRows(tf.tensor1d(tokens, 'int32'), g.h, g.m, g.mask, g.keys);
            return { h: s.h, m: g.m, mask: g.mask, keys: g.keys, logp: s.logp };
          });
          for (const t of owned) t.dispose();
          owned.clear();
          rows = { h: next.h, m: next.m, mask: next.mask, keys: next.keys };
          for (const t of Object.values(rows)) owned.add(t);
          const logp = next.logp.dataSync() as Float32Array;
          next.logp.dispose();
          return logp;
        }, {
          examples: B, vocabSize: this.vocabSize, width, maxLength: this.maxLength, eos: this.eos, bos: this.bos,
          banned: this.banned, lengthPenalty,
        });
      } finally {
        for (const t of owned) t.dispose();
      }
    }

    /** Generated ids as [B, U] floats (<pad> = 0 after the sequence). */
    private decode(memory: Tensor): Tensor {
      const B = memory.shape[0]!;
      const seqs = this.beam === 1 ? this.greedy(memory) : this.beamSearch(memory, this.beam, this.lengthPenalty).map((h) => h.tokens);
      const ids = new Float32Array(B * this.maxLength);
      seqs.forEach((s, b) => s.slice(0, this.maxLength).forEach((v, t) => { ids[b * this.maxLength + t] = v; }));
      return tf.tensor2d(ids, [B, this.maxLength]);
    }

    override call(inputs: Tensor | Tensor[], kwargs: Record<string, unknown>): Tensor {
      const memory = Array.isArray(inputs) ? inputs[0]! : inputs;
      const out = kwargs['training'] === true ? tf.zeros([memory.shape[0]!, this.maxLength]) : this.decode(memory);
      // The link keeps its own reference to the memory (a clone shares its data; gradients pass through):
      // a whole-model apply (a loaded model) runs inside tfjs-layers' tidy, which disposes the memory (an
      // intermediate tensor) and anything created here but the output. The clone is kept past that tidy
      // and released at this layer's next call (or its dispose): the loss of an output is computed before
      // the next forward pass, and at most one batch's memory stays referenced.
      this.kept?.dispose();
      const kept = tf.keep(tf.clone(memory));
      this.kept = kept;
      linkDecoderOutput(out, { teacherForced: (labels) => this.teacherForced(kept, labels) });
      return out;
    }

    override dispose(): ReturnType<tflayers.layers.Layer["dispose"]> {
      this.kept?.dispose();
      this.kept = null;
      return super.dispose();
    }

    override getConfig(): tfcore.serialization.ConfigDict {
      return {
        ...super.getConfig(), vocabSize: this.vocabSize, maxLength: this.maxLength, embeddingDim: this.embeddingDim, units: this.units,
        seed: this.seed, bos: this.bos, eos: this.eos, banned: this.banned, beam: this.beam, lengthPenalty: this.lengthPenalty,
      };
    }
  }

  tf.serialization.registerClass(AttentionDecoder as unknown as tfcore.serialization.SerializableConstructor<tfcore.serialization.Serializable>);
  const out: DecoderLayers = { AttentionDecoder: AttentionDecoder as unknown as DecoderLayers['AttentionDecoder'] };
  defined.set(tf, out);
  return out;
}
