/**
 * mtljs studio in a real browser (Debian's Chromium via playwright-core): `mtl studio --port 0` (the
 * real command, spawned) serves the page; a generated CSV with a regression and a binary target goes
 * in through the file input; the columns' inferred types show; training runs in the page's worker on the
 * backend it picked (recorded); Stop ends a long run; a 2-epoch run shows the per-task test table and
 * Δm% in the dashboard views; the downloaded zip holds a model folder that loadSavedModel loads in Node
 * and that predicts what the page's "try it" form predicted for the same row (1e-5); a file over the
 * limits is refused with the limit and the streaming command; an exception in training and a crashed
 * worker show a message and a second Train still works; no request carries the data. `mtl studio
 * --build DIR` writes a folder that a plain static server serves (not cross-origin isolated: Stop is
 * read between epochs there).
 *
 * MTL_SCREENSHOTS=dir saves screenshots during and after training.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeRows } from '../../src/data/preprocess.js';
import type { RawRecord } from '../../src/data/types.js';
import { initBackend } from '../../src/engine/backend.js';
import { tf } from '../../src/engine/tf.js';
import { loadSavedModel } from '../../src/models/saved.js';
import { launchChromium, pageErrors, type Chromium } from './chromium.js';
import { measurementsCsv } from '../helpers/measurements-csv.js';

const screenshots = process.env.MTL_SCREENSHOTS;
const TOL = 1e-5;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mtl-studio-'));
let chrome: Chromium;
let server: ChildProcess;
let url = '';

function writeCsv(file: string, n = 600): void {
  fs.writeFileSync(file, measurementsCsv(n, 7));
}

/** The files of a zip (stored or deflated), each checked against its CRC-32. */
function unzip(buf: Buffer): Map<string, Buffer> {
  const end = buf.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  expect(end, 'end of central directory').toBeGreaterThanOrEqual(0);
  const count = buf.readUInt16LE(end + 10);
  let p = buf.readUInt32LE(end + 16);
  const files = new Map<string, Buffer>();
  for (let i = 0; i < count; i++) {
    expect(buf.readUInt32LE(p)).toBe(0x02014b50);
    const method = buf.readUInt16LE(p + 10);
    const crc = buf.readUInt32LE(p + 16);
    const size = buf.readUInt32LE(p + 20);
    const nameLen = buf.readUInt16LE(p + 28);
    const extra = buf.readUInt16LE(p + 30);
    const comment = buf.readUInt16LE(p + 32);
    const local = buf.readUInt32LE(p + 42);
    const name = buf.subarray(p + 46, p + 46 + nameLen).toString('utf8');
    const start = local + 30 + buf.readUInt16LE(local + 26) + buf.readUInt16LE(local + 28);
    const raw = buf.subarray(start, start + size);
    const data = method === 0 ? raw : zlib.inflateRawSync(raw);
    expect(zlib.crc32(data), `CRC of ${name}`).toBe(crc);
    files.set(name, data);
    p += 46 + nameLen + extra + comment;
  }
  return files;
}

/** A screenshot of the whole page, or of one element (`selector`), into MTL_SCREENSHOTS. */
async function shot(page: Page, name: string, selector?: string): Promise<void> {
  if (!screenshots) return;
  fs.mkdirSync(screenshots, { recursive: true });
  const file = path.join(screenshots, name);
  await (selector ? page.locator(selector).screenshot({ path: file }) : page.screenshot({ path: file, fullPage: true }));
}

/** Starts `mtl studio` with the given arguments; resolves with its first stdout line (the URL). */
function startStudio(args: string[]): Promise<{ child: ChildProcess; line: string }> {
  const child = spawn(process.execPath, ['bin/mtl.js', 'studio', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const nl = out.indexOf('\n');
      if (nl >= 0) resolve({ child, line: out.slice(0, nl).trim() });
    });
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    child.on('close', (code) => reject(new Error(`mtl studio exited with ${code}: ${err}`)));
  });
}

type Studio = {
  phase: string;
  backend: { name: string; tried: { name: string; ok: boolean; why?: string }[] } | null;
  limits: { maxBytes: number; maxRows: number };
  summary: { rows: number; columns: { name: string; type: string }[] } | null;
  report: { deltaM?: number; backend: string; tasks: Record<string, { mtl: Record<string, number>; stl?: Record<string, number> }> } | null;
  stopped: boolean;
  rowsPerSecond: number;
  lastPrediction: { row: RawRecord; outputs: Record<string, number[]> } | null;
  errors: string[];
};
const studio = (page: Page) => page.evaluate(() => (window as unknown as { mtlStudio: Studio }).mtlStudio);

async function setField(page: Page, id: string, value: string): Promise<void> {
  const loc = page.getByTestId(id);
  if ((await loc.evaluate((e) => e.tagName)) === 'SELECT') await loc.selectOption(value);
  else {
    await loc.fill(value);
    await loc.dispatchEvent('change');
  }
}

async function trainAndWait(page: Page, timeout = 45_000): Promise<void> {
  await page.getByTestId('train').click();
  await page.waitForFunction(() => {
    const s = (window as unknown as { mtlStudio: Studio }).mtlStudio;
    return s.phase === 'idle';
  }, null, { timeout });
}

beforeAll(async () => {
  writeCsv(path.join(tmp, 'measurements.csv'));
  const [started, browser] = await Promise.all([startStudio(['--port', '0']), launchChromium(), initBackend('wasm')]);
  server = started.child;
  url = started.line;
  chrome = browser;
}, 60_000);

afterAll(async () => {
  await chrome?.close();
  server?.kill('SIGTERM');
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('mtl studio', () => {
  it('trains a dropped table in the page, downloads a model that predicts in Node what the page predicted, survives errors', async () => {
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const page = await chrome.browser.newPage({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
    const errors = pageErrors(page);
    const requests: { method: string; url: string; body: string | null }[] = [];
    page.on('request', (r) => requests.push({ method: r.method(), url: r.url(), body: r.postData() }));
    await page.goto(url);
    await page.waitForFunction(() => (window as unknown as { mtlStudio: Studio }).mtlStudio.backend !== null, null, { timeout: 30_000 });
    const backend = (await studio(page)).backend!;
    expect(['webgpu', 'webgl', 'wasm', 'cpu']).toContain(backend.name);
    expect(await page.getByTestId('backend').textContent()).toBe(`backend: ${backend.name}`);
    console.log(`[studio] backend in headless Chromium: ${backend.name} (passed over: ${backend.tried.filter((t) => !t.ok).map((t) => `${t.name}: ${t.why}`).join('; ') || 'none'}); cross-origin isolated: ${await page.evaluate(() => crossOriginIsolated)}`);

    // Limits: a file over the byte limit, then over the row limit, is refused with the limit and the streaming command.
    const csv = path.join(tmp, 'measurements.csv');
    await page.evaluate(() => { (window as unknown as { mtlStudio: Studio }).mtlStudio.limits.maxBytes = 1000; });
    await page.getByTestId('file').setInputFiles(csv);
    await expect.poll(() => page.getByTestId('error').textContent()).toContain('the studio takes files up to');
    const bytesMessage = (await page.getByTestId('error').textContent())!;
    expect(bytesMessage).toContain('mtl train');
    expect(bytesMessage).toContain('stream: true');
    await page.evaluate(() => { const s = (window as unknown as { mtlStudio: Studio }).mtlStudio; s.limits.maxBytes = 100 * 1024 * 1024; s.limits.maxRows = 100; });
    await page.getByTestId('file').setInputFiles([]);
    await page.getByTestId('file').setInputFiles(csv);
    await expect.poll(() => page.getByTestId('error').textContent()).toContain('up to 100 rows');
    expect(await page.getByTestId('error').textContent()).toContain('stream: true');
    await page.evaluate(() => { (window as unknown as { mtlStudio: Studio }).mtlStudio.limits.maxRows = 1_000_000; });

    // The table, through the file input: 600 rows, types as `features: all` infers them.
    await page.getByTestId('file').setInputFiles([]);
    await page.getByTestId('file').setInputFiles(csv);
    await page.waitForFunction(() => (window as unknown as { mtlStudio: Studio }).mtlStudio.summary?.rows === 600, null, { timeout: 20_000 });
    expect(await page.getByTestId('error').isHidden()).toBe(true);
    const types = Object.fromEntries((await studio(page)).summary!.columns.map((c) => [c.name, c.type]));
    expect(types).toEqual({ x1: 'numeric', x2: 'numeric', x3: 'numeric', colour: 'categorical', y: 'numeric', big: 'categorical' });
    expect(await page.getByTestId('train').isDisabled()).toBe(true); // no target yet
    await page.getByTestId('role-y').selectOption('target');
    await page.getByTestId('role-big').selectOption('target');
    expect(await page.getByTestId('kind-y').inputValue()).toBe('regression');
    expect(await page.getByTestId('kind-big').inputValue()).toBe('binary');
    expect(await page.getByTestId('positive-big').inputValue()).toBe('yes');

    // Stop: a long run (no early stopping) ends on request, and still gives a tested model.
    await setField(page, 'epochs', '200');
    await setField(page, 'patience', '0');
    await page.getByTestId('train').click();
    await page.waitForFunction(() => document.querySelector('iframe')!.contentWindow!.document.querySelector('[data-testid="hist-3-y-train-loss"]') !== null, null, { timeout: 30_000 });
    expect(await page.getByTestId('stop').isEnabled()).toBe(true);
    // The page stays responsive while the worker trains: a frame is drawn within a moment.
    const frameMs = await page.evaluate(() => new Promise<number>((resolve) => { const t = performance.now(); requestAnimationFrame(() => resolve(performance.now() - t)); }));
    expect(frameMs).toBeLessThan(500);
    await shot(page, 'studio-training.png');
    await page.getByTestId('stop').click();
    await page.waitForFunction(() => (window as unknown as { mtlStudio: Studio }).mtlStudio.phase === 'idle', null, { timeout: 20_000 });
    const stopped = await studio(page);
    expect(stopped.stopped).toBe(true);
    expect(stopped.report).not.toBeNull();
    expect(stopped.errors.length).toBe(2); // the two limit messages, nothing new

    // An exception in training (a gradient-space weighting combined with an aggregator): a message, the page usable.
    await setField(page, 'epochs', '2');
    await setField(page, 'weighting', 'gradnorm');
    await setField(page, 'aggregator', 'pcgrad');
    await trainAndWait(page);
    expect(await page.getByTestId('error').textContent()).toContain('cannot be combined with aggregator');
    await shot(page, 'studio-error.png', 'main');
    await expect.poll(() => page.frameLocator('#dash').getByTestId('status').textContent()).toBe('failed');
    expect(await page.frameLocator('#dash').locator('.task').count()).toBe(0); // a fresh dashboard: not the stopped run's curves

    // A worker that dies: a message, a new worker with the table loaded again.
    await page.evaluate(() => (window as unknown as { mtlStudio: { crashWorker(): void } }).mtlStudio.crashWorker());
    await expect.poll(() => page.getByTestId('error').textContent()).toContain('the worker stopped with an error');
    await page.waitForFunction(() => (window as unknown as { mtlStudio: Studio }).mtlStudio.phase === 'idle', null, { timeout: 30_000 });
    expect(await page.getByTestId('role-y').inputValue()).toBe('target'); // the choices survive the new worker

    // The second Train: 2 epochs, valid settings.
    await setField(page, 'weighting', 'ew');
    await setField(page, 'aggregator', '');
    const t0 = Date.now();
    await trainAndWait(page);
    const trainSeconds = (Date.now() - t0) / 1000;
    const s = await studio(page);
    expect(s.errors.length).toBe(4); // nothing new since the crash
    expect(await page.getByTestId('error').isHidden()).toBe(true);
    expect(s.stopped).toBe(false);
    expect(s.report!.backend).toBe(backend.name);
    expect(Object.keys(s.report!.tasks)).toEqual(['y', 'big']);
    expect(s.report!.tasks['y']!.stl).toBeDefined();
    expect(typeof s.report!.deltaM).toBe('number');
    // The dashboard's views show it: the test table with MTL, STL and Δ, and Δm%.
    const dash = page.frameLocator('#dash');
    await expect.poll(() => dash.getByTestId('status').textContent()).toBe('finished');
    expect(Number(await dash.getByTestId('report-big-auc-mtl').getAttribute('data-value'))).toBeCloseTo(s.report!.tasks['big']!.mtl['auc']!, 10);
    expect(Number(await dash.getByTestId('report-y-mae-stl').getAttribute('data-value'))).toBeCloseTo(s.report!.tasks['y']!.stl!['mae']!, 10);
    expect(Number(await dash.getByTestId('delta-m').getAttribute('data-value'))).toBeCloseTo(s.report!.deltaM!, 10);
    expect(Number(await dash.getByTestId('epochs').getAttribute('data-value'))).toBe(2);
    console.log(`[studio] 2 epochs of MTL + 2 STL on 432 training rows: ${trainSeconds.toFixed(1)} s in the page, ${Math.round(s.rowsPerSecond)} rows/s (multi-task model), Δm% ${s.report!.deltaM!.toFixed(2)}`);

    // Try it: one test row predicted in the page.
    await page.getByTestId('try-predict').click();
    await page.waitForFunction(() => (window as unknown as { mtlStudio: Studio }).mtlStudio.lastPrediction !== null);
    const prediction = (await studio(page)).lastPrediction!;
    expect(Object.keys(prediction.row).sort()).toEqual(['colour', 'x1', 'x2', 'x3']);
    expect(await page.getByTestId('answer-big').getAttribute('data-value')).toBe(JSON.stringify(prediction.outputs['big']));
    await shot(page, 'studio-done.png');
    await shot(page, 'studio-model.png', '#model-section');
    await shot(page, 'studio-settings.png', '#settings-section');

    // Download: the zip → a model folder that Node loads and that predicts the same (1e-5).
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('download-zip').click()]);
    expect(download.suggestedFilename()).toBe('measurements-model.zip');
    const zipFile = path.join(tmp, 'model.zip');
    await download.saveAs(zipFile);
    const files = unzip(fs.readFileSync(zipFile));
    expect([...files.keys()].sort()).toEqual(['measurements-model/manifest.json', 'measurements-model/model.json', 'measurements-model/weights.bin']);
    const modelDir = path.join(tmp, 'measurements-model');
    fs.mkdirSync(modelDir);
    for (const [name, data] of files) fs.writeFileSync(path.join(tmp, name), data);
    const [single] = await Promise.all([page.waitForEvent('download'), page.getByTestId('download-manifest.json').click()]);
    expect(fs.readFileSync(await single.path())).toEqual(files.get('measurements-model/manifest.json'));

    const saved = await loadSavedModel(modelDir);
    expect(saved.manifest.tasks.map((t) => [t.name, t.kind])).toEqual([['y', 'regression'], ['big', 'binary']]);
    const x = encodeRows(saved.manifest.preprocessing!, [prediction.row]);
    const outs = tf.tidy(() => {
      const { logits } = saved.model.forward(tf.tensor(x, [1, ...saved.manifest.inputShape]), false);
      return saved.tasks.map((t, i) => Array.from(t.predict(logits[i]!).dataSync()));
    });
    saved.tasks.forEach((t, i) => {
      const node = outs[i]!;
      const browser = prediction.outputs[t.name]!;
      expect(browser.length).toBe(node.length);
      node.forEach((v, k) => expect(Math.abs(browser[k]! - v) / Math.max(1, Math.abs(v)), `${t.name}: page ${browser[k]} vs Node ${v}`).toBeLessThanOrEqual(TOL));
    });
    saved.model.dispose();

    // Nothing but the site's own files was requested: the data stayed in the page.
    const origin = new URL(url).origin;
    const sent = requests.filter((r) => !r.url.startsWith('blob:') && !r.url.startsWith('data:'));
    expect(sent.every((r) => r.method === 'GET' && r.body === null && r.url.startsWith(origin))).toBe(true);
    const site = ['/', '/studio.js', '/studio-worker.js', '/dashboard.html', '/tfjs-backend-wasm.wasm', '/tfjs-backend-wasm-simd.wasm'];
    expect(sent.map((r) => new URL(r.url).pathname).filter((p) => !site.includes(p))).toEqual([]);
    expect(errors.filter((e) => !e.includes('the studio worker crashed (forced by the page'))).toEqual([]);
    await page.close();
  }, 120_000);

  it('mtl studio --build DIR writes a static site that a plain static server serves', async () => {
    const dir = path.join(tmp, 'site');
    const { line, child } = await startStudio(['--build', dir]);
    await new Promise((resolve) => child.on('exit', resolve));
    expect(line).toContain(`wrote the studio to ${dir}`);
    const names = fs.readdirSync(dir).sort();
    expect(names).toEqual(['_headers', 'adult-sample.csv', 'dashboard.html', 'index.html', 'studio-worker.js', 'studio.js', 'tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm-threaded-simd.wasm', 'tfjs-backend-wasm.wasm']);
    expect(fs.readFileSync(path.join(dir, '_headers'), 'utf8')).toContain('cross-origin-embedder-policy: require-corp');
    // A folder that is not empty and not a studio build is refused.
    const other = path.join(tmp, 'other');
    fs.mkdirSync(other);
    fs.writeFileSync(path.join(other, 'notes.txt'), 'mine');
    await expect(startStudio(['--build', other])).rejects.toThrow('not empty and not an earlier studio build');
    expect(fs.readdirSync(other)).toEqual(['notes.txt']);

    // Served by a plain static server (no isolation headers): the page starts and loads the sample.
    const types: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.wasm': 'application/wasm', '.csv': 'text/csv' };
    const plain = http.createServer((req, res) => {
      const name = req.url === '/' ? 'index.html' : decodeURIComponent(req.url!.slice(1).split('?')[0]!);
      const file = path.join(dir, path.basename(name));
      if (!fs.existsSync(file)) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { 'content-type': types[path.extname(file)] ?? 'application/octet-stream' }).end(fs.readFileSync(file));
    });
    await new Promise<void>((resolve) => plain.listen(0, '127.0.0.1', resolve));
    const page = await chrome.browser.newPage();
    try {
      await page.goto(`http://127.0.0.1:${(plain.address() as { port: number }).port}/`);
      await page.waitForFunction(() => (window as unknown as { mtlStudio: Studio }).mtlStudio.backend !== null, null, { timeout: 30_000 });
      expect(await page.evaluate(() => crossOriginIsolated)).toBe(false);
      await page.getByTestId('sample').click();
      await page.waitForFunction(() => (window as unknown as { mtlStudio: Studio }).mtlStudio.summary !== null, null, { timeout: 20_000 });
      const s = await studio(page);
      expect(s.summary!.rows).toBe(5000);
      expect(await page.getByTestId('role-income').inputValue()).toBe('target');
      expect(await page.getByTestId('positive-marital-status').inputValue()).toBe('Never-married');
      // Without isolation Stop is read between epochs: a long run still stops and gives a tested model.
      await setField(page, 'epochs', '200');
      await setField(page, 'patience', '0');
      await page.getByTestId('train').click();
      await page.waitForFunction(() => document.querySelector('iframe')!.contentWindow!.document.querySelector('[data-testid="hist-2-income-train-loss"]') !== null, null, { timeout: 30_000 });
      await page.getByTestId('stop').click();
      await page.waitForFunction(() => (window as unknown as { mtlStudio: Studio }).mtlStudio.phase === 'idle', null, { timeout: 20_000 });
      expect(await page.getByTestId('progress').textContent()).toMatch(/^stopped in /);
      const stopped = await studio(page);
      expect(stopped.stopped).toBe(true);
      expect(stopped.report!.tasks['income']!.mtl['auc']).toBeGreaterThan(0.7);
      expect(stopped.errors).toEqual([]);
      await shot(page, 'studio-sample-stopped.png');
    } finally {
      await page.close();
      plain.close();
    }
  }, 60_000);
});
