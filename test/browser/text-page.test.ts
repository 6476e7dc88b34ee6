/**
 * Text models in a web page (Debian's Chromium via playwright-core): `mtl serve <text run> --ui`
 * (createServer(dir, {ui: true})) serves examples/agent/page, which loads model.json + weights +
 * manifest.json + text.json with the text runtime (src/browser/text-runtime.ts, bundled with tfjs and the
 * text layers) and shows intent and slot spans of a typed utterance. For a small SNIPS model with the
 * BiGRU encoder and one with the Transformer encoder, utterances typed into the page give the tokens,
 * intent (label, every probability to 1e-5) and slot tags and spans that `mtl predict` (predictText,
 * Node, wasm backend) gives — read both from the page's prediction object and from what it displays.
 * MTL_SCREENSHOTS=dir saves a screenshot of each page.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSnips } from '../../src/data/loaders/snips.js';
import { initBackend } from '../../src/engine/backend.js';
import { buildModel } from '../../src/models/registry.js';
import { predictText, type TextPrediction } from '../../src/run/predict-text.js';
import { saveTextModel } from '../../src/run/text.js';
import { createServer } from '../../src/serve/server.js';
import { createTask } from '../../src/tasks/registry.js';
import { Trainer } from '../../src/train/node/trainer.js';
import { DATA_DIR, tmpDir } from '../serve/fixtures.js';
import { launchChromium, pageErrors, type Chromium } from './chromium.js';

const tmp = tmpDir('text-page');
const screenshots = process.env.MTL_SCREENSHOTS;
const TOL = 1e-5;
let chrome: Chromium;

const UTTERANCES = [
  'book a table for two at a sushi place tomorrow',
  'Play some JAZZ music on Spotify!',
  'what is the weather in paris next week',
  'add this song to my workout playlist',
  'rate this book four out of six stars',
  'find the movie schedule at the closest cinema',
  'xyzzy plugh frobnicate',
  // longer than L (SNIPS: 35 tokens): the page and mtl predict cut it alike
  'please play the song that my friend told me about yesterday when we were walking by the river near the old bridge in the city of london after dinner at nine and then add it to my evening playlist called quiet songs for the road',
];

const ENCODERS = {
  bigru: { type: 'bigru', dim: 32 },
  transformer: { type: 'transformer', dim: 32, layers: 1, heads: 2 },
} as const;
const runs: Record<keyof typeof ENCODERS, string> = { bigru: '', transformer: '' };

/** Trains a small SNIPS intent + slots model and saves it as a run folder (model/ with text.json). */
async function trainSnips(name: keyof typeof ENCODERS): Promise<string> {
  const split = await loadSnips({ limit: 2000, dataDir: process.env.MTL_DATA_DIR ?? DATA_DIR });
  const tasks = split.train.tasks.map((s) => createTask(s));
  const model = buildModel('text-hps', { inputShape: split.train.inputShape, tasks, seed: 0 }, { vocabSize: split.text.vocabulary.length, encoder: ENCODERS[name] });
  const trainer = new Trainer(model, tasks, { epochs: 3, batchSize: 32, optimizer: { name: 'adam', lr: 5e-3 }, seed: 0, progress: 'silent' });
  await trainer.fit(split.train);
  const dir = path.join(tmp, name);
  await saveTextModel(path.join(dir, 'model'), model, tasks, split.train.inputShape, split.text, 'snips');
  trainer.dispose();
  model.dispose();
  return dir;
}

async function openPage(dir: string): Promise<{ page: Page; app: FastifyInstance; errors: string[]; requests: string[]; origin: string }> {
  const app = await createServer(dir, { ui: true });
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  const page = await chrome.browser.newPage({ viewport: { width: 1000, height: 800 } });
  const errors = pageErrors(page);
  const requests: string[] = [];
  page.on('request', (r) => requests.push(r.url()));
  await page.goto(url);
  await page.waitForFunction(() => document.body.dataset.ready !== undefined, null, { timeout: 60_000 });
  expect(await page.evaluate(() => (window as any).mtlText.error), 'the page failed to start').toBeUndefined();
  return { page, app, errors, requests, origin: new URL(url).origin };
}

/** Types the utterance into the box (key by key for the first, as a paste for the rest) and waits for its answer. */
async function typeUtterance(page: Page, text: string, keyByKey: boolean): Promise<{ last: TextPrediction; shown: { intent: string; spans: { type: string; text: string; start: number; end: number }[] } }> {
  const box = page.getByTestId('utterance');
  await box.fill('');
  if (keyByKey) await box.pressSequentially(text);
  else await box.fill(text);
  await page.waitForFunction((t) => document.getElementById('result')!.dataset.text === t, text, { timeout: 10_000 });
  return page.evaluate(() => ({
    last: (window as any).mtlText.last,
    shown: {
      intent: document.querySelector('[data-testid="label-intent"]')!.textContent!,
      spans: [...document.querySelectorAll('[data-testid="span-slots"]')].map((r) => {
        const e = r as HTMLElement;
        return { type: e.dataset.type!, text: e.dataset.text!, start: Number(e.dataset.start), end: Number(e.dataset.end) };
      }),
    },
  }));
}

beforeAll(async () => {
  await initBackend('wasm');
  runs.bigru = await trainSnips('bigru');
  runs.transformer = await trainSnips('transformer');
  chrome = await launchChromium();
}, 240_000);

afterAll(async () => {
  await chrome?.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('the text page of mtl serve --ui', () => {
  for (const name of Object.keys(ENCODERS) as (keyof typeof ENCODERS)[]) {
    it(`${name}: typed utterances show the intent and slot spans mtl predict gives (probabilities to 1e-5)`, async () => {
      const want = await predictText(runs[name], UTTERANCES);
      const { page, app, errors, requests, origin } = await openPage(runs[name]);
      try {
        expect(await page.evaluate(() => (window as any).mtlText.backend)).toBe('cpu');
        let worst = 0;
        for (const [i, text] of UTTERANCES.entries()) {
          const { last, shown } = await typeUtterance(page, text, i === 0);
          const w = want[i]!;
          expect(last.text).toBe(text);
          expect(last.tokens, text).toEqual(w.tokens);
          expect(last.truncated, text).toBe(w.truncated);
          expect(Object.keys(last.tasks)).toEqual(Object.keys(w.tasks));
          const intent = w.tasks.intent as Extract<TextPrediction['tasks'][string], { kind: 'class' }>;
          const got = last.tasks.intent as typeof intent;
          expect(got.label, text).toBe(intent.label);
          expect(shown.intent, text).toBe(intent.label);
          for (const [k, p] of Object.entries(intent.probabilities)) {
            worst = Math.max(worst, Math.abs(got.probabilities[k]! - p));
            expect(Math.abs(got.probabilities[k]! - p), `${text}: p(${k})`).toBeLessThanOrEqual(TOL);
          }
          const slots = w.tasks.slots as Extract<TextPrediction['tasks'][string], { kind: 'spans' }>;
          expect((last.tasks.slots as typeof slots).tags, text).toEqual(slots.tags);
          expect((last.tasks.slots as typeof slots).spans, text).toEqual(slots.spans);
          expect(shown.spans, text).toEqual(slots.spans);
        }
        expect(want.at(-1)!.truncated).toBeGreaterThan(0);
        // The model is trained enough that the comparison covers spans and several intents.
        expect(want.filter((p) => (p.tasks.slots as { spans: unknown[] }).spans.length > 0).length).toBeGreaterThanOrEqual(4);
        expect(new Set(want.map((p) => (p.tasks.intent as { label: string }).label)).size).toBeGreaterThanOrEqual(3);
        // The last one again, with slots on show, for the screenshot.
        await typeUtterance(page, UTTERANCES[0]!, false);
        if (screenshots) {
          fs.mkdirSync(screenshots, { recursive: true });
          await page.screenshot({ path: path.join(screenshots, `text-agent-${name}.png`), fullPage: true });
        }
        expect(requests.every((u) => u.startsWith(origin)), requests.join('\n')).toBe(true);
        for (const p of ['/mtl/text-runtime.js', '/model/model.json', '/model/manifest.json', '/model/text.json']) expect(requests).toContain(origin + p);
        expect(errors).toEqual([]);
        console.log(`${name}: ${UTTERANCES.length} utterances, page (cpu) vs mtl predict (wasm): max |Δp| = ${worst.toExponential(2)}`);
      } finally {
        await page.close();
        await app.close();
      }
    }, 120_000);
  }
});
