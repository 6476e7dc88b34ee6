/**
 * Each QP- or solve-based method against an independent reference on fresh, well-conditioned random
 * gradients (T ≤ 6 tasks, P = 30): the regularisation of gramian-factor.ts (ε = 1e-10) must leave
 * them exact to float32, |d − d_ref| ≤ 2e-7·max|d_ref|. The references share no code with src/:
 *   - the QPs (MGDA's simplex, UPGrad's and DualProj's dual-cone projections) by enumerating every
 *     active set and keeping the one that satisfies the KKT conditions — exact for a positive definite
 *     Gramian, and slow (2^T), which is why it is only a reference;
 *   - IMTL-G by the paper's closed form with task 1 as reference, on the vectors;
 *   - ConFIG by U⁺𝟙 = Uᵀ(UUᵀ)⁻¹𝟙 on the vectors; Nash-MTL / FairGrad by their fixed-point residual
 *     (1e-9: the ridge's share is ~1e-10);
 *   - Krum and the trimmed mean by brute force on the rows.
 */
import { describe, expect, it } from 'vitest';
import { aggregate, weightsOf } from '../../src/aggregators/index.js';
import { mulberry32 } from '../../src/data/split.js';
import { gram, randomGrads, vcombine, vdot, vnorm } from './helpers.js';

/** Gaussian elimination with partial pivoting (the reference's own). */
function gauss(A: number[][], b: number[]): number[] {
  const n = b.length;
  const a = A.map((r, i) => [...r, b[i]!]);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(a[r]![c]!) > Math.abs(a[p]![c]!)) p = r;
    [a[c], a[p]] = [a[p]!, a[c]!];
    for (let r = c + 1; r < n; r++) {
      const f = a[r]![c]! / a[c]![c]!;
      for (let k = c; k <= n; k++) a[r]![k] -= f * a[c]![k]!;
    }
  }
  const x = new Array<number>(n).fill(0);
  for (let r = n - 1; r >= 0; r--) x[r] = (a[r]![n]! - a[r]!.slice(r + 1, n).reduce((s, v, k) => s + v * x[r + 1 + k]!, 0)) / a[r]![r]!;
  return x;
}

const subsets = (T: number): number[][] => Array.from({ length: 1 << T }, (_, m) => Array.from({ length: T }, (_, i) => i).filter((i) => m & (1 << i)));

/** argmin over v ≥ u of vᵀMv by active-set enumeration: F = {i : vᵢ > uᵢ}, (Mv)_F = 0, v = u off F. */
function boxQP(M: number[][], u: number[]): number[] {
  const T = u.length;
  for (const F of subsets(T)) {
    const v = [...u];
    if (F.length) {
      const rhs = F.map((i) => -M[i]!.reduce((s, m, j) => s + (F.includes(j) ? 0 : m * u[j]!), 0));
      const x = gauss(F.map((i) => F.map((j) => M[i]![j]!)), rhs);
      F.forEach((i, k) => (v[i] = x[k]!));
    }
    const Mv = M.map((row) => row.reduce((s, m, j) => s + m * v[j]!, 0));
    const tol = 1e-12 * Math.max(...M.map((r, i) => r[i]!)) * Math.max(...v.map(Math.abs));
    if (F.every((i) => v[i]! > u[i]!) && v.every((_, i) => F.includes(i) || Mv[i]! >= -tol)) return v;
  }
  throw new Error('no active set satisfies the KKT conditions');
}

/** argmin over the simplex of αᵀMα by support enumeration: [M_SS 𝟙; 𝟙ᵀ 0][α; −λ] = [0; 1]. */
function simplexQP(M: number[][]): number[] {
  const T = M.length;
  for (const S of subsets(T).filter((s) => s.length)) {
    const K = [...S.map((i) => [...S.map((j) => M[i]![j]!), 1]), [...S.map(() => 1), 0]];
    const x = gauss(K, [...S.map(() => 0), 1]);
    const alpha = new Array<number>(T).fill(0);
    S.forEach((i, k) => (alpha[i] = x[k]!));
    const lam = -x[S.length]!;
    const Ma = M.map((row) => row.reduce((s, m, j) => s + m * alpha[j]!, 0));
    const tol = 1e-12 * Math.max(...M.map((r, i) => r[i]!));
    if (S.every((i) => alpha[i]! > 0) && Ma.every((v) => v >= lam - tol)) return alpha;
  }
  throw new Error('no support satisfies the KKT conditions');
}

function relErr(d: ArrayLike<number>, ref: readonly number[]): number {
  const big = Math.max(...ref.map(Math.abs));
  return Array.from(d).reduce((m, x, k) => Math.max(m, Math.abs(x - ref[k]!)), 0) / big;
}

/** Fresh random gradients (float32, as the trainer gives them), some conflicting. */
function cases(count: number, seed0: number): Float32Array[][] {
  const r = mulberry32(seed0);
  return Array.from({ length: count }, (_, c) => {
    const T = 2 + Math.floor(r() * 5);
    return randomGrads(T, 30, seed0 + c, 10 ** (4 * r() - 2)).map((g) => Float32Array.from(g));
  });
}

const EXACT = 2e-7;

describe('exact to the paper against an independent reference (fresh random gradients, within 2e-7)', () => {
  it('mgda: the min-norm point of the hull', () => {
    for (const G of cases(40, 100)) expect(relErr(aggregate('mgda', G), vcombine(G, simplexQP(gram(G))))).toBeLessThan(EXACT);
  });

  it('upgrad: the mean of the dual-cone projections of the gᵢ', () => {
    for (const G of cases(40, 200)) {
      const M = gram(G);
      const T = G.length;
      const beta = new Array<number>(T).fill(0);
      for (let i = 0; i < T; i++) boxQP(M, M.map((_, j) => (j === i ? 1 : 0))).forEach((v, j) => (beta[j] += v / T));
      expect(relErr(aggregate('upgrad', G), vcombine(G, beta))).toBeLessThan(EXACT);
    }
  });

  it('dualproj: the dual-cone projection of the mean', () => {
    for (const G of cases(40, 300)) {
      const T = G.length;
      expect(relErr(aggregate('dualproj', G), vcombine(G, boxQP(gram(G), G.map(() => 1 / T))))).toBeLessThan(EXACT);
    }
  });

  it("imtl-g: the paper's closed form α₂…T = g₁Uᵀ(DUᵀ)⁻¹ on the vectors", () => {
    for (const G of cases(40, 400)) {
      const u = G.map((g) => Array.from(g, (x) => x / vnorm(g)));
      const T = G.length;
      const D = G.slice(1).map((g) => Array.from(G[0]!, (x, k) => x - g[k]!));
      const U = u.slice(1).map((v) => u[0]!.map((x, k) => x - v[k]!));
      // a (DUᵀ) = g₁Uᵀ, i.e. (DUᵀ)ᵀ aᵀ = (g₁Uᵀ)ᵀ.
      const DUt = D.map((d) => U.map((v) => vdot(d, v)));
      const a = gauss(U.map((_, y) => D.map((__, x) => DUt[x]![y]!)), U.map((v) => vdot(G[0]!, v)));
      const alpha = [1 - a.reduce((s, x) => s + x, 0), ...a];
      expect(alpha).toHaveLength(T);
      expect(relErr(aggregate('imtl-g', G), vcombine(G, alpha))).toBeLessThan(EXACT);
    }
  });

  it('config: (Σgᵢ·u)u with u ∝ Uᵀ(UUᵀ)⁻¹𝟙 on the vectors', () => {
    for (const G of cases(40, 500)) {
      const u = G.map((g) => Array.from(g, (x) => x / vnorm(g)));
      const c = gauss(gram(u), u.map(() => 1));
      const gu = vcombine(u, c);
      const unit = gu.map((x) => x / vnorm(gu));
      const length = G.reduce((s, g) => s + vdot(g, unit), 0);
      expect(relErr(aggregate('config', G), unit.map((x) => length * x))).toBeLessThan(EXACT);
    }
  });

  it('nash-mtl and fairgrad: w > 0 with (GGᵀ)w = w^(−1/α) to 1e-9 relative, and d = Gᵀw', () => {
    for (const [name, alpha] of [['nash-mtl', 1], ['fairgrad', 0.5], ['fairgrad', 3]] as const) {
      for (const G of cases(30, 600)) {
        const w = weightsOf(name, G, { alpha });
        const M = gram(G);
        w.forEach((x, i) => {
          expect(x).toBeGreaterThan(0);
          expect(Math.abs(M[i]!.reduce((s, m, j) => s + m * w[j]!, 0) / x ** (-1 / alpha) - 1), name).toBeLessThan(1e-9);
        });
        expect(relErr(aggregate(name, G, { alpha }), vcombine(G, w))).toBeLessThan(EXACT);
      }
    }
  });

  it('krum and trimmed-mean: brute force on the rows', () => {
    for (const G of cases(40, 700).filter((g) => g.length >= 3)) {
      const T = G.length;
      const f = Math.floor((T - 3) / 2);
      const scores = G.map((g, i) => G.filter((_, j) => j !== i).map((h) => vnorm(Array.from(g, (x, k) => x - h[k]!)) ** 2).sort((a, b) => a - b).slice(0, T - f - 2).reduce((s, x) => s + x, 0));
      const best = scores.indexOf(Math.min(...scores));
      // T = 3 with f = 0 keeps one neighbour: the closest pair always ties (krum.ts shares the slot).
      if (T >= 4) expect(relErr(aggregate('krum', G, { nByzantine: f }), Array.from(G[best]!))).toBeLessThan(EXACT);
      const trimmed = Array.from(G[0]!, (_, k) => {
        const col = G.map((g) => g[k]!).sort((a, b) => a - b).slice(1, T - 1);
        return col.reduce((s, x) => s + x, 0) / col.length;
      });
      expect(relErr(aggregate('trimmed-mean', G), trimmed)).toBeLessThan(EXACT);
    }
  });
});
