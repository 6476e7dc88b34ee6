/** Optional native kernels for the wasm backend (see register.ts and build.ts), and the fused Adam optimizer (adam.ts). */
export { registerNativeKernels, nativeKernelOptions } from './register.js';
export { setNativeKernelsEnabled, nativeKernelsEnabled, nativeAddon, nativeKernelCalls } from './state.js';
export { FusedAdamOptimizer, fusedAdam } from './adam.js';
export { loadNativeAddon, nativeStatus, buildNative, type NativeAddon, type NativeStatus } from './build.js';
