/**
 * The dashboard in Debian's Chromium (playwright-core): `mtl train --dashboard` on a short real run
 * (adult, 2,000 rows, 2 epochs, with baselines) shows uPlot charts and numbers equal to history.jsonl and
 * Δm% equal to report.json; the page follows a run live over server-sent events (epochs appended to a
 * folder, gradient cosines rendered as a heat-map when present); the training process ends by itself
 * unless --keep-open; `mtl report` writes a self-contained page that loads nothing from the network.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Page } from 'playwright-core';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerReport } from '../../src/cli/commands/report.js';
import { registerTrain } from '../../src/cli/commands/train.js';
import { UsageError } from '../../src/config/errors.js';
import { createDashboardServer } from '../../src/dashboard/server.js';
import { launchChromium, pageErrors, type Chromium } from '../browser/chromium.js';
import { adultConfig, BIN, mtl, tmpDir } from '../serve/fixtures.js';

const tmp = tmpDir('dashboard');
const screenshots = process.env.MTL_SCREENSHOTS; // a folder: save what the pages look like
let chrome: Chromium;
let runDir = '';

/** The page's number format (tests compare the text shown with it, and data-value exactly). */
const fmt = (v: number) => (Math.abs(v) >= 1000 ? v.toFixed(1) : v.toFixed(4));

type Rec = { epoch: number; train: Record<string, { loss: number }>; val: Record<string, Record<string, number>>; weights: Record<string, number>; gradCosine?: number[][] };
const readHistory = (dir: string): Rec[] => fs.readFileSync(path.join(dir, 'history.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));

function start(args: string[]): { child: ChildProcess; output: () => string; waitFor: (re: RegExp, ms?: number) => Promise<RegExpExecArray>; exit: Promise<number | null> } {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let all = '';
  child.stdout!.on('data', (d) => (all += d));
  child.stderr!.on('data', (d) => (all += d));
  const exit = new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
  const waitFor = (re: RegExp, ms = 60_000) =>
    new Promise<RegExpExecArray>((resolve, reject) => {
      const t0 = Date.now();
      const tick = () => {
        const m = re.exec(all);
        if (m) return resolve(m);
        if (child.exitCode !== null || Date.now() - t0 > ms) return reject(new Error(`no ${re} in the output of mtl ${args.join(' ')}:\n${all}`));
        setTimeout(tick, 20);
      };
      tick();
    });
  return { child, output: () => all, waitFor, exit };
}

async function shot(page: Page, name: string): Promise<void> {
  if (!screenshots) return;
  fs.mkdirSync(screenshots, { recursive: true });
  await page.screenshot({ path: path.join(screenshots, name), fullPage: true });
}

/** Every number of the history table and each chart's data equal history.jsonl. */
async function expectPageMatchesHistory(page: Page, history: Rec[], tasks: string[]): Promise<void> {
  for (const h of history) {
    for (const t of tasks) {
      const cells: [string, number][] = [
        [`hist-${h.epoch}-${t}-train-loss`, h.train[t]!.loss],
        [`hist-${h.epoch}-${t}-val-loss`, h.val[t]!.loss],
        [`hist-${h.epoch}-${t}-val-auc`, h.val[t]!.auc!],
        [`hist-${h.epoch}-${t}-weight`, h.weights[t]!],
      ];
      for (const [id, value] of cells) {
        const cell = page.getByTestId(id);
        expect(Number(await cell.getAttribute('data-value')), id).toBe(value);
        expect(await cell.textContent(), id).toBe(fmt(value));
      }
    }
  }
  const last = history.at(-1)!;
  for (const t of tasks) {
    expect(Number(await page.getByTestId(`latest-${t}-train-loss`).getAttribute('data-value'))).toBe(last.train[t]!.loss);
    expect(await page.getByTestId(`latest-${t}-val-auc`).textContent()).toBe(fmt(last.val[t]!.auc!));
  }
  // The charts are uPlot instances on canvases, holding exactly the history's values.
  const charts = await page.evaluate(() => {
    const d = (window as any).__dash;
    return Object.fromEntries(Object.entries(d.charts).map(([k, c]: [string, any]) => [k, { series: c.u.series.map((s: any) => s.label), data: c.u.data, canvas: c.u.root.querySelector('canvas') !== null }]));
  });
  for (const t of tasks) {
    const loss = charts[`loss-${t}`]!;
    expect(loss.canvas).toBe(true);
    expect(loss.series.slice(0, 3)).toEqual(['epoch', 'train loss', 'val loss']);
    expect(loss.data[1].slice(0, history.length)).toEqual(history.map((h) => h.train[t]!.loss));
    expect(loss.data[2].slice(0, history.length)).toEqual(history.map((h) => h.val[t]!.loss));
    const metric = charts[`metric-${t}`]!;
    expect(metric.series).toContain('val auc');
    expect(metric.data[metric.series.indexOf('val auc')].slice(0, history.length)).toEqual(history.map((h) => h.val[t]!.auc));
  }
  expect(charts.weights!.data.slice(1)).toEqual(tasks.map((t) => history.map((h) => h.weights[t])));
  expect(await page.locator('.uplot canvas').count()).toBeGreaterThanOrEqual(2 * tasks.length + 1);
}

beforeAll(async () => {
  chrome = await launchChromium();
});

afterAll(async () => {
  await chrome?.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('mtl train --dashboard', () => {
  it('serves a live page while training; after the run it shows history.jsonl and report.json exactly; --keep-open keeps it until SIGINT', async () => {
    const config = path.join(tmp, 'adult.yaml');
    fs.writeFileSync(config, adultConfig('adult-dashboard').join('\n'));
    runDir = path.join(tmp, 'run');
    const run = start(['train', config, '--out', runDir, '--dashboard', '--port', '0', '--keep-open', '--progress', 'lines']);
    const url = (await run.waitFor(/dashboard: (http:\/\/127\.0\.0\.1:\d+)/))[1]!;
    const page = await chrome.browser.newPage({ viewport: { width: 1400, height: 1000 } });
    const errors = pageErrors(page);
    await page.goto(url);
    const firstStatus = await page.evaluate(() => document.body.dataset.status);
    expect(['running', 'finished']).toContain(firstStatus);
    await page.waitForFunction(() => document.body.dataset.status === 'finished', null, { timeout: 90_000 });
    await run.waitFor(/stays open \(--keep-open\)/);

    const history = readHistory(runDir);
    const report = JSON.parse(fs.readFileSync(path.join(runDir, 'report.json'), 'utf8'));
    expect(history.map((h) => h.epoch)).toEqual([1, 2]);
    await expectPageMatchesHistory(page, history, ['income', 'never_married']);
    // Δm% and the test report from report.json.
    const delta = page.getByTestId('delta-m');
    expect(Number(await delta.getAttribute('data-value'))).toBe(report.deltaM);
    expect(await delta.textContent()).toBe(`${report.deltaM >= 0 ? '+' : ''}${report.deltaM.toFixed(2)}%`);
    for (const t of ['income', 'never_married']) {
      expect(Number(await page.getByTestId(`report-${t}-auc-mtl`).getAttribute('data-value'))).toBe(report.tasks[t].mtl.auc);
      expect(Number(await page.getByTestId(`report-${t}-auc-stl`).getAttribute('data-value'))).toBe(report.tasks[t].stl.auc);
      expect(Number(await page.getByTestId(`report-${t}-delta`).getAttribute('data-value'))).toBe(report.tasks[t].delta);
      // The baselines' curves are on the charts too (dashed).
      const stl = readHistory(path.join(runDir, 'stl', t));
      expect(Number(await page.getByTestId(`stl-${t}-val-auc`).getAttribute('data-value'))).toBe(stl.at(-1)!.val[t]!.auc);
    }
    // No gradient statistics in loss mode: the heat-map says so.
    if (history.some((h) => h.gradCosine)) expect(await page.getByTestId('gradcos-0-1').count()).toBe(1);
    else expect(await page.getByTestId('gradcos-na').textContent()).toMatch(/^n\/a/);
    if (firstStatus === 'running') expect(await page.evaluate(() => (window as any).__dash.updates)).toBeGreaterThan(1); // came by SSE
    await shot(page, 'dashboard-live.png');
    expect(errors).toEqual([]);

    // --keep-open: still serving after training; SIGINT ends the process cleanly.
    expect((await fetch(`${url}/health`)).status).toBe(200);
    run.child.kill('SIGINT');
    expect(await run.exit).toBe(0);
    await expect(fetch(`${url}/health`)).rejects.toThrow();
    await page.close();
  });

  it('without --keep-open the training process ends by itself when training is done', async () => {
    const config = path.join(tmp, 'short.yaml');
    fs.writeFileSync(config, adultConfig('adult-short', '{ limit: 1000, testLimit: 300 }', '{ epochs: 1, batchSize: 128, earlyStopping: false }').join('\n'));
    const t0 = Date.now();
    const r = await mtl(['train', config, '--out', path.join(tmp, 'short'), '--no-stl', '--dashboard', '--port', '0', '--progress', 'silent'], 90_000);
    expect(r.code, r.err).toBe(0);
    const url = /dashboard: (http:\/\/127\.0\.0\.1:\d+)/.exec(r.err)?.[1];
    expect(url).toBeDefined();
    expect(Date.now() - t0).toBeLessThan(60_000);
    await expect(fetch(`${url}/health`)).rejects.toThrow(); // the server went with it
  });

  it('refuses --keep-open and --port without --dashboard (a usage error, before any work)', async () => {
    const program = new Command().exitOverride();
    registerTrain(program);
    await expect(program.parseAsync(['node', 'mtl', 'train', 'no-such.yaml', '--keep-open'])).rejects.toThrow(UsageError);
    await expect(program.parseAsync(['node', 'mtl', 'train', 'no-such.yaml', '--port', '8000'])).rejects.toThrow('--port and --keep-open go with --dashboard');
  });
});

describe('live updates over server-sent events', () => {
  it('the page follows epochs as they are appended, renders gradient cosines as a heat-map, then Δm% at the end', async () => {
    const history = readHistory(runDir);
    const live = path.join(tmp, 'live');
    fs.mkdirSync(live);
    fs.copyFileSync(path.join(runDir, 'config.json'), path.join(live, 'config.json'));
    const dash = createDashboardServer(live, { status: 'running', pollMs: 50 });
    const url = await dash.app.listen({ port: 0, host: '127.0.0.1' });
    const page = await chrome.browser.newPage({ viewport: { width: 1300, height: 1000 } });
    const errors = pageErrors(page);
    try {
      await page.goto(url);
      await page.waitForFunction(() => (window as any).__dash.connected === true);
      expect(await page.getByTestId('status').textContent()).toBe('running');
      expect(await page.getByTestId('delta-m').textContent()).toBe('pending');
      expect(await page.getByTestId('gradcos-na').count()).toBe(1);

      // Epoch 1 arrives: no gradient statistics in it.
      const lines = history.map((h) => JSON.stringify(h));
      fs.writeFileSync(path.join(live, 'history.jsonl'), lines[0] + '\n');
      await page.waitForFunction(() => (window as any).__dash.state.mtl.length === 1);
      await expectPageMatchesHistory(page, history.slice(0, 1), ['income', 'never_married']);
      expect(await page.getByTestId('gradcos-na').count()).toBe(1);

      // Epoch 2 arrives with gradCosine (as the trainer writes it in gradient mode).
      const cos = [[1, -0.3125], [-0.3125, 1]];
      const second = { ...history[1]!, gradCosine: cos, conflictShare: [[0, 0.5], [0.5, 0]], conflictSteps: 0.5 };
      fs.writeFileSync(path.join(live, 'history.jsonl'), `${lines[0]}\n${JSON.stringify(second)}\n`);
      await page.waitForFunction(() => (window as any).__dash.state.mtl.length === 2);
      await expectPageMatchesHistory(page, [history[0]!, second], ['income', 'never_married']);
      for (const [i, j] of [[0, 0], [0, 1], [1, 0], [1, 1]] as const) {
        const cell = page.getByTestId(`gradcos-${i}-${j}`);
        expect(Number(await cell.getAttribute('data-value'))).toBe(cos[i]![j]);
        expect(await cell.textContent()).toBe(cos[i]![j]!.toFixed(2));
      }
      expect(await page.getByTestId('gradcos-0-1').evaluate((e) => getComputedStyle(e).backgroundColor)).toMatch(/^rgba\(196, 30, 58/); // red: conflicting

      // The run ends: report.json, then `done`.
      fs.copyFileSync(path.join(runDir, 'report.json'), path.join(live, 'report.json'));
      dash.finish('finished');
      await page.waitForFunction(() => document.body.dataset.status === 'finished');
      const report = JSON.parse(fs.readFileSync(path.join(live, 'report.json'), 'utf8'));
      expect(Number(await page.getByTestId('delta-m').getAttribute('data-value'))).toBe(report.deltaM);
      expect(await page.evaluate(() => (window as any).__dash.connected)).toBe(false); // the page stopped listening
      expect(await page.evaluate(() => (window as any).__dash.updates)).toBeGreaterThanOrEqual(4);
      await shot(page, 'dashboard-sse-gradcos.png');
      expect(errors).toEqual([]);
    } finally {
      await page.close();
      await dash.app.close();
    }
  });
});

describe('mtl report', () => {
  it('--out writes one self-contained HTML file: it loads nothing else, and shows the same charts and numbers', async () => {
    const file = path.join(tmp, 'report.html');
    const r = await mtl(['report', runDir, '--out', file]);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain(`wrote ${file}`);
    const html = fs.readFileSync(file, 'utf8');
    expect(html).toContain('https://github.com/leeoniya/uPlot'); // uPlot inlined from node_modules
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+href=/); // nothing to fetch
    const page = await chrome.browser.newPage({ viewport: { width: 1400, height: 1000 } });
    const errors = pageErrors(page);
    const requests: string[] = [];
    page.on('request', (req) => requests.push(req.url()));
    await page.goto(pathToFileURL(file).href);
    await page.waitForFunction(() => (window as any).__dash?.updates >= 1);
    expect(requests).toEqual([pathToFileURL(file).href]);
    expect(await page.evaluate(() => (window as any).__dash.live)).toBe(false);
    await expectPageMatchesHistory(page, readHistory(runDir), ['income', 'never_married']);
    expect(await page.getByTestId('status').textContent()).toBe('finished');
    await shot(page, 'dashboard-report-file.png');
    expect(errors).toEqual([]);
    await page.close();
  });

  it('--port serves the same page for a finished run; a folder that is no run is a usage error', async () => {
    const served = start(['report', runDir, '--port', '0']);
    const url = (await served.waitFor(/at (http:\/\/127\.0\.0\.1:\d+)/))[1]!;
    const state = await (await fetch(`${url}/api/state`)).json();
    expect(state.status).toBe('finished');
    expect(state.mtl).toEqual(readHistory(runDir));
    const html = await (await fetch(url)).text();
    expect(html).toContain('var LIVE = true');
    served.child.kill('SIGTERM');
    expect(await served.exit).toBe(0);

    const program = new Command().exitOverride();
    registerReport(program);
    await expect(program.parseAsync(['node', 'mtl', 'report', path.join(tmp, 'nothing-here')])).rejects.toThrow(/no such run folder/);
    await expect(program.parseAsync(['node', 'mtl', 'report', tmp])).rejects.toThrow(/not a run folder of mtl train/);
  });
});
