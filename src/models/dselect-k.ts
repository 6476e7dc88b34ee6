/**
 * DSelect-k (Hazimeh, Zhao, Chowdhery, Sathiamoorthy, Chen, Mazumder, Hong, Chi, "DSelect-k:
 * Differentiable Selection in the Mixture of Experts with Applications to Multi-Task Learning",
 * NeurIPS 2021): MMoE's structure (n shared experts, one gate per task, y_t = head_t(Σ_l w_t,l ·
 * expert_l(x))) with MMoE's dense softmax gate replaced by the DSelect-k gate, which selects at most k of
 * the n experts and is continuously differentiable (trained with the rest by plain gradient descent):
 *
 *     per task: k single-expert selectors with logits z_i ∈ R^m, m = ⌈log₂ n⌉;
 *     selector i's weight on expert l = Π_j (S(z_ij) if bit j of l is 1 else 1 − S(z_ij)),
 *     S the smooth-step of width γ (exactly 0 / 1 beyond ±γ/2, so a saturated selector is one-hot);
 *     w_t = Σ_i softmax(α)_i · selector_i.
 *
 * The gate is the MtlDSelectGate layer (./dselect-layers.ts: the equations, n not a power of 2, what
 * is omitted). By default it is the paper's per-example gate (z and α linear in the gate's input, the
 * flattened model input, as MMoE's gates read it); `routing: task` gives the static per-task gate.
 * Built by the extraction-network builder (./experts.ts) as one level with no task experts: experts are
 * shared parameters, task t's gate and head are its own. No single shared representation: gradient mode `param` only. `gates(x)` returns
 * each task's gate values ([B, n], rows summing to 1).
 *
 * Options: experts n (integer ≥ 2, default 4), k (integer in [1, n], default 2), gamma γ (> 0,
 * default 1), routing ('example' | 'task', default 'example'). The paper's entropy regulariser is not
 * implemented.
 */
import { z } from 'zod';
import { tf, tfl } from '../engine/tf.js';
import type { HpsConfig } from './hps.js';
import { checkOptions, enumOption, intOption, numberOption } from './blocks.js';
import { dselectLayers, checkDSelectArgs, type DSelectRouting } from './dselect-layers.js';
import { extractionNetwork, type GatedModel } from './experts.js';
import type { ArchitectureContext } from './types.js';

export const { DSelectGate } = dselectLayers({ tf, tfl });

export interface DSelectKConfig extends HpsConfig {
  experts?: number;
  k?: number;
  gamma?: number;
  routing?: DSelectRouting;
}

export const dselectKOptions = z.strictObject({
  experts: z.number().int().min(2).optional(),
  k: z.number().int().min(1).optional(),
  gamma: z.number().positive().optional(),
  routing: z.enum(['example', 'task']).optional(),
}).refine((o) => (o.k ?? 2) <= (o.experts ?? 4), { error: 'k (experts selected) must be at most experts (default 4)', path: ['k'] });

export function dselectK(ctx: ArchitectureContext, config: DSelectKConfig): GatedModel {
  const arch = 'dselect-k';
  const cfg = config as unknown as Record<string, unknown>;
  checkOptions(arch, cfg, dselectKOptions);
  const experts = intOption(arch, cfg, 'experts', 4, 2);
  const k = intOption(arch, cfg, 'k', Math.min(2, experts), 1);
  const gamma = numberOption(arch, cfg, 'gamma', 1, Number.MIN_VALUE);
  const routing = enumOption<DSelectRouting>(arch, cfg, 'routing', ['example', 'task'], 'example');
  checkDSelectArgs({ experts, k, gamma, routing });
  return extractionNetwork(ctx, config, {
    arch, sharedExperts: experts, taskExperts: 0, levels: 1,
    gate: (n, seed, name) => new DSelectGate({ experts: n, k, gamma, routing, seed: seed * 1000 + 1, name }),
  });
}
