/**
 * Each mtljs row of `npm run bench` in its own Node process, as torch_bench.py runs each PyTorch setting
 * in its own: the peak RSS then says what training that model needs, not what the bench process has
 * gathered (the MNIST loader alone takes the process from ~150 to ~300 MB, and earlier rows' memory
 * stays), and no row inherits another's heap or JIT state.
 *
 * The parent writes the datasets once (writeRowData: a JSON description + raw float32 files, ~13 MB for
 * the 4,096 MNIST samples); each child (bench/row-child.ts) reads them back, starts the backend, runs the
 * row with the warm-up rule both sides share (bench/spec.ts WARMUP) and prints its MeasureResult as one
 * JSON line.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Dataset } from '../src/data/types.js';
import type { MeasureResult } from './mtljs.js';
import type { BenchMethod, BenchModelName } from './spec.js';
import type { TextBenchData } from './text-data.js';

interface StoredDataset {
  name: string;
  inputShape: number[];
  n: number;
  tasks: Dataset['tasks'];
  labels: string[];
}

export interface RowData {
  mnist?: Dataset;
  text?: TextBenchData;
}

const f32 = (file: string): Float32Array => {
  const b = fs.readFileSync(file);
  return new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4);
};

function writeDataset(dir: string, ds: Dataset): StoredDataset {
  fs.mkdirSync(dir, { recursive: true });
  const write = (name: string, a: Float32Array) => fs.writeFileSync(path.join(dir, name), Buffer.from(a.buffer, a.byteOffset, a.byteLength));
  write('x.f32', ds.x);
  for (const [task, values] of Object.entries(ds.labels)) write(`label-${task}.f32`, values);
  return { name: ds.name, inputShape: ds.inputShape, n: ds.n, tasks: ds.tasks, labels: Object.keys(ds.labels) };
}

function readDataset(dir: string, s: StoredDataset): Dataset {
  return {
    name: s.name, inputShape: s.inputShape, n: s.n, tasks: s.tasks, x: f32(path.join(dir, 'x.f32')),
    labels: Object.fromEntries(s.labels.map((t) => [t, f32(path.join(dir, `label-${t}.f32`))])),
  };
}

/** Writes the rows' data under `dir` (which must exist). */
export function writeRowData(dir: string, data: RowData): void {
  const meta: Record<string, unknown> = {};
  if (data.mnist) meta.mnist = writeDataset(path.join(dir, 'mnist'), data.mnist);
  if (data.text) {
    const { dataset, ...rest } = data.text;
    meta.text = { ...rest, dataset: writeDataset(path.join(dir, 'text'), dataset) };
  }
  fs.writeFileSync(path.join(dir, 'rows.json'), JSON.stringify(meta));
}

export function readRowData(dir: string): RowData {
  const meta = JSON.parse(fs.readFileSync(path.join(dir, 'rows.json'), 'utf8')) as { mnist?: StoredDataset; text?: Omit<TextBenchData, 'dataset'> & { dataset: StoredDataset } };
  const out: RowData = {};
  if (meta.mnist) out.mnist = readDataset(path.join(dir, 'mnist'), meta.mnist);
  if (meta.text) out.text = { ...meta.text, dataset: readDataset(path.join(dir, 'text'), meta.text.dataset) };
  return out;
}

export interface RowRequest {
  dir: string;
  model: BenchModelName;
  method: BenchMethod;
  seconds: number;
  backend?: string;
}

let bundledChild: string | null | undefined;

/**
 * The child as one plain-JavaScript file (bench/.build/row-child.mjs, bundled once per bench run with
 * esbuild, the build tool that already bundles the browser runtime; packages stay imports), run by plain
 * `node` as a user's installed mtljs is: under tsx, its loader and the TypeScript sources it transpiles
 * stayed in every child's memory (measured: BiGRU row peak RSS 282–297 MB under tsx, 198–215 MB bundled),
 * as PyTorch's children carry no transpiler either. null (and the tsx child) when esbuild is missing.
 */
async function bundleChild(): Promise<string | null> {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const out = path.join(here, '.build', 'row-child.mjs');
  try {
    const esbuild = await import('esbuild');
    await esbuild.build({
      entryPoints: [path.join(here, 'row-child.ts')], outfile: out, bundle: true, platform: 'node', format: 'esm',
      target: 'node20', packages: 'external', logLevel: 'warning',
      // Bundled ESM has no `require`; the sources' createRequire calls do not need it, tfjs's CJS interop does.
      banner: { js: "import { createRequire as __mtlCreateRequire } from 'node:module'; const require = __mtlCreateRequire(import.meta.url);" },
    });
    return out;
  } catch (e) {
    process.stderr.write(`[bench] could not bundle the row child (${e instanceof Error ? e.message : String(e)}); running it under tsx\n`);
    return null;
  }
}

/** Prepares the row child once (call before measureInChild). */
export async function prepareRowChild(): Promise<void> {
  if (bundledChild === undefined) bundledChild = await bundleChild();
}

/** Runs one row in a child process (bundled JavaScript under plain node, else the tsx sources); throws with its stderr on failure. */
export function measureInChild(req: RowRequest): MeasureResult {
  const rest = [req.dir, req.model, req.method, String(req.seconds), req.backend ?? ''];
  const args = bundledChild
    ? [bundledChild, ...rest]
    : [...process.execArgv, fileURLToPath(new URL('./row-child.ts', import.meta.url)), ...rest];
  const r = spawnSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, timeout: Math.max(120, 20 * req.seconds) * 1000 });
  const last = (r.stdout ?? '').trim().split('\n').at(-1) ?? '';
  if (r.status !== 0 || !last.startsWith('{')) {
    const why = r.error ? r.error.message : (r.stderr ?? '').trim().split('\n').filter((l) => l.trim()).at(-1) ?? `exit ${r.status}`;
    throw new Error(`${req.model} ${req.method} in its own process: ${why}`);
  }
  return JSON.parse(last) as MeasureResult;
}
