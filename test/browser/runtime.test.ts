/**
 * Saved models in a web page with tfjs alone (Debian's Chromium via playwright-core): the demo page of
 * examples/browser, served by createServer(dir, {ui: true}) as `mtl serve --ui` does, loads model.json
 * with tf.loadLayersModel (tfjs-core + tfjs-backend-cpu + tfjs-layers browser bundles from node_modules)
 * and predicts what Node predicts (loadSavedModel + forward + predict, wasm backend) to 1e-5:
 * real adult test rows (raw records, encoded in the page by the bundled src/data/preprocess.ts),
 * every table task kind (regression de-scaled with the manifest's target scaling) and MNIST digits
 * through a CNN (class + box), embedded or drawn with the mouse.
 */
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { FastifyInstance } from 'fastify';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserRuntimeBundle } from '../../src/browser/bundle.js';
import { formatRows } from '../../src/browser/format.js';
import { encodeRows } from '../../src/data/preprocess.js';
import type { RawRecord } from '../../src/data/types.js';
import { initBackend } from '../../src/engine/backend.js';
import { tf } from '../../src/engine/tf.js';
import { loadSavedModel, type SavedModel } from '../../src/models/saved.js';
import { createServer } from '../../src/serve/server.js';
import { adultConfig, adultTestRecords, funnelConfig, kindsConfig, mnistConfig, tmpDir, trainRun, writeFunnelCsv, writeKindsCsv } from '../serve/fixtures.js';
import { launchChromium, missingChromium, pageErrors, type Chromium } from './chromium.js';

const tmp = tmpDir('browser');
const screenshots = process.env.MTL_SCREENSHOTS;
const TOL = 1e-5;
let chrome: Chromium;
const runs: Record<'adult' | 'kinds' | 'mnist' | 'funnel', string> = { adult: '', kinds: '', mnist: '', funnel: '' };

function nodePredict(saved: SavedModel, x: Float32Array, n: number): Record<string, number[]> {
  const outs = tf.tidy(() => {
    const { logits } = saved.model.forward(tf.tensor(x, [n, ...saved.manifest.inputShape]), false);
    return saved.tasks.map((t, i) => t.predict(logits[i]!));
  });
  const result = Object.fromEntries(saved.tasks.map((t, i) => [t.name, Array.from(outs[i]!.dataSync())]));
  outs.forEach((t) => t.dispose());
  return result;
}

/** |browser − node| ≤ 1e-5 (relative for values beyond 1, e.g. regression in label units). */
function expectClose(browser: Record<string, number[]>, node: Record<string, number[]>, what: string): number {
  expect(Object.keys(browser)).toEqual(Object.keys(node));
  let worst = 0;
  for (const task of Object.keys(node)) {
    expect(browser[task]!.length, `${what} ${task}`).toBe(node[task]!.length);
    node[task]!.forEach((v, i) => {
      const d = Math.abs(browser[task]![i]! - v) / Math.max(1, Math.abs(v));
      worst = Math.max(worst, d);
      expect(d, `${what} ${task}[${i}]: browser ${browser[task]![i]} vs node ${v}`).toBeLessThanOrEqual(TOL);
    });
  }
  return worst;
}

async function openDemo(dir: string): Promise<{ page: Page; app: FastifyInstance; errors: string[]; requests: string[] }> {
  const app = await createServer(dir, { ui: true });
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  const page = await chrome.browser.newPage({ viewport: { width: 1200, height: 900 } });
  const errors = pageErrors(page);
  const requests: string[] = [];
  page.on('request', (r) => requests.push(r.url()));
  await page.goto(url);
  await page.waitForFunction(() => document.body.dataset.ready !== undefined, null, { timeout: 60_000 });
  const err = await page.evaluate(() => (window as any).mtlDemo.error);
  expect(err, 'the page failed to start').toBeUndefined();
  return { page, app, errors, requests };
}

async function shot(page: Page, name: string): Promise<void> {
  if (!screenshots) return;
  fs.mkdirSync(screenshots, { recursive: true });
  await page.screenshot({ path: path.join(screenshots, name), fullPage: true });
}

beforeAll(async () => {
  await initBackend('wasm');
  const [adult, kinds, mnist, funnel, browser] = await Promise.all([
    trainRun(tmp, 'adult', adultConfig('adult-browser')),
    trainRun(tmp, 'kinds', kindsConfig(writeKindsCsv(tmp))),
    trainRun(tmp, 'mnist', mnistConfig()),
    trainRun(tmp, 'funnel', funnelConfig(writeFunnelCsv(tmp, 1500))),
    launchChromium(),
  ]);
  Object.assign(runs, { adult, kinds, mnist, funnel });
  chrome = browser;
});

afterAll(async () => {
  await chrome?.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('the browser runtime bundle', () => {
  it('carries src/data/preprocess.ts itself: its encodeRows equals Node\'s on 2,000 real adult rows', async () => {
    const file = path.join(tmp, 'mtl-runtime.mjs');
    fs.writeFileSync(file, await browserRuntimeBundle());
    const bundled = (await import(pathToFileURL(file).href)) as { encodeRows: typeof encodeRows };
    const state = (await loadSavedModel(`${runs.adult}/model`)).manifest.preprocessing!;
    const { rows } = adultTestRecords(2000);
    const asText = rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, v === null ? '?' : ` ${v} `]))); // as read from a file
    for (const batch of [rows, asText]) {
      const ours = encodeRows(state, batch);
      expect(Array.from(bundled.encodeRows(state, batch))).toEqual(Array.from(ours));
    }
    expect(() => bundled.encodeRows(state, [{ ...rows[0], extra: 1 }])).toThrow("unknown column 'extra'");
  });

  it('a missing Chromium fails the tests with the command to install it (never a silent skip)', async () => {
    await expect(launchChromium('/nonexistent/chromium')).rejects.toThrow(missingChromium('/nonexistent/chromium'));
    expect(missingChromium()).toContain('apt-get install -y chromium');
  });
});

describe('the demo page predicts what Node predicts (1e-5)', () => {
  it('adult: 50 real test rows encoded and predicted in the page; the row picker shows the same answers', async () => {
    const saved = await loadSavedModel(`${runs.adult}/model`);
    const { page, app, errors, requests } = await openDemo(runs.adult);
    try {
      const info = await page.evaluate(() => ({ backend: (window as any).mtlDemo.backend, tf: (window as any).tf.version_core }));
      expect(info).toEqual({ backend: 'cpu', tf: tf.version_core });
      const { rows } = adultTestRecords(50, 100);
      const x = encodeRows(saved.manifest.preprocessing!, rows);
      expect(await page.evaluate((r) => (window as any).mtlDemo.encode(r), rows)).toEqual(Array.from(x));
      const browser = await page.evaluate((r) => (window as any).mtlDemo.predictRows(r), rows);
      const node = nodePredict(saved, x, rows.length);
      const worst = expectClose(browser, node, 'adult');
      console.log(`[browser] adult: 50 rows × 2 tasks, largest |browser − node| = ${worst.toExponential(2)}`);
      // The same answers as the server format (labels at p ≥ 0.5).
      const answers = await page.evaluate((r) => (window as any).mtlDemo.answersForRows(r), rows);
      const expected = formatRows(saved.manifest.tasks, Object.fromEntries(Object.entries(node)), rows.length);
      answers.forEach((a: any, i: number) => {
        expect(a.income.label).toBe((expected[i]!.income as { label: string }).label);
        expect(a.never_married.label).toBe((expected[i]!.never_married as { label: string }).label);
      });

      // The UI: each embedded adult row → the numbers shown are Node's.
      const embedded = JSON.parse(fs.readFileSync('examples/browser/adult-rows.json', 'utf8')).rows as RawRecord[];
      const columns = saved.manifest.preprocessing!.features.map((f) => f.column);
      for (const i of [0, 4, 7]) {
        await page.evaluate((k) => (window as any).mtlDemo.selectRow(k), i);
        const record = Object.fromEntries(columns.map((c) => [c, embedded[i]![c] ?? null]));
        const n = nodePredict(saved, encodeRows(saved.manifest.preprocessing!, [record]), 1);
        for (const t of ['income', 'never_married']) {
          const shown = Number(await page.getByTestId(`out-${t}-p`).getAttribute('data-value'));
          expect(Math.abs(shown - n[t]![0]!)).toBeLessThanOrEqual(TOL);
          const names = saved.manifest.tasks.find((k) => k.name === t)!.labelNames!;
          expect(await page.getByTestId(`out-${t}-label`).textContent()).toBe(n[t]![0]! >= 0.5 ? names[1] : names[0]);
        }
        expect(await page.getByTestId('truth').textContent()).toContain(`income = ${embedded[i]!.income}`);
      }
      await page.evaluate(() => (window as any).mtlDemo.selectRow(0));
      await shot(page, 'browser-adult.png');
      // Everything came from this server: tfjs bundles, the runtime, the model.
      const origin = new URL(page.url()).origin;
      expect(requests.every((u) => u.startsWith(origin))).toBe(true);
      for (const p of ['/vendor/tf-core.min.js', '/vendor/tf-backend-cpu.min.js', '/vendor/tf-layers.min.js', '/mtl/runtime.js', '/model/model.json', '/model/weights.bin', '/model/manifest.json']) {
        expect(requests).toContain(origin + p);
      }
      expect(errors).toEqual([]);
    } finally {
      await page.close();
      await app.close();
    }
  });

  it('every table kind: multiclass softmax, multilabel sigmoid, regression de-scaled by the manifest, binary', async () => {
    const saved = await loadSavedModel(`${runs.kinds}/model`);
    expect(saved.manifest.tasks.find((t) => t.kind === 'regression')!.state).toMatchObject({ mean: [expect.any(Number), expect.any(Number)] });
    const { page, app, errors } = await openDemo(runs.kinds);
    try {
      const rows: RawRecord[] = Array.from({ length: 30 }, (_, i) => ({
        x1: i % 7 === 0 ? null : -2 + (i * 4) / 29, x2: (i * 37) % 10, color: ['red', 'green', 'blue', 'purple'][i % 4]!, size: i % 3 ? 'S' : 'L',
      }));
      const browser = await page.evaluate((r) => (window as any).mtlDemo.predictRows(r), rows);
      const node = nodePredict(saved, encodeRows(saved.manifest.preprocessing!, rows), rows.length);
      const worst = expectClose(browser, node, 'kinds');
      console.log(`[browser] csv (multiclass, multilabel, 2-output regression, binary): 30 rows, largest relative difference ${worst.toExponential(2)}`);
      expect(Math.max(...node.amount!.filter((_, i) => i % 2 === 0))).toBeGreaterThan(90); // prices in label units
      // The form shows the answers for what it holds: regression values by output name.
      const shownPrice = Number(await page.getByTestId('out-amount-v-price').getAttribute('data-value'));
      expect(shownPrice).toBeGreaterThan(50);
      expect(await page.getByTestId('out-cls-label').textContent()).toMatch(/^[abc]$/);
      await shot(page, 'browser-kinds.png');
      expect(errors).toEqual([]);
    } finally {
      await page.close();
      await app.close();
    }
  });

  it('ESMM with embedded ID features (vocabulary, hash buckets, id lists): the page registers the mtljs layers and predicts as Node does', async () => {
    const saved = await loadSavedModel(`${runs.funnel}/model`);
    const { page, app, errors } = await openDemo(runs.funnel);
    try {
      const rows: RawRecord[] = Array.from({ length: 40 }, (_, i) => ({
        user: i % 9 === 0 ? 'nobody' : `u${i * 7}`, item: `i${i % 65}`, device: ['ios', 'android', 'web', null][i % 4]!,
        price: i % 5 === 0 ? null : (i % 30) / 10, history: i % 3 ? `i${i % 60}|i${(i * 11) % 60}|i${(i * 3) % 60}` : '',
      }));
      const browser = await page.evaluate((r) => (window as any).mtlDemo.predictRows(r), rows);
      const node = nodePredict(saved, encodeRows(saved.manifest.preprocessing!, rows), rows.length);
      const worst = expectClose(browser, node, 'funnel');
      console.log(`[browser] ESMM + embeddings: 40 rows, largest relative difference ${worst.toExponential(2)}`);
      browser.purchase!.forEach((p: number, i: number) => expect(p).toBeLessThanOrEqual(browser.click![i]! + 1e-6));
      await shot(page, 'browser-funnel.png');
      expect(errors).toEqual([]);
    } finally {
      await page.close();
      await app.close();
    }
  });

  it('MNIST CNN: the embedded digits and a digit drawn with the mouse → class probabilities and box equal Node\'s', async () => {
    const saved = await loadSavedModel(`${runs.mnist}/model`);
    expect(saved.manifest.inputShape).toEqual([28, 28, 1]);
    const { page, app, errors } = await openDemo(runs.mnist);
    try {
      const digits = JSON.parse(fs.readFileSync('examples/browser/mnist-digits.json', 'utf8')).digits as { label: number; pixels: number[] }[];
      const x = Float32Array.from(digits.flatMap((d) => d.pixels));
      const browser = await page.evaluate(([flat, n]) => (window as any).mtlDemo.predictInputs(flat, n), [Array.from(x), digits.length] as const);
      const node = nodePredict(saved, x, digits.length);
      const worst = expectClose(browser, node, 'mnist');
      console.log(`[browser] mnist cnn: 10 digits × (10 classes + 4 box coordinates), largest |browser − node| = ${worst.toExponential(2)}`);

      // The inference server of the same model takes the digits as input tensors, nested 28 × 28 × 1 or flat.
      const origin = new URL(page.url()).origin;
      const nested = digits.slice(0, 3).map((d) => Array.from({ length: 28 }, (_, r) => Array.from({ length: 28 }, (_, c) => [d.pixels[r * 28 + c]!])));
      const viaHttp = async (body: unknown) => {
        const res = await fetch(`${origin}/predict`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
        return { status: res.status, json: (await res.json()) as any };
      };
      const httpNested = await viaHttp({ inputs: nested });
      const httpFlat = await viaHttp({ inputs: digits.slice(0, 3).map((d) => d.pixels) });
      expect(httpNested.status).toBe(200);
      expect(httpNested.json).toEqual(httpFlat.json);
      httpNested.json.predictions.forEach((p: any, i: number) => {
        expect(Object.keys(p.digit.probabilities)).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
        Object.values(p.digit.probabilities).forEach((v, j) => expect(Math.abs((v as number) - node.digit![i * 10 + j]!)).toBeLessThanOrEqual(TOL));
        expect(Object.keys(p.box.box)).toEqual(['x1', 'y1', 'x2', 'y2']);
        expect(Math.abs(p.box.box.x2 - node.box![i * 4 + 2]!)).toBeLessThanOrEqual(TOL);
      });
      const records = await viaHttp({ rows: [{ pixel: 1 }] });
      expect(records.status).toBe(400);
      expect(records.json.error).toMatch(/this model takes input tensors, not records.*\[28, 28, 1\]/);
      const wrong = await viaHttp({ inputs: [nested[0]!.slice(0, 27)] });
      expect(wrong.status).toBe(400);
      expect(wrong.json.error).toMatch(/inputs\[0\]: wrong shape: expected 784 numbers flat or nested as \[28, 28, 1\]/);

      // Click the sample buttons: the page shows Node's numbers for that digit.
      for (const i of [3, 7]) {
        await page.getByTestId(`digit-${i}`).click();
        const p = node.digit!.slice(i * 10, i * 10 + 10);
        const best = p.indexOf(Math.max(...p));
        expect(await page.getByTestId('out-digit-label').textContent()).toBe(String(best));
        expect(Math.abs(Number(await page.getByTestId(`out-digit-p-${best}`).getAttribute('data-value')) - p[best]!)).toBeLessThanOrEqual(TOL);
        const box = JSON.parse((await page.getByTestId('out-box-box').getAttribute('data-value'))!);
        [box.x1, box.y1, box.x2, box.y2].forEach((v: number, j: number) => expect(Math.abs(v - node.box![i * 4 + j]!)).toBeLessThanOrEqual(TOL));
      }

      // Draw a "1" with the mouse: the page turns it into a 28 × 28 input and predicts it; Node agrees.
      await page.getByRole('button', { name: 'Clear' }).click();
      const pad = (await page.getByTestId('pad').boundingBox())!;
      await page.mouse.move(pad.x + pad.width * 0.5, pad.y + pad.height * 0.15);
      await page.mouse.down();
      for (let k = 1; k <= 12; k++) await page.mouse.move(pad.x + pad.width * (0.5 - 0.01 * k), pad.y + pad.height * (0.15 + 0.06 * k));
      await page.mouse.up();
      await page.waitForFunction(() => (window as any).mtlDemo.last?.digit !== undefined);
      const drawn = await page.evaluate(() => ({ answer: (window as any).mtlDemo.last, input: (window as any).mtlDemo.lastInput as number[] }));
      expect(drawn.input.length).toBe(784);
      expect(drawn.input.filter((v) => v > 0.5).length).toBeGreaterThan(20); // ink, scaled into the 20 × 20 centre
      const n = nodePredict(saved, Float32Array.from(drawn.input), 1);
      const probs = Object.values(drawn.answer.digit.probabilities) as number[];
      probs.forEach((p, j) => expect(Math.abs(p - n.digit![j]!)).toBeLessThanOrEqual(TOL));
      const b = drawn.answer.box.box;
      [b.x1, b.y1, b.x2, b.y2].forEach((v: number, j: number) => expect(Math.abs(v - n.box![j]!)).toBeLessThanOrEqual(TOL));
      expect(probs.reduce((a, c) => a + c, 0)).toBeCloseTo(1, 5);
      await shot(page, 'browser-mnist.png');
      expect(errors).toEqual([]);
    } finally {
      await page.close();
      await app.close();
    }
  });
});
