/**
 * MMoE, Multi-gate Mixture-of-Experts (Ma, Zhao, Yi, Chen, Hong, Chi, "Modeling Task Relationships in
 * Multi-task Learning with Multi-gate Mixture-of-Experts", KDD 2018).
 *
 * Structure: E shared experts, each a tower with the encoder config's layers, and one gate per task, a
 * linear map of the (flattened) input to E logits followed by a softmax:
 *
 *     w_t = softmax(W_t x + b_t)           f_t(x) = Σ_e w_t,e · expert_e(x)       y_t = head_t(f_t(x))
 *
 * Built by the extraction-network builder (experts.ts) as one level with no task-specific experts.
 * Experts are shared parameters; task t's gate and head are its own. Each task reads its own mixture
 * (and its gate reads the input, not a shared representation), so there is no encode/decode: gradient
 * mode `param` only. `gates(x)` returns each task's gate values ([B, E], rows summing to 1).
 *
 * Options: experts (integer ≥ 1, default 4).
 */
import { z } from 'zod';
import type { HpsConfig } from './hps.js';
import { checkOptions, intOption } from './blocks.js';
import { extractionNetwork, type GatedModel } from './experts.js';
import type { ArchitectureContext } from './types.js';

export interface MmoeConfig extends HpsConfig {
  experts?: number;
}

export const mmoeOptions = z.strictObject({ experts: z.number().int().min(1).optional() });

export function mmoe(ctx: ArchitectureContext, config: MmoeConfig): GatedModel {
  const cfg = config as unknown as Record<string, unknown>;
  checkOptions('mmoe', cfg, mmoeOptions);
  return extractionNetwork(ctx, config, { arch: 'mmoe', sharedExperts: intOption('mmoe', cfg, 'experts', 4, 1), taskExperts: 0, levels: 1 });
}
