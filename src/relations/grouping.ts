/**
 * Task grouping from an affinity matrix (TAG, Fifty et al. 2021): split the tasks into at most k groups
 * so that the total affinity each task receives from its group is largest:
 *   score(partition) = Σ_j mean_{i ∈ group(j), i ≠ j} Z_{i→j}     (a task alone receives 0).
 * Exhaustive over all set partitions for T ≤ 10 (Bell(10) = 115,975), greedy merging beyond. Ties go
 * to fewer groups: if sharing neither helps nor hurts, one model is cheaper than two.
 */

export interface Grouping {
  groups: number[][];
  score: number;
}

export function groupScore(Z: number[][], groups: number[][]): number {
  let s = 0;
  for (const g of groups) {
    if (g.length < 2) continue;
    for (const j of g) {
      let sum = 0;
      for (const i of g) if (i !== j) sum += Z[i][j];
      s += sum / (g.length - 1);
    }
  }
  return s;
}

function* partitions(n: number, maxGroups: number): Generator<number[][]> {
  // Restricted growth strings: a[i] ≤ max(a[0..i−1]) + 1 enumerate each set partition once.
  const a = new Array(n).fill(0);
  function* rec(i: number, used: number): Generator<number[][]> {
    if (i === n) {
      const groups: number[][] = Array.from({ length: used }, () => []);
      a.forEach((g, k) => groups[g].push(k));
      yield groups;
      return;
    }
    for (let g = 0; g <= Math.min(used, maxGroups - 1); g++) {
      a[i] = g;
      yield* rec(i + 1, Math.max(used, g + 1));
    }
  }
  yield* rec(0, 0);
}

function greedy(Z: number[][], maxGroups: number): Grouping {
  let groups = Z.map((_, i) => [i]);
  for (;;) {
    const current = groupScore(Z, groups);
    let best: { a: number; b: number; gain: number } | null = null;
    for (let a = 0; a < groups.length; a++) {
      for (let b = a + 1; b < groups.length; b++) {
        const merged = groups.filter((_, k) => k !== a && k !== b).concat([[...groups[a], ...groups[b]]]);
        const gain = groupScore(Z, merged) - current;
        if (!best || gain > best.gain) best = { a, b, gain };
      }
    }
    if (!best || (best.gain < -1e-12 && groups.length <= maxGroups)) break;
    const { a, b } = best;
    groups = groups.filter((_, k) => k !== a && k !== b).concat([[...groups[a], ...groups[b]].sort((x, y) => x - y)]);
  }
  return { groups: sortGroups(groups), score: groupScore(Z, groups) };
}

function sortGroups(groups: number[][]): number[][] {
  return groups.map((g) => [...g].sort((a, b) => a - b)).sort((a, b) => a[0] - b[0]);
}

export function bestGrouping(Z: number[][], maxGroups = Z.length): Grouping {
  const T = Z.length;
  if (T === 0) return { groups: [], score: 0 };
  if (!Z.every((r) => r.length === T && r.every(Number.isFinite))) throw new Error('bestGrouping: the affinity matrix must be square and finite');
  if (T > 10) return greedy(Z, maxGroups);
  let best: Grouping | null = null;
  for (const groups of partitions(T, Math.max(1, maxGroups))) {
    const score = groupScore(Z, groups);
    const better = !best || score > best.score + 1e-12 || (Math.abs(score - best.score) <= 1e-12 && groups.length < best.groups.length);
    if (better) best = { groups: groups.map((g) => [...g]), score };
  }
  return { groups: sortGroups(best!.groups), score: best!.score };
}
