/**
 * Node side of the browser runtime: src/browser/runtime.ts (with src/data/preprocess.ts and ./format.ts
 * inlined) as one ES module for the browser — in a built package the file scripts/build.mjs bundled
 * (dist/browser/runtime.bundle.js), in a source checkout bundled on first use with esbuild (a dev
 * dependency) — and the tfjs browser bundles located in node_modules. Nothing comes from a CDN.
 * pageRuntimeBundle(): the text and audio runtimes (./text-runtime.ts, ./audio-runtime.ts) likewise, with tfjs inside.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);

/** The runtime's entry: the TypeScript source in a checkout, the compiled file in a built package. */
function runtimeEntry(name = 'runtime', dir = here): string {
  for (const f of [`${name}.ts`, `${name}.js`]) {
    const p = path.join(dir, f);
    if (fs.existsSync(p)) return p;
  }
  throw new Error(`browser runtime source not found in ${dir}`);
}

let cached: Promise<string> | null = null;

/** The runtime as one ES module (exports loadMtlModel, MtlModel, encodeRows, formatRows, taskUnits). */
export function browserRuntimeBundle(): Promise<string> {
  cached ??= (async () => {
    const prebuilt = path.join(here, 'runtime.bundle.js');
    if (fs.existsSync(prebuilt)) return fs.readFileSync(prebuilt, 'utf8');
    const esbuild = await import('esbuild');
    const result = await esbuild.build({
      entryPoints: [runtimeEntry()],
      bundle: true,
      format: 'esm',
      platform: 'browser',
      target: 'es2020',
      write: false,
      logLevel: 'silent',
      legalComments: 'none',
      banner: { js: '// mtljs browser runtime (bundled from src/browser/runtime.ts and src/data/preprocess.ts)' },
    });
    return result.outputFiles[0]!.text;
  })();
  cached.catch(() => {
    cached = null;
  });
  return cached;
}

/** The page runtimes bundled WITH tfjs (custom layers must be the classes of the page's tfjs): name → what it holds. */
const PAGE_RUNTIMES = {
  'text-runtime': "the text page's runtime (bundled from src/browser/text-runtime.ts with the text layers, tokenizer, tfjs-core, tfjs-layers and the cpu backend)",
  'audio-runtime': "the audio runtime (bundled from src/browser/audio-runtime.ts with the audio encoder's layers, the WAV reader, log-mel features, tfjs-core, tfjs-layers and the cpu backend)",
} as const;
export type PageRuntime = keyof typeof PAGE_RUNTIMES;

const pageCached = new Map<PageRuntime, Promise<string>>();

/**
 * A page runtime (./text-runtime.ts: loadTextModel; ./audio-runtime.ts: loadAudioModel) as one ES module
 * with tfjs-core, tfjs-layers and the cpu backend inside, prebuilt (dist/browser/<name>.bundle.js) or
 * bundled now. A Node module reached from it fails the bundle: the page must stay core-only.
 */
export function pageRuntimeBundle(name: PageRuntime): Promise<string> {
  let p = pageCached.get(name);
  if (!p) {
    p = (async () => {
      const prebuilt = path.join(here, `${name}.bundle.js`);
      if (fs.existsSync(prebuilt)) return fs.readFileSync(prebuilt, 'utf8');
      const esbuild = await import('esbuild');
      const result = await esbuild.build({ ...pageRuntimeBuildOptions(name), write: false });
      return result.outputFiles[0]!.text;
    })();
    p.catch(() => pageCached.delete(name));
    pageCached.set(name, p);
  }
  return p;
}

export const textRuntimeBundle = (): Promise<string> => pageRuntimeBundle('text-runtime');
export const audioRuntimeBundle = (): Promise<string> => pageRuntimeBundle('audio-runtime');

/** esbuild options of a page runtime (also for scripts/build.mjs, which bundles them from src/browser). */
export function pageRuntimeBuildOptions(name: PageRuntime, sourceDir = here) {
  return {
    entryPoints: [runtimeEntry(name, sourceDir)],
    bundle: true,
    format: 'esm' as const,
    platform: 'browser' as const,
    target: 'es2020',
    minify: true,
    keepNames: true,
    logLevel: 'silent' as const,
    legalComments: 'none' as const,
    banner: { js: `// mtljs ${PAGE_RUNTIMES[name]}` },
    plugins: [{
      name: 'mtl-no-node',
      setup(build: { onResolve(o: { filter: RegExp }, cb: (a: { path: string; importer: string }) => { errors: { text: string }[] }): void }) {
        build.onResolve({ filter: /^node:/ }, (a) => ({ errors: [{ text: `${a.path} imported by ${a.importer}: a page runtime must not use Node modules` }] }));
      },
    }],
  };
}

/** The text runtime's esbuild options (kept for callers of the earlier name). */
export const textRuntimeBuildOptions = (sourceDir = here) => pageRuntimeBuildOptions('text-runtime', sourceDir);

/** The tfjs browser bundles a page loads, in order (global `tf`): core, the cpu backend, layers. */
export const TFJS_BROWSER_FILES: Record<string, { pkg: string; file: string }> = {
  'tf-core.min.js': { pkg: '@tensorflow/tfjs-core', file: 'dist/tf-core.min.js' },
  'tf-backend-cpu.min.js': { pkg: '@tensorflow/tfjs-backend-cpu', file: 'dist/tf-backend-cpu.min.js' },
  'tf-layers.min.js': { pkg: '@tensorflow/tfjs-layers', file: 'dist/tf-layers.min.js' },
};

/** Absolute path of a file of an installed package (by its package.json). */
export function packageFile(pkg: string, file: string): string {
  return path.join(path.dirname(require.resolve(`${pkg}/package.json`)), file);
}

/** Path of one of TFJS_BROWSER_FILES, or null for another name. */
export function tfjsBrowserFile(name: string): string | null {
  const f = TFJS_BROWSER_FILES[name];
  return f ? packageFile(f.pkg, f.file) : null;
}
