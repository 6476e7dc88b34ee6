/**
 * SNIPS as text-to-frame generation: an utterance's intent and BIO slots become the frame
 *   PlayMusic(artist=daft punk; service=spotify)
 * — the intent, then the slots in utterance order as `type=value` (the value: the slot's tokens joined
 * by spaces), `; `-separated; `Intent()` when there is none. Spans are read from the BIO tags as
 * conlleval reads them (src/tasks/spans.ts, which data/ does not import: a B- tag, or an I- tag that
 * does not continue a span of its type, starts one; O ends one).
 *
 * The generation target is the frame's tokens, each value word its own token:
 *   PlayMusic ( artist = daft punk ; service = spotify )
 * so the target vocabulary is the intents, the slot types, `(`, `)`, `=`, `;` and the value words seen
 * in training (src/tasks/generate.ts: with <pad>, <bos>, <eos>, <unk>). `frameText` turns such tokens
 * back into the frame string.
 *
 * `withFrameTask` adds the `frame` task (kind generate) to a SNIPS split: U = the longest training
 * target + 1 (<eos>); longer dev/test targets are cut (none are in the official splits).
 *
 * Copying (default): every slot value word is the copy token of its input position instead, `<copy:s>`
 * (src/data/generate-targets.ts; the decoder's pointer over the per-token features scores it), so the
 *   PlayMusic ( artist = <copy:2> ; album = <copy:4> ; service = <copy:6> <copy:7> )
 * vocabulary is the 7 intents, the slot types, the 4 punctuation tokens and the L positions (≈ 100 ids, not
 * 11,170 words), and a value never seen in training is still produced: with the training words as the
 * vocabulary, 39 % of the SNIPS test frames hold a word outside it, so could never be matched. (Value words
 * past the input length L keep their word, so are <unk> unless seen in training.) `copy: false` gives the
 * word vocabulary.
 */
import type { Dataset, TaskSpec } from '../types.js';
import type { TextSplit } from '../text/state.js';
import { copyToken, encodeTargets, generateVocabulary } from '../generate-targets.js';
import { applyLimit } from './common.js';
export { frameText } from '../frame-text.js';
import type { SnipsRaw, SnipsSplitRaw } from './snips.js';

export interface Frame {
  intent: string;
  slots: { type: string; value: string }[];
}

/** The slot spans of BIO tags in order: each span's type and the positions of its words. */
function slotSpans(tags: readonly string[]): { type: string; positions: number[] }[] {
  const slots: { type: string; positions: number[] }[] = [];
  let open: { type: string; positions: number[] } | null = null;
  for (let i = 0; i < tags.length; i++) {
    const tag = tags[i]!;
    if (tag === 'O') { open = null; continue; }
    const dash = tag.indexOf('-');
    const prefix = dash < 0 ? tag : tag.slice(0, dash), type = dash < 0 ? '' : tag.slice(dash + 1);
    if (prefix === 'I' && open !== null && open.type === type) { open.positions.push(i); continue; }
    open = { type, positions: [i] };
    slots.push(open);
  }
  return slots;
}

/** The frame of one utterance: its intent and its slot spans in utterance order. */
export function snipsFrame(intent: string, tokens: readonly string[], tags: readonly string[]): Frame {
  if (tokens.length !== tags.length) throw new Error(`snipsFrame: ${tokens.length} tokens but ${tags.length} tags`);
  return { intent, slots: slotSpans(tags).map((s) => ({ type: s.type, value: s.positions.map((p) => tokens[p]!).join(' ') })) };
}

/**
 * The copy target of one utterance: frameTokens' tokens with each value word at input position p < L
 * as <copy:p> (a word at p ≥ L, past the model's input, stays itself).
 */
export function frameCopyTokens(intent: string, tokens: readonly string[], tags: readonly string[], L: number): string[] {
  if (tokens.length !== tags.length) throw new Error(`frameCopyTokens: ${tokens.length} tokens but ${tags.length} tags`);
  const out = [intent, '('];
  slotSpans(tags).forEach((s, i) => {
    if (i > 0) out.push(';');
    out.push(s.type, '=', ...s.positions.filter((p) => tokens[p]!.length > 0).map((p) => (p < L ? copyToken(p) : tokens[p]!)));
  });
  out.push(')');
  return out;
}

/** `Intent(type=value; type=value)`. */
export function frameString(f: Frame): string {
  return `${f.intent}(${f.slots.map((s) => `${s.type}=${s.value}`).join('; ')})`;
}

/** The target tokens: `Intent ( type = w1 w2 ; type = w ) `. */
export function frameTokens(f: Frame): string[] {
  const out = [f.intent, '('];
  f.slots.forEach((s, i) => {
    if (i > 0) out.push(';');
    out.push(s.type, '=', ...s.value.split(' ').filter((w) => w.length > 0));
  });
  out.push(')');
  return out;
}

/** The targets of the first n utterances: copy targets over L input positions, or with L = 0 the words. */
function targetsOf(s: SnipsSplitRaw, n: number, L: number): string[][] {
  return s.intents.slice(0, n).map((intent, i) => (L > 0 ? frameCopyTokens(intent, s.tokens[i]!, s.tags[i]!, L) : frameTokens(snipsFrame(intent, s.tokens[i]!, s.tags[i]!))));
}

/**
 * The split with the `frame` generate task added to train, dev and test (their first rows as `limit`s cut
 * them). `copy` (default true): copy targets over the split's L input positions (see the header).
 */
export function withFrameTask(split: TextSplit, raw: SnipsRaw, options: { limit?: number; testLimit?: number; copy?: boolean } = {}): TextSplit {
  const L = options.copy === false ? 0 : split.train.inputShape[0]!;
  const train = targetsOf(raw.train, applyLimit(raw.train.tokens, options.limit).length, L);
  const vocabulary = generateVocabulary(train.flat(), { copy: L });
  const U = train.reduce((m, t) => Math.max(m, t.length), 0) + 1;
  const spec: TaskSpec = { name: 'frame', kind: 'generate', width: U, outputSize: vocabulary.length, labelNames: vocabulary };
  const add = (ds: Dataset, targets: string[][]): Dataset => {
    if (targets.length !== ds.n) throw new Error(`snips frame: ${targets.length} targets for ${ds.n} utterances`);
    return { ...ds, tasks: [...ds.tasks, { ...spec }], labels: { ...ds.labels, frame: encodeTargets(targets, vocabulary, U).labels } };
  };
  return {
    ...split,
    train: add(split.train, train),
    dev: split.dev ? add(split.dev, targetsOf(raw.dev, split.dev.n, L)) : undefined,
    test: add(split.test, targetsOf(raw.test, split.test.n, L)),
  };
}
