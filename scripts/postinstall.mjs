#!/usr/bin/env node
// Install-time build of the optional native kernels (native/mtl_kernels.cc), so the first training run
// does not pay the few seconds of g++. It never fails an install: without a compiler, Node's headers,
// or with MTL_NATIVE=0, it says so and the addon is built (or skipped) at first use as before. npm 11
// does not run a dependency's install scripts unless the user approves them; then too, first use builds.
import { existsSync } from 'node:fs';

const src = new URL('../src/engine/native/build.ts', import.meta.url);
const dist = new URL('../dist/engine/native/build.js', import.meta.url);
try {
  let mod;
  if (existsSync(src)) {
    const { register } = await import('tsx/esm/api');
    register();
    mod = await import(src.href);
  } else if (existsSync(dist)) {
    mod = await import(dist.href);
  } else {
    process.exit(0);
  }
  if (mod.nativeDisabledByEnv()) {
    console.log('mtljs: MTL_NATIVE=0, native kernels not built (pure wasm)');
  } else {
    const t0 = Date.now();
    const { path, built } = mod.buildNative();
    console.log(`mtljs: native kernels ${built ? `built in ${((Date.now() - t0) / 1000).toFixed(1)} s` : 'already built'}: ${path}`);
  }
} catch (e) {
  const msg = e instanceof Error ? e.message.split('\n')[0] : String(e);
  console.log(`mtljs: native kernels not built at install (${msg}); training uses the wasm kernels, or builds them at first use`);
}
process.exit(0);
