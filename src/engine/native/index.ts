/** Optional native kernels for the wasm backend (see register.ts and build.ts). */
export { registerNativeKernels, setNativeKernelsEnabled, nativeKernelsEnabled, nativeAddon, nativeKernelOptions, nativeKernelCalls } from './register.js';
export { uninstallNativeAdam } from './adam.js';
export { loadNativeAddon, nativeStatus, buildNative, type NativeAddon, type NativeStatus } from './build.js';
