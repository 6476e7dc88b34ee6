/**
 * The studio as a static site: every file the page needs, by name, for `mtl studio` to serve
 * (./server.ts) and for `mtl studio --build DIR` to write (any static host serves the folder):
 *   index.html              the page (./html.ts)
 *   studio.js               the page's script; studio-worker.js the worker with tfjs and the core (./bundle.ts)
 *   dashboard.html          the Node dashboard's page (src/dashboard), framed for the training views
 *   tfjs-backend-wasm*.wasm the wasm backend's binaries, from node_modules
 *   adult-sample.csv        the sample: the first 5,000 rows of the package's data/adult/adult.data.gz
 *   _headers                (built folders only) COOP/COEP for hosts that read it (Netlify, Cloudflare Pages)
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';
import { packageFile } from '../browser/bundle.js';
import { renderDashboardPage } from '../dashboard/page.js';
import type { DashboardState } from '../dashboard/state.js';
import { ADULT_COLUMNS } from '../data/loaders/adult.js';
import { studioBundle } from './bundle.js';
import { studioHtml } from './html.js';

const here = path.dirname(fileURLToPath(import.meta.url));

export interface SiteFile {
  type: string;
  body: string | Buffer;
}

export const WASM_FILES = ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm-threaded-simd.wasm'];

/** Rows of the sample table. */
export const SAMPLE_ROWS = 5000;

/**
 * Headers that make the page cross-origin isolated: SharedArrayBuffer (Stop within a step, threaded
 * wasm). Everything the page loads is its own, so requiring CORP costs nothing.
 */
export const ISOLATION_HEADERS: Record<string, string> = {
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-embedder-policy': 'require-corp',
  'cross-origin-resource-policy': 'same-origin',
};

/** The sample as CSV with a header: the adult file is comma+space separated without one. */
export function adultSampleCsv(rows = SAMPLE_ROWS): string {
  const gz = path.resolve(here, '..', '..', 'data', 'adult', 'adult.data.gz');
  const text = zlib.gunzipSync(fs.readFileSync(gz)).toString('utf8');
  const quote = (cell: string) => (/[",\n]/.test(cell) ? `"${cell.replace(/"/g, '""')}"` : cell);
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '').slice(0, rows);
  return [ADULT_COLUMNS.join(','), ...lines.map((l) => l.split(',').map((c) => quote(c.trim())).join(','))].join('\n') + '\n';
}

function emptyDashboard(): DashboardState {
  return { name: 'mtljs studio', runDir: 'this page', status: 'incomplete', config: {}, tasks: [], taskInfo: {}, mtl: [], stl: {}, report: null, updatedAt: new Date(0).toISOString() };
}

let cached: Promise<Map<string, SiteFile>> | null = null;

/** Every file of the site (bundled once per process). */
export function studioSite(): Promise<Map<string, SiteFile>> {
  cached ??= (async () => {
    const [page, worker] = await Promise.all([studioBundle('page'), studioBundle('worker')]);
    const js = 'text/javascript; charset=utf-8';
    const files = new Map<string, SiteFile>([
      ['index.html', { type: 'text/html; charset=utf-8', body: studioHtml() }],
      ['studio.js', { type: js, body: page }],
      ['studio-worker.js', { type: js, body: worker }],
      ['dashboard.html', { type: 'text/html; charset=utf-8', body: renderDashboardPage(emptyDashboard(), { live: false }) }],
      ['adult-sample.csv', { type: 'text/csv; charset=utf-8', body: adultSampleCsv() }],
    ]);
    for (const w of WASM_FILES) files.set(w, { type: 'application/wasm', body: fs.readFileSync(packageFile('@tensorflow/tfjs-backend-wasm', `dist/${w}`)) });
    return files;
  })();
  cached.catch(() => {
    cached = null;
  });
  return cached;
}

/** `_headers` (Netlify / Cloudflare Pages syntax): the isolation headers on every path. */
export function headersFile(): string {
  return ['/*', ...Object.entries(ISOLATION_HEADERS).map(([k, v]) => `  ${k}: ${v}`)].join('\n') + '\n';
}

/** Writes the site into `dir` (created; existing files of the same names replaced); returns the names written. */
export async function buildStudioSite(dir: string): Promise<string[]> {
  const files = await studioSite();
  fs.mkdirSync(dir, { recursive: true });
  const names: string[] = [];
  for (const [name, f] of files) {
    fs.writeFileSync(path.join(dir, name), f.body);
    names.push(name);
  }
  fs.writeFileSync(path.join(dir, '_headers'), headersFile());
  names.push('_headers');
  return names;
}
