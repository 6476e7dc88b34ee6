/**
 * src/engine/tfjs-internals.ts, the one module that reaches into tfjs internals: each accessor works on
 * this tfjs (4.22), and when an internal is missing or has changed shape it throws a TfjsInternalsError
 * that names the internal and the tfjs version mtljs was tested with, instead of computing something else.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/engine/backend.js';
import { FusedAdamOptimizer, nativeKernelsEnabled } from '../../src/engine/native/index.js';
import { Tape } from '../../src/engine/tape.js';
import { tf, tfl } from '../../src/engine/tf.js';
import {
  adamBetaPowers, adamInternals, initializedBackend, isAdamOptimizer, registeredVariable, setDropoutSeed, TESTED_TFJS_VERSION,
  TfjsInternalsError, wasmBackend, wasmHeapOffset,
} from '../../src/engine/tfjs-internals.js';

beforeAll(async () => {
  expect(await initBackend('wasm')).toBe('wasm');
});

/** Runs f, expecting a TfjsInternalsError about `internal` that names the tested tfjs version. */
function expectInternalChanged(f: () => unknown, internal: string): void {
  let caught: unknown;
  try {
    f();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(TfjsInternalsError);
  const err = caught as TfjsInternalsError;
  expect(err.internal).toContain(internal);
  expect(err.message).toContain(internal);
  expect(err.message).toContain(`tested with tfjs ${TESTED_TFJS_VERSION}`);
  expect(err.message).toContain(tf.version_core);
}

describe('tfjs internals', () => {
  it('was tested with the installed tfjs', () => {
    expect(TESTED_TFJS_VERSION).toBe('4.22.0');
    expect(tf.version_core).toBe(TESTED_TFJS_VERSION);
  });

  it("reads and writes Adam's private state; tells Adam from other optimizers (instanceof cannot)", () => {
    const adam = tf.train.adam(0.01, 0.8, 0.9);
    const a = adamInternals(adam);
    expect([a.learningRate, a.beta1, a.beta2]).toEqual([0.01, 0.8, 0.9]);
    expect(a.accBeta1.dataSync()[0]).toBeCloseTo(0.8, 6);
    expect(adamBetaPowers(adam)?.accBeta2).toBe(a.accBeta2);
    const sgd = tf.train.sgd(0.1);
    expect(sgd instanceof tf.AdamOptimizer).toBe(true); // tfjs's duck-typed Symbol.hasInstance
    expect(isAdamOptimizer(sgd)).toBe(false);
    expect(adamBetaPowers(sgd)).toBeNull();
    expect(isAdamOptimizer(new FusedAdamOptimizer(0.1))).toBe(true);
    adam.dispose();
    sgd.dispose();
  });

  it('reports a changed AdamOptimizer (a renamed field) by name, also from the fused optimizer and checkpoints', () => {
    expectInternalChanged(() => adamInternals(Object.create(tf.AdamOptimizer.prototype) as tf.AdamOptimizer), 'AdamOptimizer.learningRate');
    const opt = new FusedAdamOptimizer(0.01);
    const o = opt as unknown as Record<string, unknown>;
    const saved = o.accBeta1;
    delete o.accBeta1;
    o.accBeta1_ = saved;
    expectInternalChanged(() => adamBetaPowers(opt), 'AdamOptimizer.accBeta1');
    if (nativeKernelsEnabled()) {
      const v = tf.variable(tf.ones([3]));
      const g = tf.onesLike(v);
      expectInternalChanged(() => opt.applyGradients({ [v.name]: g }), 'AdamOptimizer.accBeta1');
      tf.dispose([v, g]);
    }
    o.accBeta1 = saved;
    delete o.accBeta1_;
    opt.dispose();
  });

  it("sets a Dropout layer's seed, and reports a Dropout without one", () => {
    const layer = tfl.layers.dropout({ rate: 0.5 });
    setDropoutSeed(layer, 1234);
    expect(layer.getConfig().seed).toBe(1234);
    expectInternalChanged(() => setDropoutSeed({ getClassName: () => 'Dropout' }, 1), 'Dropout.seed');
    expect(() => setDropoutSeed(tfl.layers.dense({ units: 2 }), 1)).toThrow(/not a Dropout layer/);
  });

  it("reaches the wasm backend's heap, and reports a backend without one", () => {
    const t = tf.tensor([1, 2, 3]);
    const be = wasmBackend(tf.backend());
    const off = wasmHeapOffset(be, t);
    expect(Array.from(new Float32Array(be.wasm.HEAPU8.buffer, off, 3))).toEqual([1, 2, 3]);
    t.dispose();
    expectInternalChanged(() => wasmBackend({}), 'BackendWasm.wasm.HEAPU8');
    expectInternalChanged(() => wasmBackend({ wasm: { HEAPU8: new Uint8Array(1) } }), 'BackendWasm.dataIdMap');
  });

  it('finds registered variables and initialised backends without initialising any', () => {
    const v = tf.variable(tf.zeros([2]), true, 'mtljs_internals_test_var');
    expect(registeredVariable('mtljs_internals_test_var')).toBe(v);
    v.dispose();
    expect(() => registeredVariable('mtljs_internals_test_var')).toThrow(/no variable named/);
    expect(initializedBackend('wasm')).toBe(tf.backend());
    expect(initializedBackend('no-such-backend')).toBeUndefined();
  });

  it("reports a gradient tape recorder that is gone (Engine.startTape), and Tape works again once it is back", () => {
    const engine = tf.engine() as unknown as Record<string, unknown>;
    engine.startTape = undefined; // shadows the prototype's method
    try {
      expectInternalChanged(() => Tape.record(() => tf.scalar(1)), 'Engine.startTape');
    } finally {
      delete engine.startTape;
    }
    const x = tf.scalar(3);
    const { tape, result } = Tape.record(() => tf.square(x));
    const [g] = tape.grad(result, [x]);
    expect(g!.dataSync()[0]).toBe(6);
    tf.dispose([x, result, g!]);
    tape.dispose();
  });
});
