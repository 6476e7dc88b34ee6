/**
 * A dselect-k model in a web page with tfjs alone: `mtl train` trains DSelect-k (3 experts — not a power
 * of 2 — k = 2, per-example gates) on the synthetic click → purchase funnel with embedded ID features,
 * so model.json holds the mtljs layers MtlFeatureEmbedding and MtlDSelectGate. The demo page of
 * examples/browser (served as `mtl serve --ui` does) registers them through the browser runtime
 * (src/browser/runtime.ts) with the page's own tfjs and predicts what Node predicts (1e-5).
 */
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeRows } from '../../src/data/preprocess.js';
import type { RawRecord } from '../../src/data/types.js';
import { initBackend } from '../../src/engine/backend.js';
import { tf } from '../../src/engine/tf.js';
import { loadSavedModel } from '../../src/models/saved.js';
import { createServer } from '../../src/serve/server.js';
import { funnelConfig, tmpDir, trainRun, writeFunnelCsv } from '../serve/fixtures.js';
import { launchChromium, pageErrors, type Chromium } from './chromium.js';

const tmp = tmpDir('browser-dselect');
let chrome: Chromium;
let run = '';

beforeAll(async () => {
  await initBackend('wasm');
  const config = funnelConfig(writeFunnelCsv(tmp, 800), 'dselect-k', '{ epochs: 2, batchSize: 128, lr: 0.01, earlyStopping: false }')
    .map((line) => (line.startsWith('model:') ? line.replace(/ }$/, ', options: { experts: 3, k: 2 } }') : line));
  expect(config.some((l) => l.includes('options: { experts: 3, k: 2 }'))).toBe(true);
  [run, chrome] = await Promise.all([trainRun(tmp, 'funnel-dselect', config), launchChromium()]);
}, 240_000);

afterAll(async () => {
  await chrome?.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('dselect-k in the browser runtime', () => {
  it('the page registers MtlDSelectGate (and the embedding layer) and predicts 40 rows as Node does (1e-5)', async () => {
    const modelJson = fs.readFileSync(`${run}/model/model.json`, 'utf8');
    expect(modelJson.match(/"class_name":"MtlDSelectGate"/g)?.length).toBe(2); // one gate per task
    expect(modelJson).toContain('"class_name":"MtlFeatureEmbedding"');
    const saved = await loadSavedModel(`${run}/model`);
    expect(saved.manifest.architecture).toBe('dselect-k');
    const app = await createServer(run, { ui: true });
    const url = await app.listen({ port: 0, host: '127.0.0.1' });
    const page = await chrome.browser.newPage();
    const errors = pageErrors(page);
    try {
      await page.goto(url);
      await page.waitForFunction(() => document.body.dataset.ready !== undefined, null, { timeout: 60_000 });
      expect(await page.evaluate(() => (window as any).mtlDemo.error)).toBeUndefined();
      const rows: RawRecord[] = Array.from({ length: 40 }, (_, i) => ({
        user: i % 9 === 0 ? 'nobody' : `u${i * 7}`, item: `i${i % 65}`, device: ['ios', 'android', 'web', null][i % 4]!,
        price: i % 5 === 0 ? null : (i % 30) / 10, history: i % 3 ? `i${i % 60}|i${(i * 11) % 60}|i${(i * 3) % 60}` : '',
      }));
      const browser = (await page.evaluate((r) => (window as any).mtlDemo.predictRows(r), rows)) as Record<string, number[]>;
      const x = encodeRows(saved.manifest.preprocessing!, rows);
      const outs = tf.tidy(() => {
        const { logits } = saved.model.forward(tf.tensor(x, [rows.length, ...saved.manifest.inputShape]), false);
        return saved.tasks.map((t, i) => t.predict(logits[i]!));
      });
      const node = Object.fromEntries(saved.tasks.map((t, i) => [t.name, Array.from(outs[i]!.dataSync())]));
      tf.dispose(outs);
      expect(Object.keys(browser)).toEqual(['click', 'purchase']);
      for (const task of Object.keys(node)) {
        expect(browser[task]!.length).toBe(rows.length);
        node[task]!.forEach((v, i) => expect(Math.abs(browser[task]![i]! - v), `${task}[${i}]`).toBeLessThanOrEqual(1e-5));
      }
      // The rows get different predictions (the model is not constant), and the page reported no error.
      expect(new Set(node.click!.map((v) => v.toFixed(4))).size).toBeGreaterThan(5);
      expect(errors).toEqual([]);
    } finally {
      await page.close();
      await app.close();
      saved.model.dispose();
    }
  });
});
