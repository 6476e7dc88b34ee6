/** Independent helpers for the aggregator tests: seeded random gradients and plain vector algebra. */
import { mulberry32 } from '../../src/data/split.js';

export function randomGrads(T: number, P: number, seed: number, scale = 1): number[][] {
  const rand = mulberry32(seed);
  // Box–Muller normals, with a shared component so that some pairs agree and others conflict.
  const normal = (): number => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
  const shared = Array.from({ length: P }, normal);
  return Array.from({ length: T }, () => {
    const w = 2 * rand() - 1;
    return Array.from({ length: P }, (_, k) => scale * (w * shared[k]! + normal()));
  });
}

export const vdot = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let s = 0;
  for (let k = 0; k < a.length; k++) s += a[k]! * b[k]!;
  return s;
};
export const vnorm = (a: ArrayLike<number>): number => Math.sqrt(vdot(a, a));
export const vsum = (rows: readonly ArrayLike<number>[]): number[] =>
  Array.from({ length: rows[0]!.length }, (_, k) => rows.reduce((s, r) => s + r[k]!, 0));
export const vscale = (a: ArrayLike<number>, f: number): number[] => Array.from(a, (x) => x * f);
export const vmean = (rows: readonly ArrayLike<number>[]): number[] => vscale(vsum(rows), 1 / rows.length);
/** Gᵀβ in float64. */
export const vcombine = (rows: readonly ArrayLike<number>[], beta: readonly number[]): number[] =>
  Array.from({ length: rows[0]!.length }, (_, k) => rows.reduce((s, r, i) => s + beta[i]! * r[k]!, 0));
export const gram = (rows: readonly ArrayLike<number>[]): number[][] => rows.map((a) => rows.map((b) => vdot(a, b)));
export const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>): number =>
  Array.from(a).reduce((m, x, k) => Math.max(m, Math.abs(x - b[k]!)), 0);

/** A random point of the simplex (normalised exponentials: uniform on the simplex). */
export function simplexPoint(T: number, rand: () => number): number[] {
  const e = Array.from({ length: T }, () => -Math.log(1 - rand()));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / s);
}
