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
 *   W_a [D, H] (attention), W_c [D + H, H], b_c [H], W_o [H, V − C], b_o [V − C], and W_p [D, H] when C > 0,
 * and, with y_0 = <bos> and m_s the memory rows that are not all zero (text features are exactly 0 at
 * padding; ./layers.ts TokenMask):
 *   m_s ← (m_s − μ_s) / √(σ²_s + 1e-6)   (`normalizeMemory`: each row standardised over its D features)
 *   h_0 = tanh(mean_s(m_s) W_init + b_init)
 *   h_t = GRU(E[y_{t−1}], h_{t−1})   (reset gate after the recurrent product, as cuDNN and Keras's reset_after)
 *   a_t = softmax_s(h_t · (m_s W_a))   (padding rows get −1e9 before the softmax)
 *   c_t = Σ_s a_ts m_s,   h̃_t = tanh([c_t; h_t] W_c + b_c),   logits_t = [h̃_t W_o + b_o ; h̃_t · (m_s W_p)_s]
 *   → p(y_t | y_<t, x) = softmax(logits_t).
 * The last C = `copy` ids of the vocabulary are copy tokens (src/data/generate-targets.ts): id V − C + s
 * is "the input at memory position s", scored by the pointer h̃_t · m_s W_p (padding rows −1e9) in one
 * softmax with the generated words — a pointer network (Vinyals, Fortunato & Jaitly 2015) sharing the
 * softmax with the generator as CopyNet does (Gu et al. 2016); C must equal the memory length S.
 * Why the row standardisation: the text encoder's features are tiny at initialisation (SNIPS, BiGRU 64/32:
 * mean |m| ≈ 0.01), so the attention is uniform, c_t ≈ 0 and h_0 ≈ tanh(b_init): the decoder first learns
 * an unconditional language model and Adam (lr 1e-2) sits on that plateau for hundreds of steps, always
 * answering the commonest tokens (`( ( = = ;` on SNIPS). Standardised rows give the memory unit scale
 * whatever the encoder; all-zero (padding) rows stay zero. Off in saved models from before the option.
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
  /** C: the last C vocabulary ids are copy tokens of memory positions 0 … C − 1 (default 0: none). */
  copy?: number;
  /** Standardise each memory row over its features (default false, as in models saved before the option). */
  normalizeMemory?: boolean;
}

export interface AttentionDecoderLayer extends tflayers.layers.Layer {
  readonly vocabSize: number;
  readonly maxLength: number;
  readonly embeddingDim: number;
  readonly units: number;
  readonly copy: number;
  readonly normalizeMemory: boolean;
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

  /** The prepared memory of a batch: rows [B, S, D], their mask [B, S], h_0 [B, H], attention keys m W_a and pointer keys m W_p [B, S, H]. */
  type Memory = { m: Tensor; mask: Tensor; h0: Tensor; keys: Tensor; copyKeys?: Tensor };

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
    readonly copy: number;
    readonly normalizeMemory: boolean;
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
      this.copy = args.copy ?? 0;
      if (!Number.isInteger(this.copy) || this.copy < 0 || this.copy >= this.vocabSize) throw new Error(`MtlAttentionDecoder: copy must be an integer in [0, vocabSize), got ${args.copy}`);
      this.normalizeMemory = args.normalizeMemory ?? false;
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
      add('output_kernel', [H, V - this.copy], glorot(6));
      add('output_bias', [V - this.copy], zeros());
      if (this.copy > 0) {
        const S = s.length === 3 ? s[1] : 1;
        if (S !== this.copy) throw new Error(`MtlAttentionDecoder: ${this.copy} copy tokens need a memory of ${this.copy} positions, got ${S ?? 'an unknown number'}`);
        add('copy_kernel', [D, H], glorot(7));
      }
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

    /** The prepared memory (see Memory). */
    private prepare(memory: Tensor): Memory {
      const raw = memory.rank === 2 ? tf.expandDims(memory, 1) : memory;
      if (raw.rank !== 3) throw new Error(`MtlAttentionDecoder: memory must be [B, S, D] or [B, D], got [${memory.shape.join(', ')}]`);
      const [B, S, D] = raw.shape as [number, number, number];
      if (this.copy > 0 && S !== this.copy) throw new Error(`MtlAttentionDecoder: ${this.copy} copy tokens need a memory of ${this.copy} positions, got ${S}`);
      const mask = rowMask(raw);
      let m = raw;
      if (this.normalizeMemory) {
        const centred = tf.sub(raw, tf.mean(raw, -1, true));
        m = tf.div(centred, tf.sqrt(tf.add(tf.mean(tf.square(centred), -1, true), 1e-6)));
      }
      const mean = tf.div(tf.sum(tf.mul(m, tf.expandDims(mask, 2)), 1), tf.maximum(tf.sum(mask, 1, true), 1));
      const h0 = tf.tanh(tf.add(tf.matMul(mean, this.get('init_kernel')), this.get('init_bias')));
      const rows = tf.reshape(m, [B * S, D]);
      const keys = tf.reshape(tf.matMul(rows, this.get('attention_kernel')), [B, S, this.units]);
      const copyKeys = this.copy > 0 ? tf.reshape(tf.matMul(rows, this.get('copy_kernel')), [B, S, this.units]) : undefined;
      return { m, mask, h0, keys, copyKeys };
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

    /** Logits [B, T, V] from the decoder states hs [B, T, H] and the attention over the memory. */
    private attend(hs: Tensor, mem: Memory): Tensor {
      const { m, mask, keys, copyKeys } = mem;
      const [B, T, H] = hs.shape as [number, number, number];
      const D = m.shape[2]!;
      const bias = tf.expandDims(tf.mul(tf.sub(mask, 1), 1e9), 1); // [B, 1, S]
      const a = tf.softmax(tf.add(tf.matMul(hs, keys, false, true), bias)); // [B, T, S]
      const c = tf.matMul(a, m); // [B, T, D]
      const joined = tf.reshape(tf.concat([c, hs], 2), [B * T, D + H]);
      const ht = tf.tanh(tf.add(tf.matMul(joined, this.get('combine_kernel')), this.get('combine_bias')));
      const words = tf.reshape(tf.add(tf.matMul(ht, this.get('output_kernel')), this.get('output_bias')), [B, T, this.vocabSize - this.copy]);
      if (!copyKeys) return words;
      const pointer = tf.add(tf.matMul(tf.reshape(ht, [B, T, H]), copyKeys, false, true), bias); // [B, T, S]
      return tf.concat([words, pointer], 2);
    }

    teacherForced(memory: Tensor, labels: Tensor): Tensor {
      return tf.tidy(() => {
        const [B, U] = labels.shape as [number, number];
        const mem = this.prepare(memory);
        const ids = tf.cast(labels, 'int32');
        const prev = U > 1 ? tf.concat([tf.fill([B, 1], this.bos, 'int32'), tf.slice(ids, [0, 0], [B, U - 1])], 1) : tf.fill([B, 1], this.bos, 'int32');
        const xp = tf.reshape(this.project(tf.reshape(prev, [B * U])), [B, U, 3 * this.units]);
        const steps = tf.unstack(xp, 1);
        const hs: Tensor[] = [];
        let h = mem.h0;
        for (const x of steps) { h = this.gru(x, h); hs.push(h); }
        return this.attend(tf.stack(hs, 1), mem);
      });
    }

    /** One decoding step for rows of (state h, memory): the new state and log p [N, V]. */
    private stepRows(tokens: Tensor, h: Tensor, mem: Memory): { h: Tensor; logp: Tensor } {
      const h1 = this.gru(this.project(tokens), h);
      const logits = tf.squeeze(this.attend(tf.expandDims(h1, 1), mem), [1]);
      return { h: h1, logp: tf.logSoftmax(logits) };
    }

    greedy(memory: Tensor): number[][] {
      const B = memory.shape[0]!;
      const V = this.vocabSize;
      const ban = new Float32Array(V);
      for (const v of this.banned) ban[v] = -Infinity;
      const out: number[][] = Array.from({ length: B }, () => []);
      const done = new Array<boolean>(B).fill(false);
      const mem = tf.tidy(() => this.prepare(memory));
      const { m, mask, h0, keys, copyKeys } = mem;
      const banT = tf.tensor1d(ban);
      let h = h0;
      let tokens = tf.fill([B], this.bos, 'int32');
      try {
        for (let t = 0; t < this.maxLength && done.some((d) => !d); t++) {
          const next = tf.tidy(() => {
            const s = this.stepRows(tokens, h, mem);
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
        tf.dispose([m === memory ? [] : m, mask, h0, keys, copyKeys ?? [], banT, h === h0 ? [] : h, tokens]);
      }
      return out;
    }

    beamSearch(memory: Tensor, width: number, lengthPenalty: number): Hypothesis[] {
      const B = memory.shape[0]!;
      const prepared = tf.tidy(() => this.prepare(memory));
      let rows: Memory & { h: Tensor } = { ...prepared, h: prepared.h0 };
      const owned = new Set<Tensor>([prepared.h0, prepared.mask, prepared.keys]);
      if (prepared.copyKeys) owned.add(prepared.copyKeys);
      if (prepared.m !== memory) owned.add(prepared.m);
      try {
        return beamSearch((parents, tokens) => {
          const next = tf.tidy(() => {
            const p = tf.tensor1d(parents, 'int32');
            const g: Memory = { m: tf.gather(rows.m, p), mask: tf.gather(rows.mask, p), h0: rows.h0, keys: tf.gather(rows.keys, p), copyKeys: rows.copyKeys ? tf.gather(rows.copyKeys, p) : undefined };
            const s = this.stepRows(tf.tensor1d(tokens, 'int32'), tf.gather(rows.h, p), g);
            return { ...g, h: s.h, logp: s.logp };
          });
          for (const t of owned) t.dispose();
          owned.clear();
          rows = { m: next.m, mask: next.mask, h0: next.h, keys: next.keys, copyKeys: next.copyKeys, h: next.h };
          for (const t of [rows.m, rows.mask, rows.keys, rows.copyKeys, rows.h]) if (t) owned.add(t);
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
        copy: this.copy, normalizeMemory: this.normalizeMemory,
      };
    }
  }

  tf.serialization.registerClass(AttentionDecoder as unknown as tfcore.serialization.SerializableConstructor<tfcore.serialization.Serializable>);
  const out: DecoderLayers = { AttentionDecoder: AttentionDecoder as unknown as DecoderLayers['AttentionDecoder'] };
  defined.set(tf, out);
  return out;
}
