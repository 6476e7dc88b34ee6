/**
 * Exact match and bag-of-tokens F1 of generated token sequences, as in SQuAD's evaluation script
 * (Rajpurkar et al. 2016), without its answer normalisation (the tokens here are already a model's
 * vocabulary):
 *   common = |pred ∩ gold| as multisets,  P = common / |pred|,  R = common / |gold|,  F1 = 2PR / (P + R),
 * F1 = 0 when common = 0, and 1 when both sequences are empty (0 when only one is). Exact match is 1 when
 * the sequences are equal token for token (order counts), else 0. Both are averaged over the examples.
 */

type Token = string | number;

export function tokenF1(pred: readonly Token[], gold: readonly Token[]): number {
  if (pred.length === 0 || gold.length === 0) return pred.length === gold.length ? 1 : 0;
  const counts = new Map<string, number>();
  for (const t of gold) counts.set(String(t), (counts.get(String(t)) ?? 0) + 1);
  let common = 0;
  for (const t of pred) {
    const k = counts.get(String(t)) ?? 0;
    if (k > 0) { common++; counts.set(String(t), k - 1); }
  }
  if (common === 0) return 0;
  const p = common / pred.length, r = common / gold.length;
  return (2 * p * r) / (p + r);
}

export function exactMatch(pred: readonly Token[], gold: readonly Token[]): number {
  return pred.length === gold.length && pred.every((t, i) => String(t) === String(gold[i])) ? 1 : 0;
}

/** Mean exact match and mean token F1 over the pairs (NaN for none). */
export function meanMatchF1(preds: readonly (readonly Token[])[], golds: readonly (readonly Token[])[]): { exactMatch: number; tokenF1: number } {
  if (preds.length !== golds.length) throw new Error(`meanMatchF1: ${preds.length} predictions but ${golds.length} references`);
  if (preds.length === 0) return { exactMatch: NaN, tokenF1: NaN };
  let em = 0, f1 = 0;
  preds.forEach((p, i) => { em += exactMatch(p, golds[i]!); f1 += tokenF1(p, golds[i]!); });
  return { exactMatch: em / preds.length, tokenF1: f1 / preds.length };
}
