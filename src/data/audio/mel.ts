/**
 * The mel filterbank. Scale: HTK's (Young et al., The HTK Book, §5.4), mel(f) = 2595·log₁₀(1 + f/700) —
 * one closed formula, the same in HTK, Kaldi (1127·ln(1 + f/700)) and librosa's `htk=True`, chosen over
 * Slaney's piecewise linear/log scale because a test (and a reader) can compute it by hand.
 *
 * nMels triangles: nMels + 2 points equally spaced on the mel scale from mel(fMin) to mel(fMax), mapped
 * back to Hz; filter m rises linearly (in Hz) from point m to its centre, point m+1, where its weight is
 * 1, and falls to 0 at point m+2 (librosa's `mel(htk=True, norm=None)`: peak 1, no area normalisation).
 * Each FFT bin k sits at k·sampleRate/nFft Hz. Between two neighbouring centres the two triangles'
 * weights are (c₂ − f)/(c₂ − c₁) and (f − c₁)/(c₂ − c₁), so a pure tone's largest response is in the filter
 * whose centre is nearest the tone in Hz. Stored sparsely: each filter's first bin and its weights.
 */

export const hzToMel = (hz: number): number => 2595 * Math.log10(1 + hz / 700);
export const melToHz = (mel: number): number => 700 * (10 ** (mel / 2595) - 1);

export interface MelFilter {
  /** First FFT bin with a non-zero weight. */
  start: number;
  weights: Float64Array;
}

export interface MelFilterbank {
  /** The filters' centre frequencies in Hz. */
  centres: number[];
  filters: MelFilter[];
}

export function melFilterbank(nMels: number, nFft: number, sampleRate: number, fMin: number, fMax: number): MelFilterbank {
  if (!Number.isInteger(nMels) || nMels < 1) throw new Error(`nMels must be a positive integer, got ${nMels}`);
  if (!(fMin >= 0 && fMax > fMin && fMax <= sampleRate / 2)) {
    throw new Error(`mel filterbank: need 0 ≤ fMin < fMax ≤ sampleRate/2 (${sampleRate / 2}), got fMin ${fMin}, fMax ${fMax}`);
  }
  const lo = hzToMel(fMin), hi = hzToMel(fMax);
  const points = Array.from({ length: nMels + 2 }, (_, i) => melToHz(lo + ((hi - lo) * i) / (nMels + 1)));
  const bins = nFft / 2 + 1;
  const filters: MelFilter[] = [];
  for (let m = 0; m < nMels; m++) {
    const a = points[m]!, c = points[m + 1]!, b = points[m + 2]!;
    const w: number[] = [];
    let start = -1;
    for (let k = 0; k < bins; k++) {
      const f = (k * sampleRate) / nFft;
      const v = Math.max(0, Math.min((f - a) / (c - a), (b - f) / (b - c)));
      if (v > 0) {
        if (start < 0) start = k;
        w[k - start] = v;
      } else if (start >= 0) break;
    }
    filters.push({ start: Math.max(start, 0), weights: Float64Array.from(w) });
  }
  return { centres: points.slice(1, -1), filters };
}
