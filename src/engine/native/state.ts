/**
 * What the native kernels (register.ts) and the fused Adam optimizer (adam.ts) share: the loaded addon,
 * the on/off switch and the per-kernel call counters. It lives apart from both so that neither imports
 * the other (register.ts used to install the Adam update and adam.ts used register.ts's types: an
 * import circle); both import this small module, which imports nothing at run time.
 */
import type { NativeAddon } from './build.js';

let enabled = true;
let addonRef: NativeAddon | null = null;

/** Native calls per kernel name since start (tests use it to see that the native path ran). */
export const nativeKernelCalls: Record<string, number> = {};

export function countNativeCall(name: string): void {
  nativeKernelCalls[name] = (nativeKernelCalls[name] ?? 0) + 1;
}

/** Switches the native kernels and the fused Adam update on or off (off: tfjs's / the previous kernel's code runs). */
export function setNativeKernelsEnabled(on: boolean): void {
  enabled = on;
}

/** Whether the native path is in use: the addon is loaded (registerNativeKernels succeeded) and not switched off. */
export function nativeKernelsEnabled(): boolean {
  return enabled && addonRef != null;
}

/** The loaded addon once registerNativeKernels succeeded (null before). */
export function nativeAddon(): NativeAddon | null {
  return addonRef;
}

/** Records the loaded addon (register.ts, once its kernels are in place). */
export function setNativeAddon(addon: NativeAddon): void {
  addonRef = addon;
}
