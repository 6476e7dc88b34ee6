/**
 * The core Trainer trains in a web page: mtljs/browser (src/browser.ts) bundled for the browser with
 * tfjs's cpu backend, loaded into headless Chromium, builds an HPS model and fits it with early stopping,
 * gradient statistics and PCGrad — the same code and the same seeds as in Node. The page's losses and
 * weights must equal a Node run of the same Trainer on the same backend (cpu) to float32 precision.
 */
import os from 'node:os';
import path from 'node:path';
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as core from '../../src/browser.js';
import { initBackend } from '../../src/engine/backend.js';
import { launchChromium, pageErrors, type Chromium } from './chromium.js';

/** Two related tasks on 8 inputs: a regression target and a binary one from the same hidden factor. */
function syntheticData(n: number, seed: number) {
  const rand = core.mulberry32(seed);
  const x = new Float32Array(n * 8);
  const reg = new Float32Array(n);
  const bin = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let h = 0;
    for (let j = 0; j < 8; j++) {
      const v = rand() * 2 - 1;
      x[i * 8 + j] = v;
      h += v * (j % 3 === 0 ? 1 : -0.5);
    }
    reg[i] = h + 0.1 * (rand() - 0.5);
    bin[i] = h > 0 ? 1 : 0;
  }
  return { x: Array.from(x), reg: Array.from(reg), bin: Array.from(bin), n };
}

type Data = ReturnType<typeof syntheticData>;

/** The same function runs in Node and, serialised, in the page: `m` is mtljs/browser either way. */
async function train(m: typeof core, train: Data, val: Data) {
  const specs = [
    { name: 'y', kind: 'regression' as const, width: 1, outputSize: 1 },
    { name: 'positive', kind: 'binary' as const, width: 1, outputSize: 1 },
  ];
  const ds = (d: Data, name: string) => ({
    name, inputShape: [8], n: d.n, x: Float32Array.from(d.x), tasks: specs,
    labels: { y: Float32Array.from(d.reg), positive: Float32Array.from(d.bin) },
  });
  const fit = ds(train, 'train');
  const tasks = specs.map((s) => m.createTask(s, {}, { values: fit.labels[s.name as 'y' | 'positive'], n: fit.n }));
  const model = m.buildModel('hps', { inputShape: [8], tasks, seed: 3 }, { encoder: { type: 'mlp', hidden: [16] }, head: { hidden: [] } });
  const trainer = new m.Trainer(model, tasks, {
    epochs: 6, batchSize: 32, optimizer: { name: 'adam', lr: 0.01 }, seed: 3,
    earlyStopping: { patience: 3 }, aggregator: { method: 'pcgrad' }, gradientStats: true,
  });
  const result = await trainer.fit(fit, ds(val, 'val'));
  const weights = model.trainableVariables().map((v) => Array.from(v.dataSync()));
  const metrics = trainer.evaluate(ds(val, 'val'));
  trainer.dispose();
  return {
    losses: result.history.map((r) => [r.train['y']!.loss, r.train['positive']!.loss]),
    cosines: result.history.map((r) => r.gradCosine?.[0]?.[1] ?? null),
    weights,
    auc: metrics['positive']!['auc'],
    finished: result.finished,
    backend: m.tf.getBackend(),
  };
}

let chrome: Chromium;
let bundle = '';

beforeAll(async () => {
  const esbuild = await import('esbuild');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mtl-browser-trainer-'));
  const entry = path.join(dir, 'entry.ts');
  // The page's tfjs: the cpu backend registered beside mtljs/browser (which brings tfjs-core + layers).
  fs.writeFileSync(entry, `import '@tensorflow/tfjs-backend-cpu';\nexport * from ${JSON.stringify(path.resolve('src/browser.ts'))};\n`);
  const out = await esbuild.build({ entryPoints: [entry], bundle: true, write: false, format: 'iife', globalName: 'mtl', platform: 'browser', target: 'es2020', logLevel: 'silent', nodePaths: [path.resolve('node_modules')] });
  bundle = out.outputFiles[0]!.text;
  chrome = await launchChromium();
  await initBackend('cpu');
}, 120_000);

afterAll(async () => {
  await chrome?.close();
});

describe('the Trainer in Chromium', () => {
  it('trains in the page (no Node API) and matches the same run in Node', async () => {
    const trainData = syntheticData(256, 1);
    const valData = syntheticData(64, 2);
    const page = await chrome.browser.newPage();
    const errors = pageErrors(page);
    await page.goto('about:blank');
    await page.addScriptTag({ content: bundle });
    const fnSource = train.toString();
    const inPage = await page.evaluate(async ({ src, a, b }) => {
      const m = (window as unknown as { mtl: typeof core }).mtl;
      await m.tf.setBackend('cpu');
      // eslint-disable-next-line no-new-func
      const run = new Function(`return (${src})`)() as typeof train;
      return run(m, a, b);
    }, { src: fnSource, a: trainData, b: valData });
    await page.close();
    expect(errors).toEqual([]);
    expect(inPage.backend).toBe('cpu');
    expect(inPage.finished).toBe(true);
    // It learned: both losses fall, the binary task separates.
    expect(inPage.losses.at(-1)![0]!).toBeLessThan(inPage.losses[0]![0]! * 0.5);
    expect(inPage.losses.at(-1)![1]!).toBeLessThan(inPage.losses[0]![1]!);
    expect(inPage.auc).toBeGreaterThan(0.9);
    expect(inPage.cosines.every((c) => typeof c === 'number')).toBe(true);

    const inNode = await train(core, trainData, valData);
    expect(inNode.backend).toBe('cpu');
    expect(inPage.losses.length).toBe(inNode.losses.length);
    inPage.losses.flat().forEach((v, i) => expect(Math.abs(v - inNode.losses.flat()[i]!)).toBeLessThan(1e-5 * Math.max(1, Math.abs(v))));
    inPage.weights.forEach((w, k) => w.forEach((v, i) => expect(Math.abs(v - inNode.weights[k]![i]!)).toBeLessThan(1e-4)));
  });
});
