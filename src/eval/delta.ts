/**
 * Δm% (Maninis et al. 2019; Vandenhende et al. 2021): the mean relative change of each task's primary
 * metric against its single-task baseline, signed so that positive means better than STL:
 *   Δm% = (100/T) Σ_t (−1)^{l_t} (M_mtl,t − M_stl,t) / M_stl,t,   l_t = 1 when lower is better.
 * We divide by |M_stl,t| so that a negative baseline (an R² below 0) keeps "positive = better".
 */
export interface DeltaInput {
  mtl: number;
  stl: number;
  higherIsBetter: boolean;
}

export function relativeChange({ mtl, stl, higherIsBetter }: DeltaInput): number {
  if (stl === 0) throw new Error('Δm%: a single-task metric of 0 has no relative change');
  const sign = higherIsBetter ? 1 : -1;
  return (100 * sign * (mtl - stl)) / Math.abs(stl);
}

export function deltaM(tasks: DeltaInput[]): number {
  if (tasks.length === 0) throw new Error('Δm%: no tasks');
  return tasks.reduce((s, t) => s + relativeChange(t), 0) / tasks.length;
}
