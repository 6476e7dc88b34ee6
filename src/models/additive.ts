/**
 * Additive (regularised) multi-task learning (Evgeniou, Pontil, "Regularized Multi-Task Learning",
 * KDD 2004), extended from linear models to every layer of the encoder.
 *
 * Structure: one tower per task with the encoder config's layers, where every parameter of task t's
 * tower is a shared part plus a task-specific part,
 *
 *     W_{t,l} = W_l + V_{t,l},   b_{t,l} = b_l + c_{t,l}         h_{t,l} = act(h_{t,l−1} W_{t,l} + b_{t,l})
 *
 * and the objective adds Σ_t λ_t ‖v_t‖² (v_t = all of task t's V and c) plus, optionally,
 * μ ‖w‖² on the shared parts (`regularization()`). Each task has its own head on its tower. The shared
 * parts are seeded like the hard-sharing encoder and the task parts start at 0, so the model starts
 * as hard sharing; λ → ∞ keeps it there (v_t → 0: hard sharing), while w = 0 leaves independent
 * towers (single-task learning). Schedules: `joint` updates everything each step; `alternating`
 * updates the task parts and the heads on even steps and the shared parts on odd steps
 * (`variablesForStep`).
 *
 * Saving: x(W + V) + (b + c) = (xW + b) + (xV + c), so each tower layer is written with standard tfjs
 * layers — the shared Dense/Conv2D (linear, applied to every task's tower) and task t's Dense/Conv2D
 * (linear), an Add, then the activation. `layersModel()` is that model, whose weights are the trained
 * variables themselves (checkpoints and resume set them), and model.json loads with plain
 * `tf.loadLayersModel`, no custom class. `foldedModel()` additionally exports the compact inference
 * model with W + V folded into one ordinary layer per tower layer.
 *
 * Parameter groups: the shared parts are shared; task t's parts and head are its own. Each task has its
 * own tower, so no encode/decode: gradient mode `param` only.
 *
 * Options: taskPenalty λ (number ≥ 0, or one per task as an array or a map by task name; default 1e-3),
 * sharedPenalty μ (number ≥ 0, default 0), schedule ('joint' | 'alternating', default 'joint').
 */
import { z } from 'zod';
import { tf, tfl, type Tensor } from '../engine/tf.js';
import { uniqueName } from './encoders.js';
import type { HpsConfig } from './hps.js';
import {
  apply, buildHeads, checkOptions, componentSeed, endChain, enumOption, graphModel, layerVariables, modelInput, numberOption,
  perTaskOption, postStage, preStage, requireStages, safeName, shapeOf, stageLayers, stagePlan, type Layer, type Sym,
} from './blocks.js';
import type { ArchitectureContext, MultiTaskModel } from './types.js';

export interface AdditiveConfig extends HpsConfig {
  taskPenalty?: number | number[] | Record<string, number>;
  sharedPenalty?: number;
  schedule?: 'joint' | 'alternating';
}

export interface AdditiveModel extends MultiTaskModel {
  /** Task t's task-specific parts V_t, c_t (without its head). */
  taskPartVariables(task: string): tf.Variable[];
  headVariables(task: string): tf.Variable[];
  /** A new standard LayersModel with W + V folded into one layer per tower layer (the caller disposes it). */
  foldedModel(): tfl.LayersModel;
}

const ARCH = 'additive';

const penalty = z.number().nonnegative();
export const additiveOptions = z.strictObject({
  taskPenalty: z.union([penalty, z.array(penalty), z.record(z.string(), penalty)]).optional(),
  sharedPenalty: penalty.optional(),
  schedule: z.enum(['joint', 'alternating']).optional(),
});

export function additive(ctx: ArchitectureContext, config: AdditiveConfig): AdditiveModel {
  const cfg = config as unknown as Record<string, unknown>;
  checkOptions(ARCH, cfg, additiveOptions);
  const taskNames = ctx.tasks.map((t) => t.name);
  const lambda = perTaskOption(ARCH, cfg, 'taskPenalty', 1e-3, taskNames);
  const mu = numberOption(ARCH, cfg, 'sharedPenalty', 0, 0);
  const schedule = enumOption(ARCH, cfg, 'schedule', ['joint', 'alternating'] as const, 'joint');
  const plan = stagePlan(ARCH, ctx.inputShape, config.encoder);
  requireStages(ARCH, plan);

  const sharedParts = stageLayers(plan, ctx.seed, 'additive_shared', { activation: 'linear' });
  const taskParts = ctx.tasks.map((t, i) =>
    stageLayers(plan, componentSeed(ctx.seed, i + 1), `additive_${safeName(t.name)}`, { activation: 'linear', zeros: true }),
  );
  const input = modelInput(ctx, ARCH);
  const reps = ctx.tasks.map((task, t) => {
    const prefix = `additive_${safeName(task.name)}`;
    let h: Sym = input;
    plan.stages.forEach((_, l) => {
      const x = preStage(plan, l, h, prefix);
      const z = apply(tfl.layers.add({ name: uniqueName(`${prefix}_sum`) }), [apply(sharedParts[l], x), apply(taskParts[t][l], x)]);
      h = postStage(plan, l, apply(tfl.layers.activation({ activation: plan.activation, name: uniqueName(`${prefix}_act`) }), z), prefix);
    });
    return endChain(plan, h, prefix);
  });
  const heads = buildHeads(ctx, config.head, shapeOf(reps[0]));
  const net = tfl.model({ inputs: input, outputs: heads.map((h, t) => apply(h, reps[t])), name: uniqueName('mtl_additive') });

  const sharedVars = layerVariables(sharedParts);
  const taskVars = taskParts.map(layerVariables);
  const headVars = heads.map((h) => layerVariables([h]));
  const sumSquares = (vs: tf.Variable[]) => tf.addN(vs.map((v) => tf.sum(tf.square(v))));
  const penalised = lambda.some((l) => l > 0) || mu > 0;
  const regularization = penalised
    ? () => tf.tidy(() => {
      const terms: Tensor[] = [];
      lambda.forEach((l, t) => { if (l > 0) terms.push(tf.mul(l, sumSquares(taskVars[t]))); });
      if (mu > 0) terms.push(tf.mul(mu, sumSquares(sharedVars)));
      return tf.addN(terms);
    })
    : undefined;
  const taskGroup = [...taskVars.flat(), ...headVars.flat()];
  const variablesForStep = schedule === 'alternating' ? (step: number) => (step % 2 === 0 ? [...taskGroup] : [...sharedVars]) : undefined;

  const base = graphModel({
    architecture: ARCH, ctx, net, shared: sharedParts, perTask: taskParts.map((p, t) => [...p, heads[t]]), regularization, variablesForStep,
  });
  const index = (task: string) => {
    const i = taskNames.indexOf(task);
    if (i < 0) throw new Error(`${ARCH}: unknown task "${task}"`);
    return i;
  };
  return {
    ...base,
    taskPartVariables: (task) => [...taskVars[index(task)]],
    headVariables: (task) => [...headVars[index(task)]],
    foldedModel() {
      const fin = tfl.input({ shape: ctx.inputShape, name: uniqueName('additive_folded_input') });
      const outs = ctx.tasks.map((task, t) => {
        const prefix = `additive_folded_${safeName(task.name)}`;
        const layers = stageLayers(plan, 0, prefix, { zeros: true });
        let h: Sym = fin;
        layers.forEach((layer, l) => {
          h = postStage(plan, l, apply(layer, preStage(plan, l, h, prefix)), prefix);
          tf.tidy(() => layer.setWeights(sharedParts[l].getWeights().map((w, k) => tf.add(w, taskParts[t][l].getWeights()[k]))));
        });
        return apply(heads[t], endChain(plan, h, prefix));
      });
      return tfl.model({ inputs: fin, outputs: outs, name: uniqueName('mtl_additive_folded') });
    },
  };
}
