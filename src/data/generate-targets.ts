/**
 * Target sequences of `generate` tasks (src/tasks/generate.ts) as labels: the vocabulary conventions and
 * the encoding of token lists into NaN-padded id rows. Pure data code, so loaders (data/) can build the
 * labels without importing the task layer.
 *
 * Vocabulary: id 0 `<pad>`, id 1 `<bos>` (the decoder's first input, never a label), id 2 `<eos>` (ends
 * every target), then `<unk>` (a word the vocabulary lacks) and the tokens. A label row: the target's
 * ids, then <eos>, then NaN (padding: mask 0).
 *
 * Copy tokens (a pointer over the input, Vinyals et al. 2015; the copy half of CopyNet, Gu et al. 2016):
 * a vocabulary may end with `<copy:0>` … `<copy:S−1>`, one per position of the decoder's memory (text:
 * the input tokens). A target token `<copy:s>` means "the input word at position s"; the decoder scores
 * these ids from its attention over the memory (src/models/text/decoder-layers.ts), so words never seen
 * in training (names, titles: most SNIPS slot values) can be produced, and `decodeIds` with the input
 * tokens turns them back into words.
 */

/** The special tokens of a generate vocabulary, by id. */
export const GENERATE_SPECIALS = ['<pad>', '<bos>', '<eos>'] as const;
export const GENERATE_IDS = { pad: 0, bos: 1, eos: 2 } as const;
export const UNK_TOKEN = '<unk>';

const COPY = /^<copy:(\d+)>$/;

/** The copy token of memory position `s` (see the header). */
export function copyToken(s: number): string {
  return `<copy:${s}>`;
}

/** The memory position a copy token stands for, else -1. */
export function copyPosition(token: string): number {
  const m = COPY.exec(token);
  return m ? Number(m[1]) : -1;
}

/**
 * A target vocabulary: the specials, <unk>, then `tokens` (sorted, deduplicated; copy tokens among them
 * dropped), then with `copy: S` the copy tokens <copy:0> … <copy:S−1>.
 */
export function generateVocabulary(tokens: Iterable<string>, options: { copy?: number } = {}): string[] {
  const S = options.copy ?? 0;
  if (!Number.isInteger(S) || S < 0) throw new Error(`generateVocabulary: copy must be a non-negative integer (the memory length), got ${S}`);
  const special = new Set<string>([...GENERATE_SPECIALS, UNK_TOKEN]);
  const plain = [...new Set(tokens)].filter((t) => !special.has(t) && copyPosition(t) < 0).sort();
  return [...GENERATE_SPECIALS, UNK_TOKEN, ...plain, ...Array.from({ length: S }, (_, s) => copyToken(s))];
}

/**
 * S, the number of copy tokens that end `vocabulary` (0 when it has none). They must be exactly
 * <copy:0> … <copy:S−1> in order, at the end, and appear nowhere else.
 */
export function copyCount(vocabulary: readonly string[]): number {
  let first = vocabulary.length;
  while (first > 0 && copyPosition(vocabulary[first - 1]!) >= 0) first--;
  const S = vocabulary.length - first;
  for (let s = 0; s < S; s++) {
    if (vocabulary[first + s] !== copyToken(s)) throw new Error(`a generate vocabulary's copy tokens must be ${copyToken(0)} … ${copyToken(S - 1)} in order at its end; found ${vocabulary[first + s]} at id ${first + s}`);
  }
  const stray = vocabulary.slice(0, first).find((t) => copyPosition(t) >= 0);
  if (stray !== undefined) throw new Error(`a generate vocabulary's copy tokens must all be at its end; found ${stray} before them`);
  return S;
}

/**
 * Label rows (n × U, NaN-padded) of target token lists: each token's id (<unk> when the vocabulary lacks
 * it), then <eos>; targets longer than U − 1 tokens are cut (their count is returned).
 */
export function encodeTargets(targets: readonly (readonly string[])[], vocabulary: readonly string[], U: number): { labels: Float32Array; truncated: number } {
  if (!Number.isInteger(U) || U < 1) throw new Error(`encodeTargets: U must be a positive integer, got ${U}`);
  const index = new Map(vocabulary.map((t, i) => [t, i]));
  const unk = index.get(UNK_TOKEN);
  const labels = new Float32Array(targets.length * U).fill(NaN);
  let truncated = 0;
  targets.forEach((tokens, i) => {
    if (tokens.length > U - 1) truncated++;
    tokens.slice(0, U - 1).forEach((tok, t) => {
      const id = index.get(tok) ?? unk;
      if (id === undefined) throw new Error(`target token '${tok}' is not in the vocabulary, which has no ${UNK_TOKEN}`);
      labels[i * U + t] = id;
    });
    labels[i * U + Math.min(tokens.length, U - 1)] = GENERATE_IDS.eos;
  });
  return { labels, truncated };
}

/** The ids of one generated or gold row before the first <eos> / <pad> / NaN. */
export function sequenceIds(row: ArrayLike<number>): number[] {
  const out: number[] = [];
  for (let t = 0; t < row.length; t++) {
    const v = row[t]!;
    if (Number.isNaN(v) || v === GENERATE_IDS.eos || v === GENERATE_IDS.pad) break;
    out.push(v);
  }
  return out;
}

/**
 * Generated (or gold) ids → tokens, up to the first <eos>. With `source` (the input tokens, position by
 * position), a copy token <copy:s> becomes source[s] (`<unk>` past its end); without, it stays as is.
 */
export function decodeIds(row: ArrayLike<number>, vocabulary: readonly string[], source?: readonly string[]): string[] {
  return sequenceIds(row).map((id) => {
    const token = vocabulary[id] ?? `#${id}`;
    if (!source) return token;
    const s = copyPosition(token);
    return s < 0 ? token : (source[s] ?? UNK_TOKEN);
  });
}
