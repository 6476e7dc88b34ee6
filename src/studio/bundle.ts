/**
 * The studio's two scripts for the browser: the page (./page.ts → studio.js) and the worker
 * (./worker.ts → studio-worker.js, with tfjs-core, tfjs-layers, the webgpu, webgl, wasm and cpu
 * backends and the mtljs core inside: one tfjs instance, nothing from a CDN). In a built package they
 * are the files scripts/build.mjs bundled (dist/studio/*.bundle.js); in a source checkout they are
 * bundled on first use with esbuild (a dev dependency), as src/browser/bundle.ts does for the runtime.
 *
 * The core's readers src/data/csv.ts, jsonl.ts and arff.ts also export readXFile helpers that import
 * node:fs/promises and node:path; the worker uses only their parse functions, so those two modules are
 * replaced by stubs that throw if ever called. Any other Node import fails the bundle (the worker must
 * stay core-only).
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Plugin } from 'esbuild';

const here = path.dirname(fileURLToPath(import.meta.url));

export const STUDIO_ENTRIES = {
  page: { source: 'page', out: 'studio.bundle.js', banner: '// mtljs studio page (bundled from src/studio/page.ts)' },
  worker: { source: 'worker', out: 'studio-worker.bundle.js', banner: '// mtljs studio worker (bundled from src/studio/worker.ts: mtljs core, tfjs-core, tfjs-layers and the webgpu, webgl, wasm and cpu backends)' },
} as const;

/** Modules of the core whose Node-only helpers the browser never calls (see the header). */
const STUBBED = new Set(['node:fs/promises', 'node:path']);
const READERS = /[\\/]src[\\/]data[\\/](csv|jsonl|arff)\.[jt]s$/;

/** esbuild plugin: node:fs/promises and node:path of the core's readers → throwing stubs; other Node imports → an error. */
export function browserOnlyPlugin(): Plugin {
  return {
    name: 'mtl-browser-only',
    setup(build) {
      build.onResolve({ filter: /^node:/ }, (args) => {
        if (STUBBED.has(args.path) && READERS.test(args.importer)) return { path: args.path, namespace: 'mtl-node-stub' };
        return { errors: [{ text: `${args.path} imported by ${path.relative(process.cwd(), args.importer)}: the studio's browser code must not use Node modules` }] };
      });
      build.onLoad({ filter: /.*/, namespace: 'mtl-node-stub' }, (args) => ({
        contents: `const fail = () => { throw new Error(${JSON.stringify(`${args.path} is not available in the browser`)}); };\n`
          + 'export const readFile = fail; export const basename = fail; export default {};\n',
        loader: 'js',
      }));
    },
  };
}

/** esbuild options of one studio script (also used by scripts/build.mjs). */
export function studioBuildOptions(entry: keyof typeof STUDIO_ENTRIES, sourceDir: string) {
  const e = STUDIO_ENTRIES[entry];
  const file = ['.ts', '.js'].map((x) => path.join(sourceDir, e.source + x)).find((f) => fs.existsSync(f));
  if (!file) throw new Error(`studio ${entry} source not found in ${sourceDir}`);
  return {
    entryPoints: [file],
    bundle: true,
    format: 'iife' as const,
    platform: 'browser' as const,
    target: 'es2020',
    minify: true,
    keepNames: true,
    legalComments: 'none' as const,
    logLevel: 'silent' as const,
    banner: { js: e.banner },
    plugins: [browserOnlyPlugin()],
  };
}

const cache = new Map<string, Promise<string>>();

/** The page or worker script: prebuilt beside this module, else bundled now (and kept). */
export function studioBundle(entry: keyof typeof STUDIO_ENTRIES): Promise<string> {
  let p = cache.get(entry);
  if (!p) {
    p = (async () => {
      const prebuilt = path.join(here, STUDIO_ENTRIES[entry].out);
      if (fs.existsSync(prebuilt)) return fs.readFileSync(prebuilt, 'utf8');
      const esbuild = await import('esbuild');
      const result = await esbuild.build({ ...studioBuildOptions(entry, here), write: false });
      return result.outputFiles[0]!.text;
    })();
    p.catch(() => cache.delete(entry));
    cache.set(entry, p);
  }
  return p;
}
