/**
 * `MtlBiGru` ([x [B, T, D], ids [B, T]] → [B, T, 2U]): a bidirectional GRU whose two directions run as one
 * fused kernel call forward and one backward (src/engine/kernels/gru-sequence.ts; native on the wasm
 * backend when the addon is built), instead of tfjs-layers' T steps of small kernels.
 *
 * It computes exactly what tfjs-layers' `bidirectional({ layer: gru({ units, returnSequences: true }),
 * mergeMode: 'concat' })` computes over an embedding with `maskZero: true` (tested to 1e-5, outputs and
 * gradients, with the same weights): the GRUCell of Keras 2 (reset_after = false, hard-sigmoid gates by
 * default, tanh candidate), steps at padding (id 0) carry the state over, the backward direction runs from
 * the last step to the first, and the outputs are [forward | backward] per step. The token mask comes
 * from the ids (sign(id)), so the layer needs no Keras mask.
 *
 * Weights per direction (forward, backward): kernel [D, 3U], recurrent_kernel [U, 3U], bias [3U], in
 * tfjs-layers' gate order (z, r, h). A saved model loads wherever this module is imported (it registers
 * the class), in Node and in a browser: on backends without the fused kernels (webgl, webgpu) the same
 * equations run as composed tf ops.
 */
import { tf, tfl } from '../../engine/tf.js';
import { fusedDense, fusedOpsUsable } from '../../engine/fused.js';
import { biGruSequence, gruSequenceSupported, type GruRecurrentActivation } from '../../engine/kernels/gru-sequence.js';

type Tensor = tf.Tensor;
type Shape = (number | null)[];

export interface BiGruArgs {
  units: number;
  /** Seed of the first initialiser; the directions' kernels take seed, seed + 1 (forward) and seed + 2, seed + 3 (backward). */
  seed: number;
  /** 'hardSigmoid' (tfjs-layers' default) or 'sigmoid'. */
  recurrentActivation?: GruRecurrentActivation;
  name?: string;
  trainable?: boolean;
}

interface Direction {
  kernel: tfl.LayerVariable;
  recurrent: tfl.LayerVariable;
  bias: tfl.LayerVariable;
}

/** One direction composed from tf ops: the same equations as the fused kernel (other backends). */
export function composedSequence(xp: Tensor, u: Tensor, mask: Tensor, reverse: boolean, act: GruRecurrentActivation): Tensor {
  const [B, T, G] = xp.shape as [number, number, number];
  const U = G / 3;
  const [uzr, uh] = tf.split(u, [2 * U, U], 1);
  const sigma = (a: Tensor) => (act === 'hardSigmoid' ? tf.clipByValue(tf.add(0.5, tf.mul(0.2, a)), 0, 1) : tf.sigmoid(a));
  let h: Tensor = tf.zeros([B, U]);
  const outs: Tensor[] = new Array(T);
  for (let s = 0; s < T; s++) {
    const t = reverse ? T - 1 - s : s;
    const x = tf.reshape(tf.slice(xp, [0, t, 0], [B, 1, G]), [B, G]);
    const [xz, xr, xh] = tf.split(x, 3, 1);
    const [gz, gr] = tf.split(tf.matMul(h, uzr!), 2, 1);
    const z = sigma(tf.add(xz!, gz!));
    const r = sigma(tf.add(xr!, gr!));
    const hh = tf.tanh(tf.add(xh!, tf.matMul(tf.mul(r, h), uh!)));
    const next = tf.add(tf.mul(z, h), tf.mul(tf.sub(1, z), hh));
    const m = tf.reshape(tf.slice(mask, [0, t], [B, 1]), [B, 1]);
    h = tf.add(tf.mul(next, m), tf.mul(h, tf.sub(1, m)));
    outs[t] = h;
  }
  return tf.stack(outs, 1);
}

export class BiGru extends tfl.layers.Layer {
  static className = 'MtlBiGru';
  readonly units: number;
  readonly seed: number;
  readonly recurrentActivation: GruRecurrentActivation;
  private directions: Direction[] = [];

  constructor(args: BiGruArgs) {
    super(args);
    if (!Number.isInteger(args.units) || args.units < 1) throw new Error(`BiGru: units must be a positive integer, got ${args.units}`);
    const act = args.recurrentActivation ?? 'hardSigmoid';
    if (act !== 'hardSigmoid' && act !== 'sigmoid') throw new Error(`BiGru: recurrentActivation must be hardSigmoid or sigmoid, got ${String(act)}`);
    this.units = args.units;
    this.seed = args.seed;
    this.recurrentActivation = act;
  }

  override build(inputShape: Shape | Shape[]): void {
    const shapes = inputShape as Shape[];
    const din = shapes[0]![2];
    if (din == null) throw new Error('BiGru: the feature size of the input must be known');
    const U = this.units;
    this.directions = (['forward', 'backward'] as const).map((dir, i) => ({
      kernel: this.addWeight(`${dir}_kernel`, [din, 3 * U], 'float32', tfl.initializers.glorotUniform({ seed: this.seed + 2 * i })),
      recurrent: this.addWeight(`${dir}_recurrent_kernel`, [U, 3 * U], 'float32', tfl.initializers.glorotUniform({ seed: this.seed + 2 * i + 1 })),
      bias: this.addWeight(`${dir}_bias`, [3 * U], 'float32', tfl.initializers.zeros()),
    }));
    this.built = true;
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const s = (inputShape as Shape[])[0]!;
    return [s[0]!, s[1]!, 2 * this.units];
  }

  override computeMask(): Tensor {
    return null as unknown as Tensor;
  }

  override call(inputs: Tensor | Tensor[], _kwargs: Record<string, unknown>): Tensor {
    return tf.tidy(() => {
      if (!Array.isArray(inputs) || inputs.length !== 2) throw new Error('BiGru expects two inputs [features, token ids]');
      const [x, ids] = inputs as [Tensor, Tensor];
      const [B, T, D] = x.shape as [number, number, number];
      const mask = tf.sign(tf.abs(ids));
      const flat = tf.reshape(x, [B * T, D]);
      const U = this.units;
      // Input projections of all steps at once: one fused product + bias per direction where it may run.
      const project = (d: Direction) => (fusedOpsUsable()
        ? fusedDense(flat, d.kernel.read(), d.bias.read(), 'linear')
        : tf.add(tf.matMul(flat, d.kernel.read()), d.bias.read()));
      const xp = this.directions.map((d) => tf.reshape(project(d), [B, T, 3 * U]));
      const [fwd, bwd] = this.directions;
      if (gruSequenceSupported()) {
        return biGruSequence(xp[0]!, xp[1]!, fwd!.recurrent.read(), bwd!.recurrent.read(), mask, this.recurrentActivation);
      }
      return tf.concat(this.directions.map((d, i) => composedSequence(xp[i]!, d.recurrent.read(), mask, i === 1, this.recurrentActivation)), -1);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), units: this.units, seed: this.seed, recurrentActivation: this.recurrentActivation };
  }
}

tf.serialization.registerClass(BiGru);
