/**
 * Node side of the browser runtime: src/browser/runtime.ts (with src/data/preprocess.ts and ./format.ts
 * inlined) as one ES module for the browser — in a built package the file scripts/build.mjs bundled
 * (dist/browser/runtime.bundle.js), in a source checkout bundled on first use with esbuild (a dev
 * dependency) — and the tfjs browser bundles located in node_modules. Nothing comes from a CDN.
 * textRuntimeBundle(): the text page's runtime (./text-runtime.ts) likewise, with tfjs inside it.
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

let textCached: Promise<string> | null = null;

/**
 * The text runtime (./text-runtime.ts: loadTextModel, TextModel) as one ES module with tfjs-core,
 * tfjs-layers and the cpu backend inside, prebuilt (dist/browser/text-runtime.bundle.js) or bundled now.
 * A Node module reached from it fails the bundle: the page must stay core-only.
 */
export function textRuntimeBundle(): Promise<string> {
  textCached ??= (async () => {
    const prebuilt = path.join(here, 'text-runtime.bundle.js');
    if (fs.existsSync(prebuilt)) return fs.readFileSync(prebuilt, 'utf8');
    const esbuild = await import('esbuild');
    const result = await esbuild.build({ ...textRuntimeBuildOptions(), write: false });
    return result.outputFiles[0]!.text;
  })();
  textCached.catch(() => {
    textCached = null;
  });
  return textCached;
}

/** esbuild options of the text runtime (also for scripts/build.mjs, which bundles it from src/browser). */
export function textRuntimeBuildOptions(sourceDir = here) {
  return {
    entryPoints: [runtimeEntry('text-runtime', sourceDir)],
    bundle: true,
    format: 'esm' as const,
    platform: 'browser' as const,
    target: 'es2020',
    minify: true,
    keepNames: true,
    logLevel: 'silent' as const,
    legalComments: 'none' as const,
    banner: { js: '// mtljs text runtime (bundled from src/browser/text-runtime.ts with the text layers, tokenizer, tfjs-core, tfjs-layers and the cpu backend)' },
    plugins: [{
      name: 'mtl-no-node',
      setup(build: { onResolve(o: { filter: RegExp }, cb: (a: { path: string; importer: string }) => { errors: { text: string }[] }): void }) {
        build.onResolve({ filter: /^node:/ }, (a) => ({ errors: [{ text: `${a.path} imported by ${a.importer}: the text page must not use Node modules` }] }));
      },
    }],
  };
}

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
