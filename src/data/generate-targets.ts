/**
 * Target sequences of `generate` tasks (src/tasks/generate.ts) as labels: the vocabulary conventions and
 * the encoding of token lists into NaN-padded id rows. Pure data code, so loaders (data/) can build the
 * labels without importing the task layer.
 *
 * Vocabulary: id 0 `<pad>`, id 1 `<bos>` (the decoder's first input, never a label), id 2 `<eos>` (ends
 * every target), then `<unk>` (a word the vocabulary lacks) and the tokens. A label row: the target's
 * ids, then <eos>, then NaN (padding: mask 0).
 */

/** The special tokens of a generate vocabulary, by id. */
export const GENERATE_SPECIALS = ['<pad>', '<bos>', '<eos>'] as const;
export const GENERATE_IDS = { pad: 0, bos: 1, eos: 2 } as const;
export const UNK_TOKEN = '<unk>';

/** A target vocabulary: the specials, <unk>, then `tokens` (sorted, deduplicated). */
export function generateVocabulary(tokens: Iterable<string>): string[] {
  const special = new Set<string>([...GENERATE_SPECIALS, UNK_TOKEN]);
  return [...GENERATE_SPECIALS, UNK_TOKEN, ...[...new Set(tokens)].filter((t) => !special.has(t)).sort()];
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

/** Generated (or gold) ids → tokens, up to the first <eos>. */
export function decodeIds(row: ArrayLike<number>, vocabulary: readonly string[]): string[] {
  return sequenceIds(row).map((id) => vocabulary[id] ?? `#${id}`);
}
