/**
 * Span (chunk) evaluation of tag sequences as in the CoNLL-2000 `conlleval` script: tags are `O` or
 * `B-<type>` / `I-<type>` (BIO); a span is what conlleval's startOfChunk / endOfChunk rules (ported
 * verbatim below) delimit: `B-x` starts a span, `I-x` continues a span of type x, and — as in conlleval —
 * an `I-x` after `O` or after a tag of another type starts a new span. A sentence boundary closes spans. A predicted span is correct only if its type and both
 * boundaries equal a gold span's. Precision, recall and F1 are micro-averaged over all spans of all
 * sentences; with no predicted (gold) span, precision (recall) is 0, and F1 is 0 when both are 0 —
 * conlleval's conventions.
 */

export interface Span {
  start: number;
  /** Inclusive. */
  end: number;
  type: string;
}

function parts(tag: string): [string, string] {
  if (tag === 'O' || tag === '') return ['O', ''];
  const dash = tag.indexOf('-');
  if (dash < 0) return [tag, ''];
  return [tag.slice(0, dash), tag.slice(dash + 1)];
}

// The two rules of conlleval.pl, verbatim (its E rules and the one-token chunks `[` `]` included).
function endOfChunk(prevTag: string, tag: string, prevType: string, type: string): boolean {
  let end = false;
  if (prevTag === 'B' && tag === 'B') end = true;
  if (prevTag === 'B' && tag === 'O') end = true;
  if (prevTag === 'I' && tag === 'B') end = true;
  if (prevTag === 'I' && tag === 'O') end = true;
  if (prevTag === 'E' && tag === 'E') end = true;
  if (prevTag === 'E' && tag === 'I') end = true;
  if (prevTag === 'E' && tag === 'O') end = true;
  if (prevTag !== 'O' && prevTag !== '.' && prevType !== type) end = true;
  if (prevTag === ']' || prevTag === '[') end = true;
  return end;
}

function startOfChunk(prevTag: string, tag: string, prevType: string, type: string): boolean {
  let start = false;
  if (prevTag === 'B' && tag === 'B') start = true;
  if (prevTag === 'I' && tag === 'B') start = true;
  if (prevTag === 'O' && tag === 'B') start = true;
  if (prevTag === 'O' && tag === 'I') start = true;
  if (prevTag === 'E' && tag === 'E') start = true;
  if (prevTag === 'E' && tag === 'I') start = true;
  if (prevTag === 'O' && tag === 'E') start = true;
  if (tag !== 'O' && tag !== '.' && prevType !== type) start = true;
  if (tag === '[' || tag === ']') start = true;
  return start;
}

/** The spans of one tag sequence (one sentence). */
export function extractSpans(tags: readonly string[]): Span[] {
  const spans: Span[] = [];
  let prevTag = 'O', prevType = '';
  let start = -1, openType = '';
  for (let i = 0; i <= tags.length; i++) {
    // One step past the end acts as the sentence boundary (an `O`), closing an open span.
    const [tag, type] = i < tags.length ? parts(tags[i]!) : ['O', ''];
    const starts = i < tags.length && startOfChunk(prevTag, tag, prevType, type);
    if (start >= 0 && (endOfChunk(prevTag, tag, prevType, type) || starts)) {
      spans.push({ start, end: i - 1, type: openType });
      start = -1;
    }
    if (starts) {
      start = i;
      openType = type;
    }
    prevTag = tag;
    prevType = type;
  }
  return spans;
}

export interface SpanCounts {
  correct: number;
  predicted: number;
  gold: number;
}

export function countSpans(gold: readonly string[], pred: readonly string[]): SpanCounts {
  if (gold.length !== pred.length) throw new Error(`span counts: ${gold.length} gold tags but ${pred.length} predicted`);
  const g = extractSpans(gold), p = extractSpans(pred);
  const key = (s: Span) => `${s.start}:${s.end}:${s.type}`;
  const goldKeys = new Set(g.map(key));
  return { correct: p.filter((s) => goldKeys.has(key(s))).length, predicted: p.length, gold: g.length };
}

export interface SpanScores {
  precision: number;
  recall: number;
  f1: number;
}

export function spanScores(c: SpanCounts): SpanScores {
  const precision = c.predicted > 0 ? c.correct / c.predicted : 0;
  const recall = c.gold > 0 ? c.correct / c.gold : 0;
  const f1 = precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
  return { precision, recall, f1 };
}

/** Micro precision / recall / F1 over sentences (pairs of gold and predicted tag sequences). */
export function spanF1(sentences: readonly { gold: readonly string[]; pred: readonly string[] }[]): SpanScores & SpanCounts {
  const total: SpanCounts = { correct: 0, predicted: 0, gold: 0 };
  for (const s of sentences) {
    const c = countSpans(s.gold, s.pred);
    total.correct += c.correct;
    total.predicted += c.predicted;
    total.gold += c.gold;
  }
  return { ...spanScores(total), ...total };
}
