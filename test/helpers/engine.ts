/**
 * Set-up and comparisons shared by the engine tests (test/engine/): running a computation on a
 * backend and reading its outputs back, the worst relative difference between two runs, seeded
 * inputs, the pure-wasm set-up, leak checks and calling a kernel with raw TensorInfo inputs.
 */
import { beforeAll, expect } from 'vitest';
import { initBackend } from '../../src/engine/backend.js';
import { tf } from '../../src/engine/tf.js';

export type Computation = () => tf.Tensor | tf.Tensor[];
export interface Output { shape: number[]; values: Float32Array }

/** Seeded normal tensor: the same values on every backend. */
export const randn = (shape: number[], seed: number): tf.Tensor => tf.randomNormal(shape, 0, 1, 'float32', seed);

/** Runs `fn` on the current backend; returns the outputs' shapes and values (tensors disposed). */
export function outputs(fn: Computation): Output[] {
  const out = tf.tidy(fn);
  const list = Array.isArray(out) ? out : [out];
  const res = list.map((t) => ({ shape: t.shape.slice(), values: Float32Array.from(t.dataSync()) }));
  tf.dispose(list);
  return res;
}

/** Runs `fn` on `backend` (which stays the current one). */
export async function runOn(backend: 'cpu' | 'wasm', fn: Computation): Promise<Output[]> {
  await tf.setBackend(backend);
  return outputs(fn);
}

/** max |ref − got| relative to max(1, max |ref|); a NaN matches only a NaN (otherwise the difference is Infinity). */
export function relDiff(ref: ArrayLike<number>, got: ArrayLike<number>): number {
  expect(got.length).toBe(ref.length);
  let diff = 0;
  let scale = 1;
  for (let j = 0; j < ref.length; j++) {
    const v = ref[j]!;
    const g = got[j]!;
    diff = Math.max(diff, Number.isNaN(v) || Number.isNaN(g) ? (Number.isNaN(v) && Number.isNaN(g) ? 0 : Infinity) : Math.abs(v - g));
    scale = Math.max(scale, Math.abs(v));
  }
  return diff / scale;
}

/** The worst relDiff over the outputs, which must be as many and of the same shapes. */
export function worstRelDiff(ref: Output[], got: Output[]): number {
  expect(got.length).toBe(ref.length);
  return ref.reduce((worst, r, i) => {
    expect(got[i]!.shape).toEqual(r.shape);
    return Math.max(worst, relDiff(r.values, got[i]!.values));
  }, 0);
}

/** Worst relative difference of `fn` on wasm vs the cpu backend (wasm stays current). */
export async function cpuVsWasm(fn: Computation): Promise<number> {
  const ref = await runOn('cpu', fn);
  const got = await runOn('wasm', fn);
  return worstRelDiff(ref, got);
}

/**
 * For files that test the pure-wasm kernels: the native ones (test/engine/native.test.ts) stay off
 * (MTL_NATIVE=0, set when this is called, before the backend starts), and wasm is initialised first.
 */
export function usePureWasm(): void {
  process.env.MTL_NATIVE = '0';
  beforeAll(async () => {
    expect(await initBackend('wasm')).toBe('wasm');
  });
}

/** Data ids the current backend holds. */
export function backendDataIds(): number {
  return (tf.engine().backend as unknown as { numDataIds(): number }).numDataIds();
}

/**
 * Runs `run` once to warm up (lazy backend state), then again with the engine checking every kernel
 * for leaked data ids (IS_TEST), and expects no more tensors and data ids than before apart from
 * the tensor the second run returns (if any), which is returned.
 */
export function expectNoLeaks<T extends tf.Tensor | void>(run: () => T): T {
  const warmUp = run();
  if (warmUp instanceof tf.Tensor) warmUp.dispose();
  const tensors = tf.memory().numTensors;
  const dataIds = backendDataIds();
  const wasTest = tf.env().getBool('IS_TEST');
  tf.env().set('IS_TEST', true);
  let result: T;
  try {
    result = run();
  } finally {
    tf.env().set('IS_TEST', wasTest);
  }
  const kept = result instanceof tf.Tensor ? 1 : 0;
  expect(tf.memory().numTensors).toBe(tensors + kept);
  expect(backendDataIds()).toBe(dataIds + kept);
  return result;
}

/** Calls the wasm kernel `name` itself with raw TensorInfo inputs (as a backend does), not through the engine. */
export function runKernelDirectly(name: string, inputs: Record<string, tf.Tensor>, attrs: object): tf.Tensor {
  const infos = Object.fromEntries(Object.entries(inputs).map(([k, t]) => [k, { dataId: t.dataId, shape: t.shape, dtype: t.dtype }]));
  const { kernelFunc } = tf.getKernel(name, 'wasm');
  const out = kernelFunc({ inputs: infos, backend: tf.engine().backend, attrs: attrs as tf.NamedAttrMap }) as tf.Tensor | tf.TensorInfo;
  return out instanceof tf.Tensor ? out : tf.engine().makeTensorFromTensorInfo(out);
}
