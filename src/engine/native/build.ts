/**
 * Builds and loads the optional native kernel addon (native/mtl_kernels.cc, a Node-API module).
 *
 * It is compiled at install by the package's postinstall (scripts/postinstall.mjs, which never fails an
 * install) and otherwise at first use: npm 11 does not run a dependency's install scripts unless the
 * user approves them, so the install-time build may silently not happen. The first call
 * runs `g++ -O3 ... -shared` (a few seconds) into a cache folder, named by a hash of the source, the
 * flags, the Node ABI and the platform, so a changed source or Node rebuilds and an unchanged one loads
 * at once. Parallel processes (test workers) are serialised by a lock file; the binary is written
 * under a temporary name and renamed into place.
 *
 * Cache folder: $MTL_NATIVE_CACHE, else `node_modules/.cache/mtljs` of the package (or of the
 * node_modules folder it is installed in), else `<os.tmpdir()>/mtljs-native-<uid>`.
 * Compiler: $CXX, else `g++`. Node's headers: next to the running node binary (`<prefix>/include/node`),
 * or $MTL_NODE_INCLUDE, or node-gyp's cache.
 *
 * Any failure (no compiler, no headers, a compile error, MTL_NATIVE=0) leaves `loadNativeAddon()`
 * returning null, and callers stay on the pure-wasm kernels; `nativeStatus()` says why.
 */
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The addon's functions. Offsets are byte offsets into `heap` (the wasm memory), arrays float32. */
export interface NativeAddon {
  /**
   * Row-major C = alpha op(A) op(B) + beta C for `batch` products (A items `strideA` elements apart,
   * 0 to broadcast; likewise B; C items M*N apart), then C += bias (length N or 1; biasOff < 0: none)
   * and an activation (wasm's FusableActivation codes: 0 linear, 1 relu, 2 relu6, 4 leakyrelu with
   * actAlpha, 5 sigmoid, 6 elu).
   */
  sgemm(
    heap: Uint8Array, aOff: number, bOff: number, cOff: number, batch: number, m: number, n: number, k: number,
    transA: boolean, transB: boolean, strideA: number, strideB: number, alpha: number, beta: number,
    biasOff: number, biasLen: number, act: number, actAlpha: number,
  ): void;
  /** NHWC convolution, filter [KH, KW, Ci, Co]; bias/activation as in sgemm (bias length Co or 1). */
  conv2d(heap: Uint8Array, xOff: number, wOff: number, yOff: number, ...geoAndEpilogue: number[]): void;
  /** dx [B, H, W, Ci] from dy [B, OH, OW, Co] and the filter. */
  conv2dBackpropInput(heap: Uint8Array, dyOff: number, wOff: number, dxOff: number, ...geo: number[]): void;
  /** dW [KH, KW, Ci, Co] from x [B, H, W, Ci] and dy [B, OH, OW, Co]. */
  conv2dBackpropFilter(heap: Uint8Array, xOff: number, dyOff: number, dwOff: number, ...geo: number[]): void;
  /** One Adam step in place on p, m, v (tfjs's float32 operations in tfjs's order). */
  adamUpdate(
    heap: Uint8Array, pOff: number, gOff: number, mOff: number, vOff: number, n: number,
    beta1: number, oneMinusBeta1: number, beta2: number, oneMinusBeta2: number,
    oneMinusAccBeta1: number, oneMinusAccBeta2: number, eps: number, negLr: number,
  ): void;
  /** Sets the thread count (n <= 0: one per available CPU, at most 8); returns the count in use. */
  setThreads(n: number): number;
  /** Products below this many flops per thread stay on one thread. */
  setMinFlopsPerThread(flops: number): void;
  /**
   * Convolutions (forward; input gradient at stride 1) through the indirect kernel, which reads the
   * input through a pointer per (output pixel, tap) (default, faster), or through a packed im2col.
   */
  setIndirectConv(on: boolean): void;
  info(): {
    /** avx512: the 12-row AVX-512 micro-kernels are in use (same results as the AVX2 ones, bit for bit). */
    avx2: boolean; avx512: boolean; threads: number; mr: number; nr: number; mc: number; kc: number; nc: number;
    minFlopsPerThread: number; indirectConv: boolean;
  };
}

export interface NativeStatus {
  /** Whether the addon is loaded. */
  loaded: boolean;
  /** The loaded (or attempted) binary. */
  path?: string;
  /** Whether this process compiled it (false: found in the cache). */
  built?: boolean;
  /** Why it is not loaded. */
  error?: string;
}

const FLAGS = ['-O3', '-fPIC', '-shared', '-std=c++17', '-pthread', '-ffp-contract=off', '-fno-math-errno', '-fvisibility=hidden'];
const SOURCE_NAME = 'mtl_kernels.cc';
const LOCK_STALE_MS = 180_000;
const BUILD_TIMEOUT_MS = 300_000;

const require = createRequire(import.meta.url);
const here = path.dirname(fileURLToPath(import.meta.url));

let cached: { addon: NativeAddon | null; status: NativeStatus } | null = null;

function sleepMs(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** The package root: the nearest ancestor of this module with `native/mtl_kernels.cc`. */
export function nativeSourcePath(): string | null {
  let dir = here;
  for (let i = 0; i < 8; i++) {
    const candidate = path.join(dir, 'native', SOURCE_NAME);
    if (fs.existsSync(candidate)) return candidate;
    const parent = path.dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return null;
}

/** Node's C headers (the folder holding node_api.h). */
export function nodeIncludeDir(): string | null {
  const candidates = [
    process.env.MTL_NODE_INCLUDE,
    path.join(path.dirname(process.execPath), '..', 'include', 'node'),
    process.env.npm_config_nodedir ? path.join(process.env.npm_config_nodedir, 'include', 'node') : undefined,
    path.join(os.homedir(), '.cache', 'node-gyp', process.versions.node, 'include', 'node'),
  ];
  for (const c of candidates) if (c && fs.existsSync(path.join(c, 'node_api.h'))) return path.resolve(c);
  return null;
}

function writableDir(dir: string): boolean {
  try {
    fs.mkdirSync(dir, { recursive: true });
    fs.accessSync(dir, fs.constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/** Where built binaries are kept (see the module comment). */
export function nativeCacheDir(packageRoot: string): string {
  if (process.env.MTL_NATIVE_CACHE) return path.resolve(process.env.MTL_NATIVE_CACHE);
  const candidates: string[] = [];
  if (fs.existsSync(path.join(packageRoot, 'node_modules'))) candidates.push(path.join(packageRoot, 'node_modules', '.cache', 'mtljs'));
  // Installed as a dependency: <project>/node_modules/mtljs -> <project>/node_modules/.cache/mtljs.
  const parts = packageRoot.split(path.sep);
  const nm = parts.lastIndexOf('node_modules');
  if (nm > 0) candidates.push(path.join(parts.slice(0, nm + 1).join(path.sep) || path.sep, '.cache', 'mtljs'));
  for (const c of candidates) if (writableDir(c)) return c;
  const uid = typeof process.getuid === 'function' ? process.getuid() : 'user';
  return path.join(os.tmpdir(), `mtljs-native-${uid}`);
}

function compilerName(): string {
  return process.env.CXX || 'g++';
}

function binaryName(source: string): string {
  const h = crypto.createHash('sha256');
  h.update(fs.readFileSync(source));
  h.update(JSON.stringify([FLAGS, compilerName(), process.versions.modules, process.versions.napi, process.platform, process.arch]));
  return `mtl_kernels-${h.digest('hex').slice(0, 16)}.node`;
}

function lockIsStale(lock: string): boolean {
  try {
    const st = fs.statSync(lock);
    if (Date.now() - st.mtimeMs > LOCK_STALE_MS) return true;
    const pid = Number(fs.readFileSync(lock, 'utf8').trim());
    if (!Number.isInteger(pid) || pid <= 0) return Date.now() - st.mtimeMs > 2000; // being written
    try {
      process.kill(pid, 0);
      return false;
    } catch (e) {
      return (e as NodeJS.ErrnoException).code === 'ESRCH';
    }
  } catch {
    return false; // gone meanwhile: the next attempt takes it
  }
}

function tail(text: string, lines = 15): string {
  return text.trim().split('\n').slice(-lines).join('\n');
}

/**
 * Compiles the addon into the cache unless it is there already; returns its path. Throws with the
 * compiler's message on failure. `force` rebuilds.
 */
/** Where the binary for the current source, flags and Node is (or would be) cached. */
export function nativeTargetPath(): string {
  const source = nativeSourcePath();
  if (!source) throw new Error(`native source ${SOURCE_NAME} not found above ${here}`);
  return path.join(nativeCacheDir(path.dirname(path.dirname(source))), binaryName(source));
}

export function buildNative(options: { force?: boolean; log?: (msg: string) => void } = {}): { path: string; built: boolean } {
  const source = nativeSourcePath();
  if (!source) throw new Error(`native source ${SOURCE_NAME} not found above ${here}`);
  const target = nativeTargetPath();
  const dir = path.dirname(target);
  if (!writableDir(dir)) throw new Error(`cannot write the native cache folder ${dir}`);
  if (!options.force && fs.existsSync(target)) return { path: target, built: false };

  const include = nodeIncludeDir();
  if (!include) throw new Error(`Node's headers (node_api.h) not found; set MTL_NODE_INCLUDE to <node prefix>/include/node`);

  const lock = `${target}.lock`;
  const deadline = Date.now() + BUILD_TIMEOUT_MS;
  for (;;) {
    try {
      const fd = fs.openSync(lock, 'wx');
      fs.writeSync(fd, String(process.pid));
      fs.closeSync(fd);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      // Another process is building: wait for its result, or take over a stale lock (its builder
      // is gone, or it is older than any build takes).
      if (!options.force && fs.existsSync(target)) return { path: target, built: false };
      if (lockIsStale(lock)) takeOverStaleLock(lock);
      else if (Date.now() > deadline) throw new Error(`timed out waiting for the native build lock ${lock}`);
      else sleepMs(100);
    }
  }
  try {
    if (!options.force && fs.existsSync(target)) return { path: target, built: false };
    const tmp = `${target}.${process.pid}.tmp`;
    const args = [...FLAGS, `-I${include}`, source, '-o', tmp];
    options.log?.(`native: ${compilerName()} ${args.join(' ')}`);
    const res = spawnSync(compilerName(), args, { encoding: 'utf8', timeout: BUILD_TIMEOUT_MS });
    if (res.error) throw new Error(`native build: cannot run ${compilerName()}: ${res.error.message}`);
    if (res.status !== 0) {
      fs.rmSync(tmp, { force: true });
      throw new Error(`native build failed (${compilerName()} exit ${res.status}):\n${tail(res.stderr || res.stdout || '')}`);
    }
    fs.renameSync(tmp, target);
    pruneStale(dir, path.basename(target));
    return { path: target, built: true };
  } finally {
    releaseLock(lock);
  }
}

/**
 * Removes a stale lock so that exactly one waiting process can take its place. Two processes may both
 * judge the same lock stale; a plain delete by the slower one would then remove the fresh lock the
 * faster one has just created, and both would build. Renaming is atomic: only one process moves the
 * lock aside, and one that finds it moved a live lock (not the stale one it judged) puts it back.
 */
function takeOverStaleLock(lock: string): void {
  const aside = `${lock}.stale-${process.pid}-${Date.now()}`;
  try {
    fs.renameSync(lock, aside);
  } catch {
    return; // someone else moved it first
  }
  if (!lockIsStale(aside)) {
    try {
      fs.linkSync(aside, lock); // a live lock: give it back (fails if a new one exists: then that one rules)
    } catch {
      /* a newer lock is in place */
    }
  }
  fs.rmSync(aside, { force: true });
}

/** Removes the lock only if it is still this process's (a takeover may have replaced it). */
function releaseLock(lock: string): void {
  try {
    if (fs.readFileSync(lock, 'utf8').trim() === String(process.pid)) fs.rmSync(lock, { force: true });
  } catch {
    /* already gone */
  }
}

/** Removes binaries of other sources/flags not touched for a day (a loaded one stays mapped anyway). */
function pruneStale(dir: string, keep: string): void {
  const dayAgo = Date.now() - 24 * 3600 * 1000;
  try {
    for (const name of fs.readdirSync(dir)) {
      if (name === keep || !/^mtl_kernels-[0-9a-f]{16}\.node$/.test(name)) continue;
      const file = path.join(dir, name);
      if (fs.statSync(file).mtimeMs < dayAgo) fs.rmSync(file, { force: true });
    }
  } catch {
    // best effort
  }
}

function isAddon(x: unknown): x is NativeAddon {
  const a = x as Record<string, unknown> | null;
  return a != null && ['sgemm', 'conv2d', 'conv2dBackpropInput', 'conv2dBackpropFilter', 'adamUpdate', 'setThreads', 'setMinFlopsPerThread', 'setIndirectConv', 'info'].every((k) => typeof a[k] === 'function');
}

/** Whether MTL_NATIVE turns the addon off (`0`, `false`, `off`, `no`). */
export function nativeDisabledByEnv(): boolean {
  const v = (process.env.MTL_NATIVE ?? '').trim().toLowerCase();
  return v === '0' || v === 'false' || v === 'off' || v === 'no';
}

/**
 * The addon, built and loaded on first call (memoised); null where it cannot be had. Synchronous (the
 * first call in a fresh cache compiles for a few seconds).
 */
export function loadNativeAddon(options: { log?: (msg: string) => void } = {}): NativeAddon | null {
  if (cached) return cached.addon;
  if (nativeDisabledByEnv()) {
    cached = { addon: null, status: { loaded: false, error: 'disabled by MTL_NATIVE' } };
    return null;
  }
  let file: string | undefined;
  try {
    const built = buildNative({ log: options.log });
    file = built.path;
    const addon: unknown = require(file);
    if (!isAddon(addon)) throw new Error(`${file} does not export the expected functions`);
    cached = { addon, status: { loaded: true, path: file, built: built.built } };
  } catch (e) {
    cached = { addon: null, status: { loaded: false, path: file, error: e instanceof Error ? e.message : String(e) } };
  }
  return cached.addon;
}

/** What happened when the addon was (or was not) loaded; loads it if nobody asked yet. */
export function nativeStatus(): NativeStatus {
  if (!cached) loadNativeAddon();
  return { ...cached!.status };
}
