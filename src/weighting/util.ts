/** Small helpers shared by the weighting methods: reading loss values, options, and state encoding. */
import { tf, type Tensor } from '../engine/tf.js';

/** The current values of scalar loss tensors (one sync; the stacked copy is disposed). */
export function lossValues(losses: Tensor[]): number[] {
  const stacked = tf.tidy(() => tf.stack(losses.map((l) => tf.reshape(l, []))));
  const v = Array.from(stacked.dataSync());
  stacked.dispose();
  return v;
}

/** A finite number option, or the default; throws on anything else. */
export function numberOption(options: Record<string, unknown>, key: string, def: number, method: string): number {
  const v = options[key];
  if (v === undefined) return def;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`${method} weighting: option "${key}" must be a finite number, got ${JSON.stringify(v)}`);
  return v;
}

/** A per-task number option: a single number (broadcast), an array of T numbers, or the default. */
export function perTaskOption(options: Record<string, unknown>, key: string, T: number, def: number, method: string): number[] {
  const v = options[key];
  if (v === undefined) return new Array<number>(T).fill(def);
  if (typeof v === 'number') return new Array<number>(T).fill(v);
  if (Array.isArray(v) && v.length === T && v.every((x) => typeof x === 'number')) return [...(v as number[])];
  throw new Error(`${method} weighting: option "${key}" must be a number or ${T} numbers`);
}

/** A plain object from restore(), or an error naming the method. */
export function stateObject(state: unknown, method: string): Record<string, unknown> {
  if (state === null || typeof state !== 'object' || Array.isArray(state)) throw new Error(`${method} weighting: invalid checkpoint state`);
  return state as Record<string, unknown>;
}

/** `v` as n numbers, or an error naming the method and what was expected. */
export function numbersOf(v: unknown, n: number, what: string, method: string): number[] {
  if (!Array.isArray(v) || v.length !== n || !v.every((x) => typeof x === 'number')) {
    throw new Error(`${method} weighting: checkpoint state ${what} must be ${n} numbers`);
  }
  return [...(v as number[])];
}

/** A numeric array field of a restored state, of length n. */
export function numbersField(s: Record<string, unknown>, key: string, n: number, method: string): number[] {
  return numbersOf(s[key], n, `"${key}"`, method);
}

/** Float32Array ↔ base64 (exact, and far smaller than a JSON number list for gradient buffers). */
export function encodeF32(a: Float32Array): string {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');
}

export function decodeF32(s: string): Float32Array {
  const b = Buffer.from(s, 'base64');
  const out = new Float32Array(b.byteLength / 4);
  new Uint8Array(out.buffer).set(b);
  return out;
}

export function norm(a: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * a[i]!;
  return Math.sqrt(s);
}
