/**
 * The Euclidean projection onto the probability simplex Δ = {x : x ≥ 0, Σx = 1}, with which MoDo and
 * SDMGrad keep their task weights on Δ after each gradient step:
 *
 *   Π_Δ(y) = argmin_{x ∈ Δ} ‖x − y‖₂ = max(y − θ, 0),   θ = (Σ_{i ≤ ρ} u_i − 1)/ρ,
 *   u = y sorted decreasingly,   ρ = max{ j : u_j − (Σ_{i ≤ j} u_i − 1)/j > 0 }
 *
 * (the sort-based algorithm of Held, Wolfe & Crowder 1974; Duchi et al. 2008, Fig. 1; Wang &
 * Carreira-Perpiñán 2013). LibMTL's MoDo (_projection2simplex) and SDMGrad (euclidean_proj_simplex)
 * compute this same map with two formulations of θ. As there, a point already on Δ (Σ = 1 exactly,
 * no negative entry) is returned as it is. In double precision; a NaN input gives NaN weights (the
 * trainer's divergence check then stops the run).
 */

/** Π_Δ(y): the point of the probability simplex closest to y. */
export function projectSimplex(y: readonly number[]): number[] {
  const n = y.length;
  if (n === 0) throw new Error('projectSimplex: an empty vector has no projection onto the simplex');
  if (y.reduce((a, b) => a + b, 0) === 1 && y.every((v) => v >= 0)) return [...y];
  const u = [...y].sort((a, b) => b - a);
  let sum = 0, theta = 0;
  for (let j = 0; j < n; j++) {
    sum += u[j]!;
    const t = (sum - 1) / (j + 1);
    // The condition holds for j = 0 and, once it fails, for no larger j: the last j where it holds is ρ.
    if (u[j]! - t > 0) theta = t;
  }
  return y.map((v) => Math.max(v - theta, 0));
}
