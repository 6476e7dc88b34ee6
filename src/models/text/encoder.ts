/**
 * Sequence encoders for token ids: an embedding, then a bidirectional GRU (default) or a small
 * Transformer encoder. Input: ids [L] (floats, 0 = `<pad>`); output: per-token features [L, D], exactly 0
 * at padding positions (src/models/text/layers.ts TokenMask), as one tfjs LayersModel. Both first cut the batch
 * to its longest sentence (TrimPadding) and pad the features back to L at the end, so the work follows the
 * real lengths (SNIPS: 9 tokens on average, L = 35).
 *
 * Why the BiGRU is the default — measured on the wasm backend, 2 cores (shared with other jobs: load
 * average 3–8, so times vary by ~2×), SNIPS joint intent + slots, D = 64, batch 64, Adam 5e-3, seed 0,
 * dev set after epochs 1 / 2 / 3 / 4 (examples/agent/bench-encoders.ts):
 *   Transformer, 1 layer, 4 heads, FFN 128:  slot F1 .663 / .744 / .792 / .807, intent acc .984 at 4;  31–61 s per epoch
 *   Transformer, 2 layers:                   slot F1 .638 / .731 / .788 / .809, intent acc .986 at 4;  37–64 s per epoch
 *   BiGRU, 32 units per direction:            slot F1 .737 / .831 / .859 / .876, intent acc .987 at 4;  48–67 s per epoch
 *                                            (118 s for the first epoch, under the heaviest load)
 * One forward + backward pass of the encoder alone (B = 64, 5–20 tokens): Transformer×1 ≈ 0.08–0.14 s,
 * ×2 ≈ 0.12–0.17 s, BiGRU ≈ 0.18–0.26 s. The Transformer is ~2× cheaper per step (a few batched matMuls;
 * the GRU runs L_b sequential steps of small kernels per direction, which is what wasm is slowest at),
 * but the BiGRU learns slot boundaries much faster — its recurrence gives every token its left and right
 * context in order, while the Transformer must learn word order from position embeddings trained from
 * scratch on 13k short utterances — so it is ahead per epoch and per second (BiGRU after 2 epochs ≈
 * 166 s: .831; Transformer×1 after 4 epochs ≈ 175 s: .807). Intent accuracy is the same for all three.
 * Both train reliably (no divergence, no warm-up needed); the Transformer stays available
 * (`{ type: 'transformer' }`).
 *
 * BiGRU: embedding, then `BiGru` (src/models/text/bigru.ts: tfjs-layers' bidirectional GRU computed by one
 * fused kernel call per direction; padding is skipped: the backward direction starts at the last token),
 * forward and backward states concatenated (D = 2 × units). Kernels use seeded Glorot initialisers
 * (tfjs 4.22's orthogonal initialiser throws here: "rMat.flatten is not a function"). The timings above
 * were taken with tfjs-layers' own GRU, before the fused kernels (issue 17); with them, one epoch takes
 * 2.3 s (BiGRU, was 22.9 s) and 3.8 s (Transformer×2, was 12.9 s) on the same machine, one run each
 * (examples/agent/bench-encoders.ts), so the BiGRU is now ahead per second as well as per epoch.
 * Transformer layer (pre-LayerNorm, which trains stably without learning-rate warm-up):
 *   h ← h + SelfAttention(LN(h), pad-masked);   h ← h + W₂ relu(W₁ LN(h)) (TokenDense layers);   final LN.
 * Its input: token embedding (vocab × D, uniform ±0.05) + learned position embedding (L × D).
 */
import { tfl } from '../../engine/tf.js';
import { uniqueName } from '../encoders.js';
import { BiGru } from './bigru.js';
import { LayerNorm, MaskedSelfAttention, PositionEmbedding, TokenDense, TokenMask, TrimPadding } from './layers.js';

export interface TransformerEncoderConfig {
  type: 'transformer';
  /** Model width D (default 64). */
  dim?: number;
  /** Encoder layers (default 2). */
  layers?: number;
  /** Attention heads (default 4; must divide dim). */
  heads?: number;
  /** Hidden units of the feed-forward block (default 2 × dim). */
  ffn?: number;
}

export interface BiGruEncoderConfig {
  type: 'bigru';
  /** Embedding size (default 64). */
  dim?: number;
  /** GRU units per direction (default dim / 2, so the output has dim features). */
  units?: number;
}

export type TextEncoderConfig = TransformerEncoderConfig | BiGruEncoderConfig;

export interface TextEncoderContext {
  maxLength: number;
  vocabSize: number;
  seed: number;
  prefix?: string;
}

type Sym = tfl.SymbolicTensor;

function apply(layer: tfl.layers.Layer, x: Sym | Sym[]): Sym {
  return layer.apply(x) as Sym;
}

export function textEncoderDefaults(config: TextEncoderConfig | undefined): Required<TransformerEncoderConfig> | Required<BiGruEncoderConfig> {
  const c = config ?? { type: 'bigru' };
  if (c.type === 'bigru') {
    const dim = c.dim ?? 64;
    return { type: 'bigru', dim, units: c.units ?? Math.max(1, Math.floor(dim / 2)) };
  }
  if (c.type !== 'transformer') throw new Error(`text encoder type must be 'transformer' or 'bigru', got ${JSON.stringify((c as { type?: unknown }).type)}`);
  const dim = c.dim ?? 64;
  return { type: 'transformer', dim, layers: c.layers ?? 2, heads: c.heads ?? 4, ffn: c.ffn ?? 2 * dim };
}

/** ids [L] → per-token features [L, D] (0 at padding), as a LayersModel. */
export function buildTextEncoder(ctx: TextEncoderContext, config?: TextEncoderConfig): tfl.LayersModel {
  const c = textEncoderDefaults(config);
  const prefix = ctx.prefix ?? 'text';
  const L = ctx.maxLength;
  for (const [k, v] of Object.entries(c)) {
    if (k !== 'type' && (!Number.isInteger(v) || (v as number) < 1)) throw new Error(`text encoder: ${k} must be a positive integer, got ${JSON.stringify(v)}`);
  }
  if (!Number.isInteger(ctx.vocabSize) || ctx.vocabSize < 2) throw new Error(`text encoder: vocabSize must be an integer ≥ 2 (<pad>, <unk>, …), got ${ctx.vocabSize}`);
  let seed = ctx.seed * 1000 + 1;
  const input = tfl.input({ shape: [L], name: uniqueName(`${prefix}_ids`) });
  // The encoder runs on the batch's longest sentence only; TokenMask pads back to L.
  const ids = apply(new TrimPadding({ name: uniqueName(`${prefix}_trim`) }), input);
  const embedding = () => tfl.layers.embedding({
    inputDim: ctx.vocabSize, outputDim: c.dim,
    embeddingsInitializer: tfl.initializers.randomUniform({ minval: -0.05, maxval: 0.05, seed: seed++ }),
    name: uniqueName(`${prefix}_embedding`),
  });
  let h: Sym;
  if (c.type === 'bigru') {
    h = apply(embedding(), ids);
    // One fused kernel call per direction (src/models/text/bigru.ts); padding is skipped by the ids.
    h = apply(new BiGru({ units: c.units, seed, name: uniqueName(`${prefix}_bigru`) }), [h, ids]);
    seed += 4;
  } else {
    h = apply(embedding(), ids);
    h = apply(new PositionEmbedding({ maxLength: L, dim: c.dim, seed: seed++, name: uniqueName(`${prefix}_positions`) }), h);
    for (let i = 0; i < c.layers; i++) {
      const a = apply(new LayerNorm({ name: uniqueName(`${prefix}_ln`) }), h);
      const att = apply(new MaskedSelfAttention({ dim: c.dim, heads: c.heads, seed: (seed += 4), name: uniqueName(`${prefix}_attention`) }), [a, ids]);
      h = apply(tfl.layers.add({ name: uniqueName(`${prefix}_residual`) }), [h, att]);
      const f = apply(new LayerNorm({ name: uniqueName(`${prefix}_ln`) }), h);
      const f1 = apply(new TokenDense({ units: c.ffn, activation: 'relu', seed: seed++, name: uniqueName(`${prefix}_ffn`) }), f);
      const f2 = apply(new TokenDense({ units: c.dim, seed: seed++, name: uniqueName(`${prefix}_ffn`) }), f1);
      h = apply(tfl.layers.add({ name: uniqueName(`${prefix}_residual`) }), [h, f2]);
    }
    h = apply(new LayerNorm({ name: uniqueName(`${prefix}_ln`) }), h);
  }
  const out = apply(new TokenMask({ name: uniqueName(`${prefix}_token_mask`) }), [h, input]);
  return tfl.model({ inputs: input, outputs: out, name: uniqueName(`${prefix}_encoder`) });
}
