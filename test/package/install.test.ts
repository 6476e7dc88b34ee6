/**
 * The package as a user gets it: `npm pack` (prepack builds dist/), the tarball installed into a fresh
 * project outside this repository (no ../shared beside it, no MTL_DATA_DIR, an empty data cache), then
 * the README's Library snippet run as plain ESM JavaScript, the `mtl` command, each subpath entry, and
 * a TypeScript file compiled against the installed declarations.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const repo = path.resolve('.');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'mtljs-install-'));
const project = path.join(work, 'app');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

/** A user's environment: no fixture folder, an empty cache of their own. */
function userEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, MTL_CACHE_DIR: path.join(work, 'cache'), npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false' };
  delete env['MTL_DATA_DIR'];
  delete env['MTL_DATA_MIRROR'];
  return env;
}

function run(cmd: string, args: string[], cwd = project) {
  const r = spawnSync(cmd, args, { cwd, env: userEnv(), encoding: 'utf8', timeout: 300_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** The README's Library snippet (the js block after "## Library"). */
function librarySnippet(): string {
  const readme = fs.readFileSync(path.join(repo, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Library'));
  const m = /```js\n([\s\S]*?)```/.exec(section);
  if (!m) throw new Error('README has no ```js block under ## Library');
  return m[1]!;
}

let tarball = '';
let packed: { path: string; size: number }[] = [];
let tarballBytes = 0;

beforeAll(() => {
  const out = execFileSync(npm, ['pack', '--json', '--pack-destination', work], { cwd: repo, encoding: 'utf8', env: { ...process.env }, stdio: ['ignore', 'pipe', 'pipe'], timeout: 300_000 });
  const info = JSON.parse(out.slice(out.indexOf('['))) as { filename: string; size: number; files: { path: string; size: number }[] }[];
  tarball = path.join(work, info[0]!.filename);
  packed = info[0]!.files;
  tarballBytes = info[0]!.size;
  fs.mkdirSync(project);
  fs.writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }, null, 2));
  const r = run(npm, ['install', tarball, '--no-audit', '--no-fund']);
  if (r.code !== 0) throw new Error(`npm install of the tarball failed:\n${r.err}`);
}, 600_000);

afterAll(() => {
  fs.rmSync(work, { recursive: true, force: true });
});

describe('the npm package', () => {
  it('packs compiled dist/ (JS, .d.ts, source maps), the shipped data and licences, and nothing of the repo besides', () => {
    const names = new Set(packed.map((f) => f.path));
    for (const f of ['dist/index.js', 'dist/index.d.ts', 'dist/index.js.map', 'dist/node.js', 'dist/browser.js', 'dist/browser.d.ts', 'dist/cli/main.js',
      'dist/browser/runtime.bundle.js', 'dist/dashboard/template.html', 'bin/mtl.js', 'native/mtl_kernels.cc', 'scripts/postinstall.mjs',
      'data/README.md', 'data/adult/adult.data.gz', 'data/adult/adult.test.gz', 'data/snips/LICENSE.sonos-nlu-benchmark-CC0-1.0', 'LICENSE', 'README.md', 'package.json']) {
      expect(names.has(f), f).toBe(true);
    }
    const stray = [...names].filter((f) => /^(src|test|bench|\.ci|runs|node_modules)\//.test(f) || f.endsWith('.test.js'));
    expect(stray).toEqual([]);
    expect(tarballBytes).toBeLessThan(4_000_000);
    const pkg = JSON.parse(fs.readFileSync(path.join(project, 'node_modules/mtljs/package.json'), 'utf8'));
    expect(Object.keys(pkg.dependencies)).not.toContain('tsx');
    expect(Object.keys(pkg.dependencies)).not.toContain('esbuild');
  });

  it("runs the README's Library snippet as plain ESM: trains on the shipped Adult data and prints metrics", () => {
    fs.writeFileSync(path.join(project, 'snippet.mjs'), librarySnippet());
    const r = run(process.execPath, ['snippet.mjs']);
    expect(r.code, r.err).toBe(0);
    expect(fs.existsSync(path.join(project, 'node_modules/tsx'))).toBe(false);
    expect(r.out).toMatch(/income/);
    const auc = /auc: (0\.\d+)/.exec(r.out);
    expect(auc, r.out).not.toBeNull();
    expect(Number(auc![1])).toBeGreaterThan(0.8);
    expect(fs.existsSync(path.join(work, 'cache'))).toBe(false); // the package's copy, no download
  });

  it('installs the mtl command: --help, and data path shows the copy inside the package', () => {
    const help = run(npm, ['exec', '--', 'mtl', '--help']);
    expect(help.code, help.err).toBe(0);
    for (const cmd of ['train', 'eval', 'serve', 'compare', 'data']) expect(help.out).toContain(cmd);
    const where = run(npm, ['exec', '--', 'mtl', 'data', 'path', 'adult']);
    expect(where.code, where.err).toBe(0);
    expect(fs.realpathSync(where.out.trim())).toBe(fs.realpathSync(path.join(project, 'node_modules/mtljs/data/adult')));
  });

  it('resolves mtljs/node and mtljs/browser, and a TypeScript file type-checks against the installed declarations', () => {
    fs.writeFileSync(path.join(project, 'entries.mjs'), [
      "const node = await import('mtljs/node');",
      "const browser = await import('mtljs/browser');",
      "const root = await import('mtljs');",
      "console.log(JSON.stringify({ node: typeof node.initBackend, browser: typeof browser.loadMtlModel, aggregate: typeof browser.aggregate, same: root.Trainer === node.Trainer && root.aggregate === browser.aggregate, nodeHasRuntime: 'loadMtlModel' in node }));",
    ].join('\n'));
    const r = run(process.execPath, ['entries.mjs']);
    expect(r.code, r.err).toBe(0);
    expect(JSON.parse(r.out.trim().split('\n').at(-1)!)).toEqual({ node: 'function', browser: 'function', aggregate: 'function', same: true, nodeHasRuntime: false });

    fs.writeFileSync(path.join(project, 'typed.ts'), [
      "import { aggregate, type DatasetSplit, type Report } from 'mtljs/browser';",
      "import { loadDataset, Trainer, type TrainerOptions } from 'mtljs/node';",
      'const d: Float32Array = aggregate("pcgrad", [[1, 0], [0, 1]]);',
      'const options: TrainerOptions = { epochs: 1, batchSize: 32, optimizer: { name: "adam", lr: 1e-3 }, seed: 0 };',
      'export async function go(): Promise<DatasetSplit> { return loadDataset("energy"); }',
      'export type R = Report;',
      'export { d, options, Trainer };',
    ].join('\n'));
    fs.writeFileSync(path.join(project, 'tsconfig.json'), JSON.stringify({ compilerOptions: { module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', strict: true, noEmit: true, skipLibCheck: true, types: [] }, files: ['typed.ts'] }));
    const tsc = run(process.execPath, [path.join(repo, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json']);
    expect(tsc.code, tsc.out + tsc.err).toBe(0);
  });
});
