/**
 * One forward pass, many backward passes.
 *
 * tfjs's gradient functions (tf.grads, tf.variableGrads) record a tape, walk it backward once and
 * throw it away, so T per-task gradients cost T forward passes, and rep-grad's "encoder once, heads T
 * times, encoder backward once" cannot be written without running the encoder twice. `Tape.record`
 * records the forward pass with the engine's own recorder (the startTape/endTape pair tf.grads uses)
 * and keeps it; `grad` walks it backward from any recorded tensor, as often as asked, calling the
 * gradient functions registered with tfjs: the same kernels, in the same order, as tf.grads.
 *
 * It relies on engine internals (the private `startTape`/`endTape`, `state.activeTape`,
 * `state.gradientDepth`, the TapeNode shape), reached only through src/engine/tfjs-internals.ts, which
 * checks them at run time and names the tfjs version mtljs was tested with when they changed;
 * test/engine/tape.test.ts compares every use against tf.grads.
 */
import { tf } from './tf.js';
import { gradientDepth, startTapeRecording, stopTapeRecording, type TapeNode } from './tfjs-internals.js';

export class Tape {
  private nodes: TapeNode[] | null;

  private constructor(nodes: TapeNode[]) {
    this.nodes = nodes;
  }

  /**
   * Runs `f` once, recording its operations. The tensors `f` returns survive (the caller disposes
   * them); its other intermediates are freed as in tf.tidy, except what the gradients need, which
   * lives until `dispose()`.
   */
  static record<T extends tf.TensorContainer>(f: () => T): { tape: Tape; result: T } {
    if (gradientDepth() !== 0) throw new Error('Tape.record cannot run inside another gradient computation');
    startTapeRecording();
    let result: T;
    try {
      result = tf.tidy(f);
    } catch (err) {
      new Tape(stopTapeRecording()).dispose();
      throw err;
    }
    return { tape: new Tape(stopTapeRecording()), result };
  }

  /**
   * The gradients of Σ dy·y with respect to each of `xs` (dy defaults to ones: the gradient of y itself
   * when y is a scalar). An x that y does not depend on gets null. The returned tensors are the caller's.
   */
  grad(y: tf.Tensor, xs: tf.Tensor[], dy?: tf.Tensor): (tf.Tensor | null)[] {
    if (!this.nodes) throw new Error('Tape.grad after dispose()');
    const path = this.path(xs, y);
    const out: (tf.Tensor | null)[] = new Array(xs.length).fill(null);
    tf.tidy(() => {
      const acc = new Map<number, tf.Tensor>();
      acc.set(y.id, dy ?? tf.onesLike(y));
      for (let i = path.length - 1; i >= 0; i--) {
        const { node, inputs } = path[i]!;
        if (!node.gradient) throw new Error(`Tape: no gradient registered for ${node.kernelName}`);
        const fns = node.gradient(node.outputs.map((o) => acc.get(o.id) ?? null));
        for (const name of inputs) {
          const fn = fns[name];
          if (!fn) throw new Error(`Tape: ${node.kernelName} has no gradient for its input "${name}"`);
          const x = node.inputs[name]!;
          const dx = tf.tidy(fn);
          const prev = acc.get(x.id);
          acc.set(x.id, prev ? tf.add(prev, dx) : dx);
        }
      }
      xs.forEach((x, k) => {
        const g = acc.get(x.id);
        if (g) out[k] = tf.keep(x.id === y.id ? tf.clone(g) : g);
      });
    });
    return out;
  }

  /** The recorded nodes that lie on a path from one of `xs` to `y`, each with its inputs on such a path. */
  private path(xs: tf.Tensor[], y: tf.Tensor): { node: TapeNode; inputs: string[] }[] {
    const nodes = this.nodes!;
    const fromX = new Set(xs.map((x) => x.id));
    const reached: boolean[] = nodes.map((node) => {
      const hit = Object.values(node.inputs).some((t) => fromX.has(t.id));
      if (hit) node.outputs.forEach((o) => fromX.add(o.id));
      return hit;
    });
    const toY = new Set([y.id]);
    const leads: boolean[] = new Array(nodes.length).fill(false);
    for (let i = nodes.length - 1; i >= 0; i--) {
      const node = nodes[i]!;
      if (node.outputs.some((o) => toY.has(o.id))) {
        leads[i] = true;
        Object.values(node.inputs).forEach((t) => toY.add(t.id));
      }
    }
    const path: { node: TapeNode; inputs: string[] }[] = [];
    nodes.forEach((node, i) => {
      if (reached[i] && leads[i]) path.push({ node, inputs: Object.keys(node.inputs).filter((k) => fromX.has(node.inputs[k]!.id)) });
    });
    return path;
  }

  /** Frees what the recorded operations kept for their gradients. */
  dispose(): void {
    for (const node of this.nodes ?? []) for (const t of node.saved ?? []) t.dispose();
    this.nodes = null;
  }
}
