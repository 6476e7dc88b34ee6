/**
 * The part of a text model's text.json that a web page needs too: the TextState type, its check, and raw
 * texts → token ids exactly as in training (./tokenizer.ts). Pure code, no Node module: Node reads and
 * writes the file in ./state.ts (which re-exports this), the browser text runtime fetches it
 * (src/browser/text-runtime.ts).
 */
import { encodeSentences, tokenize, Vocabulary, type TokenizerOptions } from './tokenizer.js';

export const TEXT_STATE_FILE = 'text.json';

export interface TextState {
  format: 'mtljs-text';
  version: 1;
  /** How raw input text is tokenized at prediction time. */
  tokenizer: TokenizerOptions;
  /** Tokens by id: [`<pad>`, `<unk>`, …]. */
  vocabulary: string[];
  /** L: ids per input (the model's inputShape [L]). */
  maxLength: number;
  /** Words seen fewer times in training map to `<unk>`. */
  minCount: number;
  /** The training splits the vocabulary was built from. */
  sources: string[];
}

export function textState(args: { tokenizer: TokenizerOptions; vocabulary: Vocabulary; maxLength: number; minCount: number; sources: string[] }): TextState {
  return {
    format: 'mtljs-text', version: 1, tokenizer: { ...args.tokenizer }, vocabulary: args.vocabulary.toJSON(),
    maxLength: args.maxLength, minCount: args.minCount, sources: [...args.sources],
  };
}

export function parseTextState(json: unknown, source: string): TextState {
  const s = json as Partial<TextState>;
  if (!s || s.format !== 'mtljs-text' || !Array.isArray(s.vocabulary) || typeof s.maxLength !== 'number' || !s.tokenizer) {
    throw new Error(`${source}: not an mtljs text state (format 'mtljs-text' with tokenizer, vocabulary, maxLength)`);
  }
  Vocabulary.fromTokens(s.vocabulary); // checks <pad>, <unk> and duplicates
  return s as TextState;
}

/** Raw texts → n × L ids (the model's input), with the tokens each one was split into. */
export function encodeTexts(state: TextState, texts: string[]): { x: Float32Array; tokens: string[][] } {
  const vocab = Vocabulary.fromTokens(state.vocabulary);
  const tokens = texts.map((t) => tokenize(t, state.tokenizer));
  return { x: encodeSentences(tokens, vocab, state.maxLength).x, tokens };
}

