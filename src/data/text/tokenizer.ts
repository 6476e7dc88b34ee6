/**
 * Text → tokens → ids, and back.
 *
 * - `tokenize`: a whitespace tokenizer. Whitespace is JavaScript's `\s` plus U+0085 (NEXT LINE, which
 *   `\s` does not match and which occurs inside UCI imdb sentences). Options: `lowercase` (locale-free
 *   `toLowerCase`), `punctuation: 'split'` (leading and trailing punctuation marks of a token become tokens
 *   of their own: `man.` → `man` `.`, `"great!"` → `"` `great` `!` `"`; inner ones stay: `slow-moving`,
 *   `don't`). Default: pure whitespace splitting, as SNIPS is already tokenized and aligned with its tags.
 * - `Vocabulary`: built from the training split only. Id 0 is `<pad>`, id 1 is `<unk>` (every word not in
 *   the vocabulary, and every word seen fewer than `minCount` times in training, so the `<unk>` embedding
 *   is trained on rare words rather than never). Words are ordered by training count (descending), then
 *   by code-point order, so the same training data always gives the same ids.
 * - `encode`: fixed-length id sequences (padded with 0 at the end, truncated beyond `maxLength`) and a
 *   0/1 token mask; `decode` turns ids back into tokens (stopping at padding), so
 *   `decode(encode(t)) = t` for in-vocabulary sentences of at most `maxLength` tokens.
 */

export interface TokenizerOptions {
  lowercase?: boolean;
  /** `keep` (default): split on whitespace only. `split`: leading/trailing punctuation becomes tokens. */
  punctuation?: 'keep' | 'split';
}

export const PAD = '<pad>';
export const UNK = '<unk>';
export const PAD_ID = 0;
export const UNK_ID = 1;

const WHITESPACE = /[\s\u0085]+/u;
const PUNCT = /^\p{P}$/u;

function splitPunctuation(token: string): string[] {
  const chars = [...token];
  let a = 0, b = chars.length;
  while (a < b && PUNCT.test(chars[a]!)) a++;
  while (b > a && PUNCT.test(chars[b - 1]!)) b--;
  const out = chars.slice(0, a);
  if (b > a) out.push(chars.slice(a, b).join(''));
  return out.concat(chars.slice(b));
}

export function tokenize(text: string, options: TokenizerOptions = {}): string[] {
  const s = options.lowercase ? text.toLowerCase() : text;
  const words = s.split(WHITESPACE).filter((w) => w.length > 0);
  return options.punctuation === 'split' ? words.flatMap(splitPunctuation) : words;
}

/** Tokens back to text (single spaces between tokens). */
export function detokenize(tokens: string[]): string {
  return tokens.join(' ');
}

export interface VocabularyOptions {
  /** Keep words seen at least this often in the training sentences (default 1). */
  minCount?: number;
  /** Keep at most this many words (plus `<pad>` and `<unk>`), the most frequent ones. */
  maxSize?: number;
}

export interface EncodedSentence {
  /** maxLength ids, 0 (`<pad>`) after the sentence. */
  ids: Int32Array;
  /** maxLength values: 1 on tokens, 0 on padding. */
  mask: Float32Array;
  /** Tokens kept (≤ maxLength). */
  length: number;
  /** Tokens cut off at the end. */
  truncated: number;
}

export class Vocabulary {
  readonly tokens: readonly string[];
  private readonly index: Map<string, number>;

  private constructor(tokens: string[]) {
    if (tokens[PAD_ID] !== PAD || tokens[UNK_ID] !== UNK) throw new Error(`a vocabulary starts with ${PAD}, ${UNK}; got ${tokens.slice(0, 2).join(', ')}`);
    this.tokens = tokens;
    this.index = new Map();
    tokens.forEach((t, i) => {
      if (this.index.has(t)) throw new Error(`vocabulary: duplicate token '${t}'`);
      this.index.set(t, i);
    });
  }

  /** The vocabulary of some (training) sentences. */
  static build(sentences: Iterable<readonly string[]>, options: VocabularyOptions = {}): Vocabulary {
    const minCount = options.minCount ?? 1;
    if (!Number.isInteger(minCount) || minCount < 1) throw new Error(`vocabulary: minCount must be an integer ≥ 1, got ${minCount}`);
    const counts = new Map<string, number>();
    for (const s of sentences) for (const t of s) counts.set(t, (counts.get(t) ?? 0) + 1);
    counts.delete(PAD);
    counts.delete(UNK);
    let words = [...counts].filter(([, c]) => c >= minCount);
    words.sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    if (options.maxSize !== undefined) words = words.slice(0, options.maxSize);
    return new Vocabulary([PAD, UNK, ...words.map(([w]) => w)]);
  }

  /** A saved vocabulary (`toJSON()`), checked. */
  static fromTokens(tokens: readonly string[]): Vocabulary {
    return new Vocabulary([...tokens]);
  }

  get size(): number {
    return this.tokens.length;
  }

  has(token: string): boolean {
    const i = this.index.get(token);
    return i !== undefined && i > UNK_ID;
  }

  /** The id of a token; `<unk>` for unknown ones. A word spelt `<pad>` is never padding. */
  id(token: string): number {
    const i = this.index.get(token);
    return i === undefined || i === PAD_ID ? UNK_ID : i;
  }

  token(id: number): string {
    const t = this.tokens[id];
    if (t === undefined) throw new Error(`vocabulary: id ${id} out of range 0..${this.size - 1}`);
    return t;
  }

  encode(tokens: readonly string[], maxLength: number): EncodedSentence {
    const ids = new Int32Array(maxLength);
    const mask = new Float32Array(maxLength);
    const length = Math.min(tokens.length, maxLength);
    for (let i = 0; i < length; i++) {
      ids[i] = this.id(tokens[i]!);
      mask[i] = 1;
    }
    return { ids, mask, length, truncated: tokens.length - length };
  }

  /** Ids → tokens, stopping at the first `<pad>` (unless `keepPadding`). */
  decode(ids: ArrayLike<number>, options: { keepPadding?: boolean } = {}): string[] {
    const out: string[] = [];
    for (let i = 0; i < ids.length; i++) {
      const id = Math.round(ids[i]!);
      if (id === PAD_ID && !options.keepPadding) break;
      out.push(this.token(id));
    }
    return out;
  }

  toJSON(): string[] {
    return [...this.tokens];
  }
}

/** Encodes sentences into one n × maxLength Float32Array of ids (the Dataset.x of a text dataset). */
export function encodeSentences(sentences: readonly (readonly string[])[], vocab: Vocabulary, maxLength: number): { x: Float32Array; lengths: Int32Array; truncated: number } {
  const n = sentences.length;
  const x = new Float32Array(n * maxLength);
  const lengths = new Int32Array(n);
  let truncated = 0;
  sentences.forEach((s, i) => {
    const e = vocab.encode(s, maxLength);
    x.set(e.ids, i * maxLength);
    lengths[i] = e.length;
    if (e.truncated) truncated++;
  });
  return { x, lengths, truncated };
}
