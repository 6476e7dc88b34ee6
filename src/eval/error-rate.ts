/**
 * Word and character error rates of transcripts, by Levenshtein distance (Levenshtein 1966): the fewest
 * substitutions, deletions and insertions turning the reference into the hypothesis, each costing 1.
 * A corpus rate is the sum of the edits over the sum of the reference lengths (as NIST sclite and jiwer
 * compute WER), not the mean of per-utterance rates, so long utterances weigh by their length:
 *   ER = Σ_i dist(ref_i, hyp_i) / Σ_i |ref_i|
 * It can exceed 1 (insertions). With no reference symbol at all (Σ |ref_i| = 0) the rate is undefined: NaN.
 * CER compares characters (every code point, spaces included); WER compares words (split on whitespace).
 * Sequences of ids work too (`errorRate`), so CTC outputs are rated without turning them into text.
 */

/** Levenshtein distance between two sequences (compared with ===), O(|a|·|b|) time, O(|b|) memory. */
export function levenshtein<T>(a: ArrayLike<T>, b: ArrayLike<T>): number {
  const n = a.length, m = b.length;
  if (n === 0) return m;
  if (m === 0) return n;
  let prev = new Int32Array(m + 1), cur = new Int32Array(m + 1);
  for (let j = 0; j <= m; j++) prev[j] = j;
  for (let i = 1; i <= n; i++) {
    cur[0] = i;
    const ai = a[i - 1];
    for (let j = 1; j <= m; j++) {
      const sub = prev[j - 1]! + (ai === b[j - 1] ? 0 : 1);
      const del = prev[j]! + 1, ins = cur[j - 1]! + 1;
      cur[j] = sub < del ? (sub < ins ? sub : ins) : del < ins ? del : ins;
    }
    [prev, cur] = [cur, prev];
  }
  return prev[m]!;
}

/** Σ edits and Σ reference lengths over pairs of sequences, and their ratio (NaN when the references are empty). */
export function errorRate<T>(refs: readonly ArrayLike<T>[], hyps: readonly ArrayLike<T>[]): { rate: number; edits: number; length: number } {
  if (refs.length !== hyps.length) throw new Error(`error rate: ${refs.length} references but ${hyps.length} hypotheses`);
  let edits = 0, length = 0;
  for (let i = 0; i < refs.length; i++) {
    edits += levenshtein(refs[i]!, hyps[i]!);
    length += refs[i]!.length;
  }
  return { rate: length ? edits / length : NaN, edits, length };
}

/** The words of a transcript: split on whitespace, empty pieces dropped. */
export function words(text: string): string[] {
  return text.split(/\s+/u).filter((w) => w.length > 0);
}

/** Character error rate of transcripts (code points, spaces included). */
export function cer(refs: readonly string[], hyps: readonly string[]): number {
  return errorRate(refs.map((s) => Array.from(s)), hyps.map((s) => Array.from(s))).rate;
}

/** Word error rate of transcripts (words split on whitespace). */
export function wer(refs: readonly string[], hyps: readonly string[]): number {
  return errorRate(refs.map(words), hyps.map(words)).rate;
}
