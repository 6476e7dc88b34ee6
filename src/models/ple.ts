/**
 * CGC and PLE (Tang, Liu, Zhao, Gong, "Progressive Layered Extraction (PLE): A Novel Multi-Task
 * Learning (MTL) Model for Personalized Recommendations", RecSys 2020).
 *
 * CGC, Customized Gate Control: shared experts plus task-specific experts (each a tower with the
 * encoder config's layers); task t's gate (linear on the input, softmax) mixes its own experts and the
 * shared ones: f_t(x) = Σ_i w_t,i · e_i over [task t's experts, shared experts], y_t = head_t(f_t(x)).
 *
 * PLE, Progressive Layered Extraction: `levels` stacked extraction layers. Each level is a CGC with, in
 * addition at every level but the last, a shared gate over all the level's experts (every task's and
 * the shared ones) whose mixture feeds the next level's shared experts and shared gate; task t's
 * mixture feeds its experts and gate at the next level. Level 1 experts have the encoder config's
 * layers; the experts of higher levels are MLPs with its dense layers (mlp hidden, or cnn dense) on
 * the lower level's mixture. The heads read the last level's task mixtures. With levels = 1, PLE = CGC.
 *
 * See experts.ts for the builder and which parameters are shared and which task-specific. No single
 * shared representation, so no encode/decode: gradient mode `param` only. `gates(x)` returns every
 * gate's values ([B, n], rows summing to 1) in `gateNames` order.
 *
 * Options: sharedExperts (integer ≥ 1, default 2), taskExperts (integer ≥ 0, default 1),
 * PLE also levels (integer ≥ 1, default 2).
 */
import { z } from 'zod';
import type { HpsConfig } from './hps.js';
import { checkOptions, intOption } from './blocks.js';
import { extractionNetwork, type GatedModel } from './experts.js';
import type { ArchitectureContext } from './types.js';

export interface CgcConfig extends HpsConfig {
  sharedExperts?: number;
  taskExperts?: number;
}

export interface PleConfig extends CgcConfig {
  levels?: number;
}

export const cgcOptions = z.strictObject({
  sharedExperts: z.number().int().min(1).optional(),
  taskExperts: z.number().int().min(0).optional(),
});

export const pleOptions = cgcOptions.extend({ levels: z.number().int().min(1).optional() });

function expertCounts(arch: string, cfg: Record<string, unknown>) {
  return { sharedExperts: intOption(arch, cfg, 'sharedExperts', 2, 1), taskExperts: intOption(arch, cfg, 'taskExperts', 1, 0) };
}

export function cgc(ctx: ArchitectureContext, config: CgcConfig): GatedModel {
  const cfg = config as unknown as Record<string, unknown>;
  checkOptions('cgc', cfg, cgcOptions);
  return extractionNetwork(ctx, config, { arch: 'cgc', ...expertCounts('cgc', cfg), levels: 1 });
}

export function ple(ctx: ArchitectureContext, config: PleConfig): GatedModel {
  const cfg = config as unknown as Record<string, unknown>;
  checkOptions('ple', cfg, pleOptions);
  return extractionNetwork(ctx, config, { arch: 'ple', ...expertCounts('ple', cfg), levels: intOption('ple', cfg, 'levels', 2, 1) });
}
