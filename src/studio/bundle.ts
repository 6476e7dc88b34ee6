/**
 * The studio's two scripts for the browser: the page (./page.ts → studio.js) and the worker
 * (./worker.ts → studio-worker.js, with tfjs-core, tfjs-layers, the webgpu, webgl, wasm and cpu
 * backends and the mtljs core inside: one tfjs instance, nothing from a CDN). In a built package they
 * are the files scripts/build.mjs bundled (dist/studio/*.bundle.js); in a source checkout they are
 * bundled on first use with esbuild (a dev dependency), as src/browser/bundle.ts does for the runtime.
 *
 * Any Node import fails the bundle: the page and the worker must stay core-only (the core's table
 * parsers are; reading files from disk lives in src/data/node/).
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

/** esbuild plugin: any Node import is an error. */
export function browserOnlyPlugin(): Plugin {
  return {
    name: 'mtl-browser-only',
    setup(build) {
      build.onResolve({ filter: /^node:/ }, (args) => ({
        errors: [{ text: `${args.path} imported by ${path.relative(process.cwd(), args.importer)}: the studio's browser code must not use Node modules` }],
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
