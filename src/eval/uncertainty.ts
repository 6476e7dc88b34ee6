/**
 * Results with their uncertainty: mean ± standard deviation over repeated runs (seeds), and a paired
 * test of whether the multi-task model beats the single-task ones.
 *
 * The paired quantity is Δm% of each seed (MTL against the STL baselines trained at the same seed), so
 * the test asks whether its mean differs from 0:
 *   t = mean(d) / (sd(d) / √n),  df = n − 1,  p = 2·P(T_df ≥ |t|)   (Student's paired t-test)
 *   sign test: w = #{d > 0} of the n' = #{d ≠ 0};  p = min(1, 2·P(Bin(n', ½) ≥ max(w, n' − w)))
 * P(T_df ≥ t) = ½·I_{df/(df+t²)}(df/2, ½), with I the regularised incomplete beta function, evaluated by
 * its continued fraction (Lentz's method). Pure code: no tfjs, no Node APIs.
 */

export interface Spread {
  mean: number;
  /** Sample standard deviation (n − 1); 0 for one value. */
  std: number;
  n: number;
}

export function spread(values: number[]): Spread {
  const n = values.length;
  if (n === 0) return { mean: Number.NaN, std: Number.NaN, n };
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const std = n > 1 ? Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1)) : 0;
  return { mean, std, n };
}

/** `0.9103 ± 0.0012` (digits after the point, default 4). */
export function formatSpread(s: Spread, digits = 4): string {
  if (!Number.isFinite(s.mean)) return '-';
  return s.n > 1 ? `${s.mean.toFixed(digits)} ± ${s.std.toFixed(digits)}` : s.mean.toFixed(digits);
}

/** ln Γ(x) for x > 0 (Lanczos, g = 7, n = 9; |error| < 1e-13 for the arguments used here). */
function logGamma(x: number): number {
  const c = [0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
    12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const z = x - 1;
  let a = c[0]!;
  const t = z + 7.5;
  for (let i = 1; i < 9; i++) a += c[i]! / (z + i);
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(a);
}

/** Continued fraction of the incomplete beta function (modified Lentz). */
function betaContinuedFraction(a: number, b: number, x: number): number {
  const tiny = 1e-300;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 300; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((a + m2 - 1) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < 1e-15) break;
  }
  return h;
}

/** The regularised incomplete beta function I_x(a, b). */
export function incompleteBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const front = Math.exp(logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log(1 - x));
  return x < (a + 1) / (a + b + 2) ? (front * betaContinuedFraction(a, b, x)) / a : 1 - (front * betaContinuedFraction(b, a, 1 - x)) / b;
}

/** Two-sided p-value of Student's t with `df` degrees of freedom. */
export function studentTwoSidedP(t: number, df: number): number {
  if (!Number.isFinite(t)) return 0;
  return incompleteBeta(df / (df + t * t), df / 2, 0.5);
}

function binomialTail(n: number, k: number): number {
  // P(Bin(n, ½) ≥ k)
  let p = 0;
  let c = 1; // C(n, 0)
  for (let i = 0; i <= n; i++) {
    if (i >= k) p += c;
    c = (c * (n - i)) / (i + 1);
  }
  return p / 2 ** n;
}

export interface PairedTest {
  n: number;
  mean: number;
  std: number;
  /** Paired t-test (undefined t and p with fewer than 2 values, or no spread). */
  t?: number;
  p?: number;
  /** Sign test: how many differences are positive / negative, and its two-sided p. */
  wins: number;
  losses: number;
  signP: number;
  /** One sentence: whether MTL beats STL at the 5% level, and how sure that can be with n runs. */
  verdict: string;
}

/** Tests whether the paired differences `d` (e.g. per-seed Δm%) have a mean different from 0. */
export function pairedTest(d: number[], what = 'Δm%'): PairedTest {
  const s = spread(d);
  const wins = d.filter((x) => x > 0).length;
  const losses = d.filter((x) => x < 0).length;
  const m = wins + losses;
  const signP = m === 0 ? 1 : Math.min(1, 2 * binomialTail(m, Math.max(wins, losses)));
  let t: number | undefined;
  let p: number | undefined;
  if (s.n >= 2 && s.std > 0) {
    t = s.mean / (s.std / Math.sqrt(s.n));
    p = studentTwoSidedP(t, s.n - 1);
  } else if (s.n >= 2 && s.std === 0 && s.mean !== 0) {
    t = s.mean > 0 ? Infinity : -Infinity;
    p = 0;
  }
  let verdict: string;
  if (s.n < 2) verdict = `one run: ${what} is a single draw; repeat with several seeds (--seeds 0,1,2) to see its spread and test it`;
  else if (p !== undefined && p < 0.05) verdict = `${s.mean > 0 ? 'MTL beats STL' : 'STL beats MTL'}: mean ${what} ${s.mean >= 0 ? '+' : ''}${s.mean.toFixed(2)} ± ${s.std.toFixed(2)}, paired t-test p = ${p.toPrecision(2)} over ${s.n} seeds (sign test ${wins}/${m}, p = ${signP.toPrecision(2)})`;
  else verdict = `no significant difference between MTL and STL: mean ${what} ${s.mean >= 0 ? '+' : ''}${s.mean.toFixed(2)} ± ${s.std.toFixed(2)}, paired t-test p = ${p === undefined ? '-' : p.toPrecision(2)} over ${s.n} seeds (sign test ${wins}/${m}, p = ${signP.toPrecision(2)})`;
  return { n: s.n, mean: s.mean, std: s.std, t, p, wins, losses, signP, verdict };
}
