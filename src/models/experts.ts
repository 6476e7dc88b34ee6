/**
 * Mixture-of-experts machinery shared by MMoE (mmoe.ts) and CGC/PLE (ple.ts): one builder for the
 * Progressive Layered Extraction network of Tang et al. 2020, of which the others are special cases.
 *
 * Level k = 1..K of the network has S shared experts and, per task, E task experts (each expert a
 * tower with the encoder config's layers at level 1, an MLP with its dense layers above), and gates:
 *
 *     task gate t:  w_t = softmax(W_t · u_t + b_t) over [task t's experts, shared experts]
 *                   g_t = Σ_i w_t,i · expert_i(v_t)
 *     shared gate (every level but the last): softmax over [every task's experts, shared experts]
 *                   g_s = Σ_i w_s,i · expert_i(·)
 *
 * At level 1 every expert reads the input x and every gate the (flattened) input; at level k > 1 task
 * t's experts and gate read g_t of level k − 1 and the shared experts and gate read g_s. Task t's head
 * reads g_t of the last level.
 *
 * CGC = one level (no shared gate). MMoE = one level, no task experts (each gate mixes the E shared
 * experts). DSelect-k (dselect-k.ts) = MMoE with another gate (`gate`: the MtlDSelectGate layer). The
 * mixture Σ_i w_i · e_i is standard tfjs layers (experts stacked to [n, D], a Dot with the gate over the
 * expert axis), so the saved model needs no custom class beyond a custom gate's.
 *
 * Parameter groups: shared experts and shared gates are shared. A task's expert or gate is its own only
 * if its output reaches that task alone: task experts of the last level, and task gates whose mixture
 * feeds nothing that enters a shared gate. Everything else reaches every task (through g_s) and is
 * shared, so per-task gradient methods see each task's full gradient on it.
 */
import { tf, tfl, type Tensor } from '../engine/tf.js';
import { seededInit, uniqueName } from './encoders.js';
import type { HpsConfig } from './hps.js';
import {
  apply, buildHeads, chain, componentSeed, flatten, graphModel, mlpPlan, modelInput, probe, requireStages, safeName,
  shapeOf, stageLayers, stagePlan, type Layer, type StagePlan, type Sym,
} from './blocks.js';
import type { ArchitectureContext, MultiTaskModel } from './types.js';

export interface GatedModel extends MultiTaskModel {
  /** Gate values for a batch, one [B, n] tensor per gate (each row sums to 1), in `gateNames` order. */
  gates(x: Tensor): Tensor[];
  /** Per gate: `<task>` (one level) or `level<k>/<task or shared>`, and which experts it mixes. */
  readonly gateNames: string[];
  readonly gateExperts: string[][];
}

export interface ExtractionOptions {
  arch: string;
  sharedExperts: number;
  taskExperts: number;
  levels: number;
  /**
   * The gate layer of a mixture over `experts` experts (input: the gate's flat input; output [B, experts],
   * rows summing to 1), made with the component seed the builder gives it. Default: the dense softmax above.
   */
  gate?: (experts: number, seed: number, name: string) => Layer;
}

interface Expert {
  name: string;
  layers: Layer[];
  out: Sym;
}

/** Σ_i w_i · e_i: experts stacked to [B, n, D], contracted with the gate [B, n] over the expert axis. */
function mixture(gate: Sym, experts: Sym[], prefix: string): Sym {
  const d = shapeOf(experts[0]);
  const rows = experts.map((e) => apply(tfl.layers.reshape({ targetShape: [1, ...d], name: uniqueName(`${prefix}_row`) }), e));
  const stacked = rows.length > 1 ? apply(tfl.layers.concatenate({ axis: 1, name: uniqueName(`${prefix}_stack`) }), rows) : rows[0];
  return apply(tfl.layers.dot({ axes: [1, 1], name: uniqueName(`${prefix}_mix`) }), [gate, stacked]);
}

export function extractionNetwork(ctx: ArchitectureContext, config: HpsConfig, o: ExtractionOptions): GatedModel {
  const { arch, sharedExperts: S, taskExperts: E, levels: K } = o;
  const names = ctx.tasks.map((t) => safeName(t.name));
  const base = stagePlan(arch, ctx.inputShape, config.encoder);
  requireStages(arch, base);
  let upper: StagePlan | null = null;
  if (K > 1) {
    const enc = config.encoder as { type: 'mlp' | 'cnn'; hidden?: number[]; dense?: number[] };
    const units = (enc.type === 'cnn' ? enc.dense : enc.hidden) ?? [];
    if (!units.length) throw new Error(`${arch}: levels above the first are MLP experts of the encoder's dense layers, and this encoder has none`);
    upper = mlpPlan(units, base.activation, config.encoder.type === 'custom' ? 0 : (config.encoder.dropout ?? 0));
  }
  const pre = `${arch.replace(/[^A-Za-z0-9_]/g, '_')}`;
  let component = 0;
  const nextSeed = () => componentSeed(ctx.seed, component++);

  const input = modelInput(ctx, arch);
  const flatInput = ctx.inputShape.length === 1 ? input : flatten(input, `${pre}_gate`);
  const shared: Layer[] = [];
  const perTask: Layer[][] = ctx.tasks.map(() => []);
  const gateOuts: Sym[] = [];
  const gateNames: string[] = [];
  const gateExperts: string[][] = [];

  // Whether task t's mixture at level k reaches task t only (see the header).
  const privateMix: boolean[] = [];
  for (let k = K; k >= 1; k--) privateMix[k] = k === K || (privateMix[k + 1] && (E === 0 || k + 1 === K));

  let taskIn: Sym[] = ctx.tasks.map(() => input);
  let sharedIn: Sym = input;
  let taskGateIn: Sym[] = ctx.tasks.map(() => flatInput);
  let sharedGateIn: Sym = flatInput;
  for (let k = 1; k <= K; k++) {
    const plan = k === 1 ? base : upper!;
    const tag = K > 1 ? `level${k}/` : '';
    const makeExpert = (name: string, from: Sym): Expert => {
      const prefix = `${pre}_${safeName(name)}`;
      const layers = stageLayers(plan, nextSeed(), prefix);
      return { name, layers, out: chain(plan, layers, from, prefix) };
    };
    const sharedX = Array.from({ length: S }, (_, i) => makeExpert(`${tag}shared${i}`, sharedIn));
    const taskX = ctx.tasks.map((_, t) => Array.from({ length: E }, (_, i) => makeExpert(`${tag}${names[t]}${i}`, taskIn[t])));
    shared.push(...sharedX.flatMap((x) => x.layers));
    taskX.forEach((xs, t) => (k === K ? perTask[t] : shared).push(...xs.flatMap((x) => x.layers)));

    const makeGate = (name: string, from: Sym, experts: Expert[]): { layer: Layer; mix: Sym } => {
      const layer = o.gate ? o.gate(experts.length, nextSeed(), uniqueName(`${pre}_gate`)) : tfl.layers.dense({
        units: experts.length, activation: 'softmax', kernelInitializer: seededInit(nextSeed() * 1000 + 1), name: uniqueName(`${pre}_gate`),
      });
      const w = apply(layer, from);
      gateOuts.push(w);
      gateNames.push(name);
      gateExperts.push(experts.map((x) => x.name));
      return { layer, mix: mixture(w, experts.map((x) => x.out), `${pre}_${safeName(name)}`) };
    };
    const nextTaskIn = ctx.tasks.map((task, t) => {
      const g = makeGate(`${tag}${task.name}`, taskGateIn[t], [...taskX[t], ...sharedX]);
      (privateMix[k] ? perTask[t] : shared).push(g.layer);
      return g.mix;
    });
    if (k < K) {
      const g = makeGate(`${tag}shared`, sharedGateIn, [...taskX.flat(), ...sharedX]);
      shared.push(g.layer);
      sharedIn = g.mix;
      sharedGateIn = g.mix;
    }
    taskIn = nextTaskIn;
    taskGateIn = nextTaskIn;
  }

  const heads = buildHeads(ctx, config.head, shapeOf(taskIn[0]));
  heads.forEach((h, t) => perTask[t].push(h));
  const outputs = heads.map((h, t) => apply(h, taskIn[t]));
  const net = tfl.model({ inputs: input, outputs, name: uniqueName(`mtl_${pre}`) });
  const gates = probe(input, gateOuts, `${pre}_gates`);
  const model = graphModel({ architecture: arch, ctx, net, shared, perTask });
  return { ...model, gates: (x: Tensor) => tf.tidy(() => gates(x)), gateNames, gateExperts };
}
