#!/usr/bin/env node
// Builds the package's dist/ from src/ (run by `npm pack` / `npm publish` through prepack):
//   1. a clean dist/ (nothing stale is packed),
//   2. tsc: JavaScript, .d.ts and source maps (sources inlined: the package ships no src/),
//   3. the assets tsc does not copy (the dashboard's HTML template),
//   4. the browser runtime bundled once with esbuild (dist/browser/runtime.bundle.js; the text page's
//      and audio runtimes, with tfjs inside, as dist/browser/text-runtime.bundle.js and audio-runtime.bundle.js), so that an
//      installed mtljs serves it without esbuild, which stays a build tool (devDependency);
//   5. the studio's page and worker likewise (dist/studio/studio.bundle.js, studio-worker.bundle.js;
//      the worker carries tfjs and its webgl/webgpu backends, which are dev dependencies for that reason).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = path.join(root, 'dist');
const t0 = Date.now();
fs.rmSync(dist, { recursive: true, force: true });
execFileSync(process.execPath, [path.join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', path.join(root, 'tsconfig.build.json')], { stdio: 'inherit' });
fs.copyFileSync(path.join(root, 'src/dashboard/template.html'), path.join(dist, 'dashboard/template.html'));
const esbuild = await import('esbuild');
await esbuild.build({
  entryPoints: [path.join(root, 'src/browser/runtime.ts')],
  outfile: path.join(dist, 'browser/runtime.bundle.js'),
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2020',
  logLevel: 'warning',
  legalComments: 'none',
  banner: { js: '// mtljs browser runtime (bundled from src/browser/runtime.ts and src/data/preprocess.ts)' },
});
const { pageRuntimeBuildOptions } = await import(pathToFileURL(path.join(dist, 'browser/bundle.js')).href);
for (const name of ['text-runtime', 'audio-runtime']) {
  await esbuild.build({ ...pageRuntimeBuildOptions(name, path.join(root, 'src/browser')), outfile: path.join(dist, `browser/${name}.bundle.js`), logLevel: 'warning' });
}
const { STUDIO_ENTRIES, studioBuildOptions } = await import(pathToFileURL(path.join(dist, 'studio/bundle.js')).href);
for (const entry of Object.keys(STUDIO_ENTRIES)) {
  await esbuild.build({ ...studioBuildOptions(entry, path.join(root, 'src/studio')), outfile: path.join(dist, 'studio', STUDIO_ENTRIES[entry].out), logLevel: 'warning' });
}
console.log(`mtljs: dist/ built in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
