/**
 * Cross-stitch networks (Misra, Shrivastava, Gupta, Hebert, "Cross-stitch Networks for Multi-task
 * Learning", CVPR 2016).
 *
 * Structure: one tower per task with the layer sizes of the encoder config (MLP towers, or CNN towers
 * when the encoder is a cnn), and after every layer of the towers (after its pool/dropout) a learned
 * cross-stitch unit that mixes the T towers' activations:
 *
 *     x̃_i = Σ_j α_ij x_j          (α: a learnable T×T matrix per layer)
 *
 * α starts near the identity: α_ii = `selfWeight` (default 0.9), α_ij = (1 − selfWeight)/(T − 1), so
 * each row sums to 1 (with one task, α = [1]). Task i's head reads x̃_i of the last layer.
 *
 * A unit is made of standard tfjs layers (the saved model needs no custom class): the towers'
 * activations are stacked on a new last axis ([..., T]) and output i is a bias-free Dense(1) on that
 * axis whose kernel is the column (α_i1, …, α_iT)ᵀ.
 *
 * Parameter groups: through the units every tower and every α reaches every task, so they are shared
 * parameters — except the last unit's row i (α_i·, which only feeds head i): it and head i belong to
 * task i. There is no single shared representation, so no encode/decode (gradient mode `rep` is not
 * available; `param` is).
 *
 * Options: selfWeight (number in [0, 1], default 0.9).
 */
import { z } from 'zod';
import { tf, tfl } from '../engine/tf.js';
import { uniqueName } from './encoders.js';
import type { HpsConfig } from './hps.js';
import {
  apply, buildHeads, checkOptions, componentSeed, endChain, graphModel, layerVariables, modelInput, numberOption,
  postStage, preStage, requireStages, shapeOf, stagePlan, stageLayers, type Layer, type Sym,
} from './blocks.js';
import type { ArchitectureContext, MultiTaskModel } from './types.js';

export interface CrossStitchConfig extends HpsConfig {
  selfWeight?: number;
}

export interface CrossStitchModel extends MultiTaskModel {
  /** α per unit (layer): alpha()[l][i][j] is the weight of tower j in tower i's mixed activation. */
  alpha(): number[][][];
  setAlpha(alpha: number[][][]): void;
  /** The parameters of task i's tower (its layers in order, without the units). */
  towerVariables(task: string): tf.Variable[];
}

const ARCH = 'cross-stitch';

export const crossStitchOptions = z.strictObject({ selfWeight: z.number().min(0).max(1).optional() });

/** α_ii = s, α_ij = (1 − s)/(T − 1). */
export function initialAlpha(tasks: number, selfWeight: number): number[][] {
  if (tasks === 1) return [[1]];
  const off = (1 - selfWeight) / (tasks - 1);
  return Array.from({ length: tasks }, (_, i) => Array.from({ length: tasks }, (_, j) => (i === j ? selfWeight : off)));
}

export function crossStitch(ctx: ArchitectureContext, config: CrossStitchConfig): CrossStitchModel {
  const cfg = config as unknown as Record<string, unknown>;
  checkOptions(ARCH, cfg, crossStitchOptions);
  const selfWeight = numberOption(ARCH, cfg, 'selfWeight', 0.9, 0, 1);
  const plan = stagePlan(ARCH, ctx.inputShape, config.encoder);
  requireStages(ARCH, plan);
  const T = ctx.tasks.length;
  const taskNames = ctx.tasks.map((t) => t.name);

  // Tower 0 is seeded like the hard-sharing encoder, the others from their own component seeds.
  const towers = ctx.tasks.map((_, t) => stageLayers(plan, componentSeed(ctx.seed, t), `xstitch_t${t}`));
  const units: Layer[][] = [];
  const input = modelInput(ctx, ARCH);
  let hs: Sym[] = towers.map(() => input);
  plan.stages.forEach((_, l) => {
    hs = hs.map((h, t) => postStage(plan, l, apply(towers[t][l], preStage(plan, l, h, `xstitch_t${t}`)), `xstitch_t${t}`));
    const shape = shapeOf(hs[0]);
    const expanded = hs.map((h) => apply(tfl.layers.reshape({ targetShape: [...shape, 1], name: uniqueName('xstitch_expand') }), h));
    const stacked = T > 1 ? apply(tfl.layers.concatenate({ axis: -1, name: uniqueName('xstitch_stack') }), expanded) : expanded[0];
    const layerUnits = hs.map(() =>
      tfl.layers.dense({ units: 1, useBias: false, kernelInitializer: tfl.initializers.zeros(), name: uniqueName(`xstitch_unit${l}`) }),
    );
    units.push(layerUnits);
    hs = layerUnits.map((u) => apply(tfl.layers.reshape({ targetShape: shape, name: uniqueName('xstitch_unstack') }), apply(u, stacked)));
  });
  hs = hs.map((h, t) => endChain(plan, h, `xstitch_t${t}`));
  const heads = buildHeads(ctx, config.head, shapeOf(hs[0]));
  const outputs = heads.map((h, t) => apply(h, hs[t]));
  const net = tfl.model({ inputs: input, outputs, name: uniqueName('mtl_cross_stitch') });

  const setAlpha = (alpha: number[][][]) => {
    if (alpha.length !== units.length) throw new Error(`${ARCH}: setAlpha needs ${units.length} matrices, got ${alpha.length}`);
    alpha.forEach((a, l) => {
      if (a.length !== T || a.some((row) => row.length !== T)) throw new Error(`${ARCH}: α of unit ${l} must be ${T}×${T}`);
      units[l].forEach((u, i) => tf.tidy(() => u.setWeights([tf.tensor2d(a[i], [T, 1])])));
    });
  };
  setAlpha(plan.stages.map(() => initialAlpha(T, selfWeight)));

  // Unit i of the last layer feeds only head i: it belongs to task i. Every other unit reaches every task.
  const last = units[units.length - 1];
  const base = graphModel({
    architecture: ARCH, ctx, net, shared: [...towers.flat(), ...units.slice(0, -1).flat()], perTask: heads.map((h, i) => [last[i], h]),
  });
  return {
    ...base,
    alpha: () => units.map((layerUnits) => layerUnits.map((u) => Array.from(u.getWeights()[0].dataSync()))),
    setAlpha,
    towerVariables(task) {
      const i = taskNames.indexOf(task);
      if (i < 0) throw new Error(`${ARCH}: unknown task "${task}"`);
      return layerVariables(towers[i]);
    },
  };
}
