/**
 * ESMM, the Entire Space Multi-task Model (Ma, Zhao, Hu, Zhu, Wang, Gai, Huang, Zheng, "Entire Space
 * Multi-Task Model: An Effective Approach for Estimating Post-Click Conversion Rate", SIGIR 2018).
 *
 * A conversion is only observed after a click (impression → click → conversion). Training a CVR model on
 * clicked impressions alone biases it (it is then applied to every impression) and starves it of data.
 * ESMM instead models, over all impressions,
 *
 *     pCTR = p(click | x) = σ(a(x)),   pCVR = p(conv | click, x) = σ(b(x)),
 *     pCTCVR = p(click ∧ conv | x) = pCTR · pCVR,
 *
 * with a CTR tower a and a CVR tower b on the same (embedded) features, and trains only the two
 * observable tasks over the entire space: L = Σ_x ℓ(y_click, pCTR) + ℓ(y_click ∧ y_conv, pCTCVR). pCVR is
 * never supervised directly; it is learnt through the product. Here the CTCVR output is the logit of
 * σ(a)σ(b) (exact and stable: ./tabular-layers.ts MtlEsmmLogit), so both tasks are ordinary binary tasks
 * with their usual loss; pCVR = pCTCVR / pCTR.
 *
 * The paper shares the embedding tables between the towers: with embedded features
 * (`{ column, type: categorical, embedding: d }`) that is the model's embedding layer (./tabular.ts).
 * Parameters: the CTR tower feeds both tasks (shared); the CVR tower only CTCVR (that task's own).
 *
 * Options: ctr, ctcvr — the task names (default: the config's two tasks, in order). Each tower is an
 * encoder of the config's `model.encoder` followed by the config's head (one logit). With one task (the
 * single-task baselines) the model is that task's tower alone.
 */
import { z } from 'zod';
import { tf, tfl, type Tensor } from '../engine/tf.js';
import { compileChain } from './chain.js';
import { hardSharing, type HpsConfig } from './hps.js';
import { buildEncoder, buildHead, uniqueName, variablesOf } from './encoders.js';
import { tabularLayers } from './tabular-layers.js';
import type { ArchitectureContext, MultiTaskModel } from './types.js';

export interface EsmmConfig extends HpsConfig {
  ctr?: string;
  ctcvr?: string;
}

export const esmmOptions = z.strictObject({ ctr: z.string().min(1).optional(), ctcvr: z.string().min(1).optional() });

export function esmm(ctx: ArchitectureContext, config: EsmmConfig): MultiTaskModel {
  const names = ctx.tasks.map((t) => t.name);
  // A single task (the single-task baselines of `mtl train` / `mtl compare`): one tower and its head.
  if (ctx.tasks.length === 1) return hardSharing(ctx, config);
  if (ctx.tasks.length !== 2) {
    throw new Error(`esmm models a click → conversion funnel: it needs exactly two binary tasks (click, then click-and-conversion), got ${names.length} (${names.join(', ')})`);
  }
  const ctrName = config.ctr ?? names[0]!;
  const ctcvrName = config.ctcvr ?? names.find((n) => n !== ctrName)!;
  for (const [key, name] of [['ctr', ctrName], ['ctcvr', ctcvrName]] as const) {
    const task = ctx.tasks.find((t) => t.name === name);
    if (!task) throw new Error(`esmm: option ${key} names task "${name}", which is not one of the tasks (${names.join(', ')})`);
    if (task.kind !== 'binary') throw new Error(`esmm: task "${name}" (${key}) must be binary, it is ${task.kind}`);
  }
  if (ctrName === ctcvrName) throw new Error(`esmm: ctr and ctcvr must be different tasks (both are "${ctrName}")`);

  const towers = [ctrName, 'cvr'].map((label, i) => {
    const encoder = buildEncoder(ctx.inputShape, config.encoder, ctx.seed + 104_729 * i, `esmm_${label}`);
    const repShape = encoder.outputs[0].shape.slice(1) as number[];
    const head = buildHead(repShape, 1, config.head?.hidden ?? [], ctx.seed + 7919 * (i + 1), `esmm_${label}`, config.head?.activation);
    return { encoder, head };
  });
  const run = towers.map(({ encoder, head }) => {
    const enc = compileChain(encoder) ?? ((x: Tensor, training: boolean) => encoder.apply(x, { training }) as Tensor);
    const hd = compileChain(head) ?? ((x: Tensor, training: boolean) => head.apply(x, { training }) as Tensor);
    return (x: Tensor, training: boolean) => hd(enc(x, training), training);
  });
  const product = new (tabularLayers({ tf, tfl }).EsmmLogit)({ name: uniqueName('esmm_ctcvr') });
  const ctrVars = () => [...variablesOf(towers[0]!.encoder), ...variablesOf(towers[0]!.head)];
  const cvrVars = () => [...variablesOf(towers[1]!.encoder), ...variablesOf(towers[1]!.head)];
  const ordered = <T>(ctr: T, ctcvr: T): T[] => names.map((n) => (n === ctrName ? ctr : ctcvr));
  let combined: tfl.LayersModel | null = null;
  return {
    architecture: 'esmm',
    taskNames: names,
    forward(x, training) {
      const a = run[0]!(x, training);
      const b = run[1]!(x, training);
      return { logits: ordered(a, product.apply([a, b]) as Tensor) };
    },
    sharedVariables: ctrVars,
    taskVariables: (task) => {
      if (task === ctrName) return [];
      if (task === ctcvrName) return cvrVars();
      throw new Error(`esmm: unknown task "${task}"; tasks are ${names.join(', ')}`);
    },
    trainableVariables: () => [...ctrVars(), ...cvrVars()],
    layersModel() {
      if (!combined) {
        const input = tfl.input({ shape: ctx.inputShape, name: uniqueName('input') });
        const [a, b] = towers.map(({ encoder, head }) => head.apply(encoder.apply(input)) as tfl.SymbolicTensor);
        const c = product.apply([a!, b!]) as tfl.SymbolicTensor;
        combined = tfl.model({ inputs: input, outputs: ordered(a!, c), name: uniqueName('mtl_esmm') });
      }
      return combined;
    },
    dispose() {
      for (const w of new Set(towers.flatMap(({ encoder, head }) => [...encoder.weights, ...head.weights]))) w.dispose();
    },
  };
}
