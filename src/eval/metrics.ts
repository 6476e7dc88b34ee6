/**
 * Metric formulas as pure functions on plain arrays, so they can be checked against hand-worked values
 * without a model. Tasks call these on the labelled rows only.
 */

export function accuracy(predClass: ArrayLike<number>, trueClass: ArrayLike<number>): number {
  if (trueClass.length === 0) return NaN;
  let hit = 0;
  for (let i = 0; i < trueClass.length; i++) if (predClass[i] === trueClass[i]) hit++;
  return hit / trueClass.length;
}

/**
 * Macro-averaged F1 over `numClasses` classes. A class absent from both predictions and labels is
 * skipped (its F1 is undefined), as scikit-learn does with `labels` restricted to present classes.
 */
export function macroF1(predClass: ArrayLike<number>, trueClass: ArrayLike<number>, numClasses: number): number {
  const tp = new Float64Array(numClasses), fp = new Float64Array(numClasses), fn = new Float64Array(numClasses);
  for (let i = 0; i < trueClass.length; i++) {
    const p = predClass[i], t = trueClass[i];
    if (p === t) tp[t]++;
    else { fp[p]++; fn[t]++; }
  }
  let sum = 0, count = 0;
  for (let c = 0; c < numClasses; c++) {
    if (tp[c] + fp[c] + fn[c] === 0) continue;
    sum += (2 * tp[c]) / (2 * tp[c] + fp[c] + fn[c]);
    count++;
  }
  return count === 0 ? NaN : sum / count;
}

/**
 * Area under the ROC curve by the rank-sum (Mann–Whitney U) formula with tied scores given their
 * average rank. NaN when only one class is present.
 */
export function auc(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  const n = scores.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[a] - scores[b]);
  const ranks = new Float64Array(n);
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && scores[order[j + 1]] === scores[order[i]]) j++;
    const avg = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) ranks[order[k]] = avg;
    i = j + 1;
  }
  let pos = 0, rankSum = 0;
  for (let i = 0; i < n; i++) if (labels[i] === 1) { pos++; rankSum += ranks[i]; }
  const neg = n - pos;
  if (pos === 0 || neg === 0) return NaN;
  return (rankSum - (pos * (pos + 1)) / 2) / (pos * neg);
}

export function mae(pred: ArrayLike<number>, truth: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < truth.length; i++) s += Math.abs(pred[i] - truth[i]);
  return truth.length === 0 ? NaN : s / truth.length;
}

export function rmse(pred: ArrayLike<number>, truth: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < truth.length; i++) s += (pred[i] - truth[i]) ** 2;
  return truth.length === 0 ? NaN : Math.sqrt(s / truth.length);
}

/** Coefficient of determination 1 − SS_res/SS_tot (NaN when the truth is constant). */
export function r2(pred: ArrayLike<number>, truth: ArrayLike<number>): number {
  const n = truth.length;
  if (n === 0) return NaN;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += truth[i];
  mean /= n;
  let ssRes = 0, ssTot = 0;
  for (let i = 0; i < n; i++) {
    ssRes += (truth[i] - pred[i]) ** 2;
    ssTot += (truth[i] - mean) ** 2;
  }
  return ssTot === 0 ? NaN : 1 - ssRes / ssTot;
}

/** Intersection over union of two boxes given as [x1, y1, x2, y2]; a degenerate prediction counts as 0. */
export function iou(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const ax1 = Math.min(a[0], a[2]), ax2 = Math.max(a[0], a[2]), ay1 = Math.min(a[1], a[3]), ay2 = Math.max(a[1], a[3]);
  const bx1 = Math.min(b[0], b[2]), bx2 = Math.max(b[0], b[2]), by1 = Math.min(b[1], b[3]), by2 = Math.max(b[1], b[3]);
  const iw = Math.max(0, Math.min(ax2, bx2) - Math.max(ax1, bx1));
  const ih = Math.max(0, Math.min(ay2, by2) - Math.max(ay1, by1));
  const inter = iw * ih;
  const union = (ax2 - ax1) * (ay2 - ay1) + (bx2 - bx1) * (by2 - by1) - inter;
  return union <= 0 ? 0 : inter / union;
}

export function argmaxRows(values: Float32Array, n: number, width: number): Int32Array {
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let j = 1; j < width; j++) if (values[i * width + j] > values[i * width + best]) best = j;
    out[i] = best;
  }
  return out;
}
