/**
 * Gradient Vaccine — Wang et al. (2021), "Gradient Vaccine: Investigating and Improving Multi-task
 * Optimization in Massively Multilingual Models", Algorithm 1. For each task i, gᵢ' = gᵢ; over the
 * other tasks j in a random order:
 *   φᵢⱼ = cos(gᵢ', gⱼ);
 *   if φᵢⱼ < φ̂ᵢⱼ:  gᵢ' ← gᵢ' + gⱼ · ‖gᵢ'‖(φ̂ᵢⱼ√(1−φᵢⱼ²) − φᵢⱼ√(1−φ̂ᵢⱼ²)) / (‖gⱼ‖√(1−φ̂ᵢⱼ²));
 *   φ̂ᵢⱼ ← (1−β)φ̂ᵢⱼ + βφᵢⱼ            (EMA rate β = option `beta`, default 0.01)
 * and d = Σᵢ gᵢ'. The targets φ̂ start at 0 (with φ̂ = 0 the update is PCGrad's projection) and are
 * kept in `options.state` (a GradVacState, mutated in place) across calls. Runs on the Gramian like
 * PCGrad (gᵢ' = Gᵀcᵢ). A pair with a zero gradient (cosine undefined) is skipped, target included;
 * a target with √(1−φ̂²) = 0 (φ̂ = ±1, only reachable with β = 1) adjusts nothing.
 *
 * Properties: linear under scaling (for a given seed and state: cosines do not change under positive
 * scales, and each adjustment is proportional to ‖gᵢ'‖), weighted, strongly stationary (each
 * adjustment adds a positive multiple of gⱼ, so β ≥ 1). Not permutation invariant (random order, as
 * PCGrad; the targets are per ordered pair), not non-conflicting.
 */
import { z } from 'zod';
import { matVec, quadForm } from './linalg.js';
import { rngFor, shuffled } from './random.js';
import type { AggregatorOptions, Matrix } from './types.js';
import { fromWeights } from './weighted.js';

export interface GradVacState {
  /** targets[i][j] = φ̂ᵢⱼ, the EMA of cos(gᵢ', gⱼ); created on the first call. */
  targets?: number[][];
}

/** GradVac's option: the EMA rate `beta` ∈ [0, 1] of the cosine targets (default 0.01). Seed and state come from the trainer. */
export const gradvacOptions = z.strictObject({ beta: z.number().min(0).max(1).optional() });

export function gradvacCoefficients(M: Matrix, options: AggregatorOptions = {}): number[][] {
  const T = M.length;
  const beta = options.beta ?? 0.01;
  if (!(beta >= 0 && beta <= 1)) throw new Error(`aggregator "gradvac": option beta must be in [0, 1], got ${beta}`);
  const state = (options.state ?? {}) as GradVacState;
  if (state.targets && state.targets.length !== T) {
    throw new Error(`aggregator "gradvac": the state holds targets for ${state.targets.length} tasks, got ${T} gradients`);
  }
  const targets = (state.targets ??= Array.from({ length: T }, () => new Array<number>(T).fill(0)));
  const rand = rngFor('gradvac', options.seed);
  const tasks = Array.from({ length: T }, (_, i) => i);
  return tasks.map((i) => {
    const c = tasks.map((k): number => (k === i ? 1 : 0));
    for (const j of shuffled(tasks.filter((k) => k !== i), rand)) {
      const ni = Math.sqrt(Math.max(quadForm(M, c), 0));
      const nj = Math.sqrt(M[j]![j]!);
      if (!(ni > 0 && nj > 0)) continue;
      const phi = Math.min(1, Math.max(-1, matVec(M, c)[j]! / (ni * nj)));
      const target = targets[i]![j]!;
      const sinTarget = Math.sqrt(Math.max(0, 1 - target * target));
      if (phi < target && sinTarget > 0) {
        c[j] = c[j]! + (ni * (target * Math.sqrt(1 - phi * phi) - phi * sinTarget)) / (nj * sinTarget);
      }
      targets[i]![j] = (1 - beta) * target + beta * phi;
    }
    return c;
  });
}

export function gradvacWeights(M: Matrix, options: AggregatorOptions = {}): number[] {
  const rows = gradvacCoefficients(M, options);
  return M.map((_, k) => rows.reduce((s, c) => s + c[k]!, 0));
}

export const gradvac = fromWeights(gradvacWeights);
