/**
 * The dashboard page: src/dashboard/template.html with uPlot (its min.js and CSS from node_modules/uplot)
 * and the run's state inlined, so one file holds everything (no CDN, no network). Served live by
 * ./server.ts (then it also follows /events) or written as a self-contained report by `mtl report`.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { packageFile } from '../browser/bundle.js';
import type { DashboardState } from './state.js';

const here = path.dirname(fileURLToPath(import.meta.url));

/** The template: beside this module in a checkout; in a built package, under src/ (dist/ holds only .js). */
function templateFile(): string {
  const candidates = [path.join(here, 'template.html'), path.resolve(here, '..', '..', 'src', 'dashboard', 'template.html')];
  const found = candidates.find((f) => fs.existsSync(f));
  if (!found) throw new Error(`dashboard template not found (looked in ${candidates.join(', ')})`);
  return found;
}

let assets: { template: string; js: string; css: string } | null = null;

function loadAssets(): { template: string; js: string; css: string } {
  assets ??= {
    template: fs.readFileSync(templateFile(), 'utf8'),
    js: fs.readFileSync(packageFile('uplot', 'dist/uPlot.iife.min.js'), 'utf8'),
    css: fs.readFileSync(packageFile('uplot', 'dist/uPlot.min.css'), 'utf8'),
  };
  return assets;
}

/** JSON that is safe inside a <script> element (no '<', so no '</script>' or '<!--'). */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** The page for `state`; `live` makes it subscribe to the server's /events. */
export function renderDashboardPage(state: DashboardState, options: { live: boolean }): string {
  const a = loadAssets();
  // Replacement functions, so '$' in the inlined code is taken literally; the run's own text goes in last.
  return a.template
    .replace('/*__LIVE__*/false', () => (options.live ? 'true' : 'false'))
    .replace('/*__UPLOT_CSS__*/', () => a.css.replace(/<\/style/gi, '<\\/style'))
    .replace('/*__UPLOT_JS__*/', () => a.js.replace(/<\/script/gi, '<\\/script'))
    .replace('/*__STATE__*/', () => scriptJson(state))
    .replace('/*__TITLE__*/', () => escapeHtml(state.name));
}
