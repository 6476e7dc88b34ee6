/**
 * MTAN, the Multi-Task Attention Network (Liu, Johns, Davison, "End-to-End Multi-Task Learning with
 * Attention", CVPR 2019).
 *
 * Structure: a shared backbone (the encoder config) and, per task, one soft-attention module per
 * backbone layer. With s_l the backbone's feature at layer l (after its activation, before pool and
 * dropout) and â_{t,l} task t's attended feature:
 *
 *     a_{t,1} = g_{t,1}(s_1)
 *     a_{t,l} = g_{t,l}([s_l ; f_l(â_{t,l−1})])       l > 1   ([;] = concatenation on the feature axis)
 *     â_{t,l} = a_{t,l} ⊙ s_l
 *
 * g_{t,l} (task-specific) is the paper's attention block of two 1×1 convolutions, conv–ReLU–conv–sigmoid,
 * both with as many channels as s_l (the paper's batch norms are left out, as in the encoders). f_l (one
 * per layer, shared by the tasks as in the authors' code) carries the previous attended feature to the
 * resolution and width of s_l: the backbone's own transition applied to â_{t,l−1} — its pool/dropout,
 * then a layer shaped like backbone layer l (a conv with that layer's kernel, valid padding and filters,
 * where the paper uses a 3×3 "same" conv followed by pooling to the next block's size; or a dense layer).
 * Each head reads the last attended feature â_{t,L} (after the backbone's pool/dropout/flatten).
 *
 * MLP form: a 1×1 convolution is a dense layer applied at every spatial position, so on the vector
 * features of an MLP the attention block becomes dense(D_l, relu) → dense(D_l, sigmoid) on
 * [s_l ; f_l(â_{t,l−1})], f_l is a dense layer D_{l−1} → D_l, and ⊙ is elementwise on the D_l units.
 * The paper's blocks of several conv layers (u = the block's first layer, p = its last) are single
 * layers here, so u = p = s_l. In a cnn encoder the conv layers get the conv form and the dense layers
 * after them the MLP form.
 *
 * Parameter groups: backbone and f layers are shared; task t's attention modules and head are its own.
 * There is no single shared representation (each task reads its own attended features), so no
 * encode/decode: gradient mode `param` only.
 *
 * Options: none.
 */
import { z } from 'zod';
import { tfl } from '../engine/tf.js';
import { uniqueName } from './encoders.js';
import type { HpsConfig } from './hps.js';
import {
  apply, buildHeads, checkOptions, componentSeed, endChain, graphModel, modelInput, postStage, preStage, requireStages,
  safeName, stageLayer, stageLayers, stagePlan, type Layer, type Sym,
} from './blocks.js';
import type { ArchitectureContext, MultiTaskModel } from './types.js';

export type MtanConfig = HpsConfig;

/** MTAN takes no options beyond the model's encoder and head. */
export const mtanOptions = z.strictObject({});

const ARCH = 'mtan';

export function mtan(ctx: ArchitectureContext, config: MtanConfig): MultiTaskModel {
  checkOptions(ARCH, config as unknown as Record<string, unknown>, mtanOptions);
  const plan = stagePlan(ARCH, ctx.inputShape, config.encoder);
  requireStages(ARCH, plan);
  const L = plan.stages.length;
  const T = ctx.tasks.length;

  const backbone = stageLayers(plan, ctx.seed, 'mtan_shared');
  // f_l for l ≥ 1 (0-based): shaped like backbone layer l, its own seeds.
  const fSeed = componentSeed(ctx.seed, 1) * 1000;
  const f: (Layer | null)[] = plan.stages.map((s, l) => (l === 0 ? null : stageLayer(s, plan, fSeed + l, 'mtan_f')));
  // Task t's attention block at layer l: 1×1 conv (or dense) → relu → 1×1 conv (or dense) → sigmoid.
  const att = ctx.tasks.map((task, t) => {
    const seed = componentSeed(ctx.seed, 2 + t) * 1000;
    const prefix = `mtan_att_${safeName(task.name)}`;
    return plan.stages.map((s, l) => [
      stageLayer(s, plan, seed + 2 * l + 1, prefix, { activation: 'relu', kernel: 1 }),
      stageLayer(s, plan, seed + 2 * l + 2, prefix, { activation: 'sigmoid', kernel: 1 }),
    ]);
  });

  const input = modelInput(ctx, ARCH);
  let h: Sym = input;
  const attended: Sym[] = ctx.tasks.map(() => input);
  for (let l = 0; l < L; l++) {
    const s = apply(backbone[l], preStage(plan, l, h, 'mtan_shared'));
    if (l < L - 1) h = postStage(plan, l, s, 'mtan_shared');
    for (let t = 0; t < T; t++) {
      const prefix = `mtan_att_${safeName(ctx.tasks[t].name)}`;
      let gIn = s;
      if (l > 0) {
        const prev = preStage(plan, l, postStage(plan, l - 1, attended[t], prefix), prefix);
        gIn = apply(tfl.layers.concatenate({ axis: -1, name: uniqueName(`${prefix}_cat`) }), [s, apply(f[l]!, prev)]);
      }
      const mask = apply(att[t][l][1], apply(att[t][l][0], gIn));
      attended[t] = apply(tfl.layers.multiply({ name: uniqueName(`${prefix}_mul`) }), [mask, s]);
    }
  }
  const reps = attended.map((a, t) => {
    const prefix = `mtan_att_${safeName(ctx.tasks[t].name)}`;
    return endChain(plan, postStage(plan, L - 1, a, prefix), prefix);
  });
  const heads = buildHeads(ctx, config.head, reps[0].shape.slice(1) as number[]);
  const outputs = heads.map((head, t) => apply(head, reps[t]));
  const net = tfl.model({ inputs: input, outputs, name: uniqueName('mtl_mtan') });
  return graphModel({
    architecture: ARCH, ctx, net,
    shared: [...backbone, ...f.filter((x): x is Layer => x !== null)],
    perTask: att.map((a, t) => [...a.flat(), heads[t]]),
  });
}
