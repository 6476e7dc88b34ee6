/**
 * The figure of a repeated bench row (npm run bench --repeats N): its median run by rate — the lower
 * middle for an even count, so the figure is a run that happened and its steps, RSS and losses go with
 * it. Runs without a rate (failed) are left out; none: null.
 */
export function medianRun<T>(runs: readonly T[], rate: (r: T) => number | null | undefined): T | null {
  const ok = runs.filter((r) => rate(r) != null).sort((a, b) => rate(a)! - rate(b)!);
  return ok.length ? ok[(ok.length - 1) >> 1]! : null;
}
