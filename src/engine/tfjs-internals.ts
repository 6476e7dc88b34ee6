/**
 * The one place in mtljs that touches TensorFlow.js internals: fields and methods that tfjs declares
 * private (or keeps undocumented), whose names and shapes may change in any tfjs release without notice.
 * Every other module goes through the accessors here, never through `as unknown as` casts into tfjs
 * objects, so that a tfjs upgrade has one file to review and fails loudly in one way:
 *
 *   each accessor checks at run time that the internal exists and has the shape mtljs relies on, and
 *   otherwise throws a TfjsInternalsError naming the internal and the tfjs version mtljs was tested with
 *   (TESTED_TFJS_VERSION), instead of silently computing something else.
 *
 * What is reached into, and by whom:
 *  - the engine's gradient tape (`startTape`/`endTape` are private, `state.activeTape`,
 *    `state.gradientDepth`): src/engine/tape.ts records a forward pass once and walks it back many times;
 *  - the engine's variable and backend registries (`registeredVariables`, `registry`) and
 *    `makeTensorFromTensorInfo`: the fused Adam (as tfjs's Adam does), wasm-threads.ts / backend.ts (is
 *    wasm started, without starting it), the JS-composed kernels (src/engine/kernels/kernel-util.ts);
 *  - `Engine.runKernelFunc` with a forward and a backward function (what tf.customGrad runs on): the
 *    fused layer ops and losses with lazy per-input gradients (src/engine/fused.ts);
 *  - AdamOptimizer's private state (`accBeta1`/`accBeta2`, the moment accumulators, β, ε, lr):
 *    src/engine/native/adam.ts (the fused update) and src/train/optimizer.ts (exact β powers in checkpoints);
 *  - tfjs-layers Dropout's private `seed`: src/train/dropout-seeds.ts (a fresh, reproducible mask per step);
 *  - BackendWasm's heap (`wasm.HEAPU8`, `dataIdMap` offsets, `makeOutput`, `typedArrayFromHeap`, ref
 *    counts): the native kernels and the fused Adam (src/engine/native/), the MaxPoolGrad kernel;
 *  - tfjs-backend-wasm's threaded build (its emscripten module's `PThread` pool and `tfjs` bindings, the
 *    worker script and glue files in wasm-out/, the emscripten `load` message, the
 *    WASM_HAS_MULTITHREAD_SUPPORT flag): src/engine/wasm-threads.ts.
 * Public tfjs API (tf.*, KernelBackend's readSync/incRef/disposeData, kernel (un)registration) is used
 * directly everywhere and is not listed here.
 *
 * Nothing here patches a tfjs class or prototype: mtljs's own behaviour (the fused Adam) lives in its own
 * classes, so a tfjs object created by user code in the same process stays stock tfjs.
 *
 * This module is part of the browser entry (through tape.ts): it imports no Node module. The threaded
 * wasm section says which files of the package to read and checks what was read; wasm-threads.ts reads them.
 */
import { tf } from './tf.js';

/** The tfjs release (tfjs-core, -layers, -backend-wasm) whose internals mtljs was written and tested against. */
export const TESTED_TFJS_VERSION = '4.22.0';

/** A tfjs internal mtljs relies on is missing or has changed shape (a tfjs version mtljs was not tested with). */
export class TfjsInternalsError extends Error {
  constructor(readonly internal: string, expected: string) {
    super(
      `mtljs relies on the tfjs internal ${internal}, which is missing or has changed in this tfjs ` +
        `(tfjs-core ${tf.version_core}): expected ${expected}. mtljs was tested with tfjs ${TESTED_TFJS_VERSION}; ` +
        `use that version, or update src/engine/tfjs-internals.ts for this one.`,
    );
    this.name = 'TfjsInternalsError';
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;
const isFunction = (v: unknown): v is (...args: never[]) => unknown => typeof v === 'function';

/*
 * Note: `instanceof` cannot tell tfjs classes apart. tfjs-core defines Symbol.hasInstance on Tensor and
 * on Optimizer as duck typing (anything with dataSync / applyGradients), inherited by their subclasses:
 * `sgd instanceof tf.AdamOptimizer` and `tensor instanceof tf.Variable` are true. Class checks here
 * walk the prototype chain instead.
 */
const isVariable = (v: unknown): v is tf.Variable =>
  v instanceof tf.Tensor && isFunction((v as { assign?: unknown }).assign) && typeof (v as { trainable?: unknown }).trainable === 'boolean';

/** Whether an optimizer is tfjs's AdamOptimizer or a subclass of it (mtljs's FusedAdamOptimizer). */
export function isAdamOptimizer(opt: unknown): opt is tf.AdamOptimizer {
  return isObject(opt) && Object.prototype.isPrototypeOf.call(tf.AdamOptimizer.prototype, opt);
}

// ---------------------------------------------------------------------------------------------------
// Engine: gradient tape, registries

/** A node of the engine's gradient tape (tfjs-core tape.ts, TapeNode). */
export interface TapeNode {
  id: number;
  kernelName: string;
  inputs: Record<string, tf.Tensor>;
  outputs: tf.Tensor[];
  gradient?: (dys: (tf.Tensor | null)[]) => Record<string, () => tf.Tensor>;
  saved?: tf.Tensor[];
}

interface EngineTapeInternals {
  state: { activeTape: TapeNode[] | null; gradientDepth: number };
  startTape(): void;
  endTape(): void;
}

function engineTape(): EngineTapeInternals {
  const engine = tf.engine() as unknown as Partial<EngineTapeInternals>;
  if (!isFunction(engine.startTape) || !isFunction(engine.endTape)) {
    throw new TfjsInternalsError('Engine.startTape/endTape (the gradient tape recorder)', 'two methods on tf.engine()');
  }
  if (!isObject(engine.state) || typeof engine.state.gradientDepth !== 'number') {
    throw new TfjsInternalsError('Engine.state.gradientDepth', 'a number on tf.engine().state');
  }
  return engine as EngineTapeInternals;
}

/** How many gradient computations (tf.grads, variableGrads, …) are running now (0 outside any). */
export function gradientDepth(): number {
  return engineTape().state.gradientDepth;
}

/** Starts recording the kernels that run into a new gradient tape (tf.grads's own recorder). */
export function startTapeRecording(): void {
  const engine = engineTape();
  engine.startTape();
  if (!Array.isArray(engine.state.activeTape)) {
    engine.endTape();
    throw new TfjsInternalsError('Engine.state.activeTape', 'the array startTape() records into');
  }
}

/** Stops the recording started by startTapeRecording and hands over the recorded nodes (the engine forgets them). */
export function stopTapeRecording(): TapeNode[] {
  const engine = engineTape();
  engine.endTape();
  const nodes = engine.state.activeTape ?? [];
  engine.state.activeTape = null;
  if (!Array.isArray(nodes)) throw new TfjsInternalsError('Engine.state.activeTape', 'an array of tape nodes');
  for (const n of nodes as unknown[]) {
    if (!isObject(n) || typeof n.kernelName !== 'string' || !isObject(n.inputs) || !Array.isArray(n.outputs) ||
      (n.gradient != null && !isFunction(n.gradient)) || (n.saved != null && !Array.isArray(n.saved))) {
      throw new TfjsInternalsError('the gradient tape node (TapeNode)', '{ id, kernelName, inputs, outputs, gradient?, saved? }');
    }
  }
  return nodes;
}

/** The registered variable of that name (what the engine's optimizers look parameters up by). */
export function registeredVariable(name: string): tf.Variable {
  const vars = (tf.engine() as unknown as { registeredVariables?: unknown }).registeredVariables;
  if (!isObject(vars)) throw new TfjsInternalsError('Engine.registeredVariables', 'a map from names to tf.Variable');
  const v = vars[name];
  if (!isVariable(v)) throw new Error(`no variable named "${name}" is registered with the tfjs engine`);
  return v;
}

/** The backend of that name if it has been initialised in this process; never initialises one (tf.findBackend would). */
export function initializedBackend(name: string): unknown {
  const registry = (tf.engine() as unknown as { registry?: unknown }).registry;
  if (!isObject(registry)) throw new TfjsInternalsError('Engine.registry', 'a map from backend names to initialised backends');
  return registry[name] ?? undefined;
}

/** A Tensor over a backend's TensorInfo (the data is not copied; the tensor takes the reference it is given). */
export function tensorFromTensorInfo(info: tf.TensorInfo): tf.Tensor {
  const engine = tf.engine() as unknown as { makeTensorFromTensorInfo?: unknown };
  if (!isFunction(engine.makeTensorFromTensorInfo)) {
    throw new TfjsInternalsError('Engine.makeTensorFromTensorInfo', 'a method on tf.engine()');
  }
  return tf.engine().makeTensorFromTensorInfo(info);
}

/**
 * Gradient functions of a composite op, per input, called only for the inputs a gradient is asked for
 * (an input that needs none, e.g. a batch of data, costs nothing).
 */
export type CompositeGradients = Record<string, () => tf.Tensor>;

/**
 * Runs `forward` as one node of the engine's gradient tape, as tf.customGrad does, but with lazy
 * per-input gradients: tf.customGrad computes the gradients of every input before the engine asks
 * for any, so the input gradient of a first layer (an unused product as large as the layer's) would
 * always be paid. `forward` runs unrecorded (its kernels are not on the tape); `save` keeps tensors for
 * the backward pass (kept only while a tape records, and freed with the tape); `backward(dy, saved)`
 * gives a function per input. Uses Engine.runKernelFunc's custom-gradient form, which tf.customGrad
 * is built on.
 */
export function runCompositeOp(
  inputs: Record<string, tf.Tensor>,
  forward: (save: (tensors: tf.Tensor[]) => void) => tf.Tensor,
  backward: (dy: tf.Tensor, saved: tf.Tensor[]) => CompositeGradients,
): tf.Tensor {
  const engine = tf.engine() as unknown as { runKernelFunc?: unknown };
  if (!isFunction(engine.runKernelFunc)) throw new TfjsInternalsError('Engine.runKernelFunc', 'a method on tf.engine()');
  const run = engine.runKernelFunc as (params: {
    forwardFunc: (backend: unknown, save: (tensors: tf.Tensor[]) => void) => tf.Tensor;
    backwardsFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => CompositeGradients;
    inputs: Record<string, tf.Tensor>;
  }) => tf.Tensor;
  return run.call(engine, { forwardFunc: (_backend, save) => forward(save), backwardsFunc: backward, inputs });
}

// ---------------------------------------------------------------------------------------------------
// AdamOptimizer

/** A moment accumulator slot of tfjs's AdamOptimizer. */
export interface AdamSlot {
  originalName: string;
  variable: tf.Variable;
}

/** The private state of tfjs's AdamOptimizer (tfjs-core adam_optimizer.ts), read and written in place. */
export interface AdamInternals {
  readonly learningRate: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  /** β₁ᵗ and β₂ᵗ, kept as running products. */
  readonly accBeta1: tf.Variable;
  readonly accBeta2: tf.Variable;
  /** m and v per variable, by the position of the variable in applyGradients' argument; created lazily. */
  readonly accumulatedFirstMoment: Array<AdamSlot | undefined>;
  readonly accumulatedSecondMoment: Array<AdamSlot | undefined>;
}

/** The private state of an AdamOptimizer (the object itself, typed), checked. */
export function adamInternals(opt: tf.AdamOptimizer): AdamInternals {
  if (!isAdamOptimizer(opt)) throw new Error('adamInternals: not a tf.AdamOptimizer');
  const o = opt as unknown as Record<string, unknown>;
  for (const k of ['learningRate', 'beta1', 'beta2', 'epsilon']) {
    if (typeof o[k] !== 'number') throw new TfjsInternalsError(`AdamOptimizer.${k}`, 'a number');
  }
  for (const k of ['accBeta1', 'accBeta2']) {
    if (!isVariable(o[k])) throw new TfjsInternalsError(`AdamOptimizer.${k}`, 'a scalar tf.Variable (β₁ᵗ / β₂ᵗ)');
  }
  for (const k of ['accumulatedFirstMoment', 'accumulatedSecondMoment']) {
    if (!Array.isArray(o[k])) throw new TfjsInternalsError(`AdamOptimizer.${k}`, 'an array of { originalName, variable } slots');
  }
  return o as unknown as AdamInternals;
}

/** β₁ᵗ and β₂ᵗ of an Adam optimizer (the variables themselves), or null for any other optimizer. */
export function adamBetaPowers(opt: tf.Optimizer): { accBeta1: tf.Variable; accBeta2: tf.Variable } | null {
  if (!isAdamOptimizer(opt)) return null;
  const { accBeta1, accBeta2 } = adamInternals(opt);
  return { accBeta1, accBeta2 };
}

/**
 * Sets an optimizer's learning rate (the reduce-lr divergence policy). SGD and momentum have a public
 * setLearningRate; Adam keeps its rate in a protected field, read by every update.
 */
export function setLearningRate(opt: tf.Optimizer, lr: number): void {
  const withSetter = opt as unknown as { setLearningRate?: (lr: number) => void };
  if (typeof withSetter.setLearningRate === 'function') {
    withSetter.setLearningRate(lr);
    return;
  }
  const o = opt as unknown as Record<string, unknown>;
  if (typeof o['learningRate'] !== 'number') throw new TfjsInternalsError(`${opt.getClassName()}.learningRate`, 'a number');
  o['learningRate'] = lr;
}

// ---------------------------------------------------------------------------------------------------
// tfjs-layers Dropout

const DROPOUT_CLASSES = new Set(['Dropout', 'SpatialDropout1D']);

/** Whether a layer is a tfjs-layers Dropout (or its subclass SpatialDropout1D), by its registered class name. */
export function isDropoutLayer(layer: { getClassName(): string }): boolean {
  return DROPOUT_CLASSES.has(layer.getClassName());
}

/**
 * Sets the seed a Dropout layer passes to tf.dropout on its next call (tfjs-layers keeps it in the
 * private, construction-time `seed` field: set from the layer's `seed` argument, undefined without one).
 */
export function setDropoutSeed(layer: { getClassName(): string }, seed: number): void {
  if (!isDropoutLayer(layer)) throw new Error(`setDropoutSeed: ${layer.getClassName()} is not a Dropout layer`);
  const l = layer as unknown as Record<string, unknown>;
  const d = Object.getOwnPropertyDescriptor(l, 'seed');
  if (d == null || !d.writable || (d.value !== undefined && typeof d.value !== 'number')) {
    throw new TfjsInternalsError(`${layer.getClassName()}.seed (tfjs-layers Dropout)`, 'a writable own property holding a number or undefined');
  }
  l.seed = seed;
}

// ---------------------------------------------------------------------------------------------------
// BackendWasm: the heap

/** The parts of tfjs-backend-wasm's BackendWasm that the heap-level kernels use. */
export interface WasmBackendInternals {
  wasm: { HEAPU8: Uint8Array };
  dataIdMap: { get(dataId: object): { memoryOffset: number; refCount: number } | undefined };
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(info: tf.TensorInfo): tf.TypedArray;
  disposeData(dataId: object, force?: boolean): boolean;
  refCount(dataId: object): number;
}

const checkedWasmBackends = new WeakSet<object>();

/** A kernel's `backend` argument (or tf.backend()) as the wasm backend's heap-level interface, checked once per backend. */
export function wasmBackend(backend: unknown = tf.backend()): WasmBackendInternals {
  if (isObject(backend) && checkedWasmBackends.has(backend)) return backend as unknown as WasmBackendInternals;
  const b = backend as Partial<Record<keyof WasmBackendInternals, unknown>>;
  if (!isObject(b) || !isObject(b.wasm) || !(b.wasm.HEAPU8 instanceof Uint8Array)) {
    throw new TfjsInternalsError('BackendWasm.wasm.HEAPU8', "the wasm module's heap as a Uint8Array");
  }
  if (!isObject(b.dataIdMap) || !isFunction(b.dataIdMap.get)) {
    throw new TfjsInternalsError('BackendWasm.dataIdMap', 'a DataStorage with get(dataId) → { memoryOffset, refCount }');
  }
  for (const k of ['makeOutput', 'typedArrayFromHeap', 'disposeData', 'refCount'] as const) {
    if (!isFunction(b[k])) throw new TfjsInternalsError(`BackendWasm.${k}`, 'a method');
  }
  checkedWasmBackends.add(b);
  return b as unknown as WasmBackendInternals;
}

interface WasmTensorRegistry {
  disposeData(id: number): void;
  registerTensor(id: number, size: number, memoryOffset: number): void;
}

/**
 * Tells the wasm module that a tensor's values changed in place (the fused Adam writes parameters on
 * the heap without a new tensor). tfjs-backend-wasm's XNNPACK kernels cache operators keyed by their
 * weights' tensor id — a MatMul's packed weights, a Conv2D's packed filter — and drop them only when that
 * id is disposed; after an in-place write they would go on computing with the old values. So the id is
 * disposed in the module (which runs the caches' disposal callbacks) and registered again at the same
 * memory: the JavaScript side (dataIdMap, refCount) is untouched and nothing is freed or copied.
 * Measured before this: with the native kernels on, an Adam run's small last batch (below the native
 * GEMM's size threshold, so on XNNPACK) used weights from an earlier epoch, and a resumed run differed
 * from the uninterrupted one.
 */
export function wasmValuesChangedInPlace(backend: WasmBackendInternals, t: tf.TensorInfo): void {
  const d = backend.dataIdMap.get(t.dataId) as { id?: unknown; memoryOffset: number } | undefined;
  const registry = (backend.wasm as { tfjs?: Partial<WasmTensorRegistry> }).tfjs;
  if (d == null) return;
  if (typeof d.id !== 'number' || !registry || !isFunction(registry.disposeData) || !isFunction(registry.registerTensor)) {
    throw new TfjsInternalsError('BackendWasm.wasm.tfjs.{disposeData,registerTensor} and dataIdMap id', "the wasm module's tensor registry");
  }
  registry.disposeData(d.id);
  registry.registerTensor(d.id, t.shape.reduce((a, b) => a * b, 1), d.memoryOffset);
}

/** Byte offset of a tensor's data on the wasm heap, or null when it is not there (another backend's tensor). */
export function wasmHeapOffsetOrNull(backend: WasmBackendInternals, t: tf.TensorInfo): number | null {
  const d = backend.dataIdMap.get(t.dataId);
  if (d == null) return null;
  if (typeof d.memoryOffset !== 'number') throw new TfjsInternalsError('BackendWasm.dataIdMap entries (TensorData.memoryOffset)', 'a byte offset on the heap');
  return d.memoryOffset;
}

/** Byte offset of a tensor's data on the wasm heap. */
export function wasmHeapOffset(backend: WasmBackendInternals, t: tf.TensorInfo): number {
  const off = wasmHeapOffsetOrNull(backend, t);
  if (off == null) throw new Error('tensor data is not on the wasm backend');
  return off;
}

// ---------------------------------------------------------------------------------------------------
// tfjs-backend-wasm's threaded build (used by src/engine/wasm-threads.ts only)

/** The parts of the wasm backend's emscripten module that the threaded start uses. */
export interface WasmModuleInternals {
  PThread?: { runningWorkers: Array<{ unref?: () => void }>; unusedWorkers: Array<{ unref?: () => void }> };
  tfjs?: { getThreadsCount(): number };
}

/** The initialised wasm backend's emscripten module, if wasm has started (never starts it). */
export function wasmModule(): WasmModuleInternals | undefined {
  const backend = initializedBackend('wasm');
  if (backend == null) return undefined;
  const m = (backend as { wasm?: unknown }).wasm;
  if (!isObject(m)) throw new TfjsInternalsError('BackendWasm.wasm', 'the emscripten module');
  const { PThread, tfjs } = m as { PThread?: unknown; tfjs?: unknown };
  if (PThread != null && (!isObject(PThread) || !Array.isArray(PThread.runningWorkers) || !Array.isArray(PThread.unusedWorkers))) {
    throw new TfjsInternalsError('the wasm module\'s PThread pool', '{ runningWorkers, unusedWorkers } arrays');
  }
  if (tfjs != null && (!isObject(tfjs) || !isFunction(tfjs.getThreadsCount))) {
    throw new TfjsInternalsError('the wasm module\'s tfjs.getThreadsCount binding', 'a function');
  }
  return m as WasmModuleInternals;
}

/** Turns tfjs-backend-wasm's (undocumented) WASM_HAS_MULTITHREAD_SUPPORT flag on or off. */
export function setWasmMultithreadSupport(on: boolean): void {
  try {
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', on);
  } catch {
    throw new TfjsInternalsError('the WASM_HAS_MULTITHREAD_SUPPORT flag of tfjs-backend-wasm', 'a registered boolean flag (import the wasm backend first)');
  }
}

/**
 * The threaded SIMD build's files, relative to the tfjs-backend-wasm package folder: the emscripten glue
 * (main script), and a CommonJS module that exports the worker script as a string (`wasmWorkerContents`,
 * from which the package makes a blob: URL in browsers).
 */
export const THREADED_WASM_FILES = {
  glue: ['wasm-out', 'tfjs-backend-wasm-threaded-simd.js'],
  workerModule: ['wasm-out', 'tfjs-backend-wasm-threaded-simd.worker.js'],
} as const;

/** The error for a THREADED_WASM_FILES file that is not there. */
export function missingThreadedWasmFile(file: string): TfjsInternalsError {
  return new TfjsInternalsError(`tfjs-backend-wasm's threaded build file ${file}`, 'a file of the package');
}

/** The worker script out of the loaded worker module (`load` fails are reported as a changed internal too). */
export function threadedWasmWorkerSource(load: () => unknown, file: string): string {
  let contents: unknown;
  try {
    contents = (load() as { wasmWorkerContents?: unknown } | null)?.wasmWorkerContents;
  } catch {
    contents = undefined;
  }
  if (typeof contents !== 'string' || !contents.includes('WasmBackendModuleThreadedSimd')) {
    throw new TfjsInternalsError(`the threaded build's worker script (${file}: wasmWorkerContents)`, 'the worker script as a string');
  }
  return contents;
}

/**
 * The message the main thread posts to a new pthread worker, with the main script (a Blob of the bundled
 * glue, which worker_threads cannot load) replaced by the glue's path; other messages unchanged.
 * (emscripten's pthread protocol: `{ cmd: 'load', urlOrBlob, … }`.)
 */
export function threadedWasmLoadMessage(message: unknown, gluePath: string): unknown {
  const m = message as { cmd?: unknown; urlOrBlob?: unknown } | null;
  if (isObject(m) && m.cmd === 'load' && typeof m.urlOrBlob !== 'string') return { ...m, urlOrBlob: gluePath };
  return message;
}
