/**
 * mtljs studio's Stop and Resume in a real browser (Debian's Chromium via playwright-core), on the page
 * `mtl studio --port 0` serves (cross-origin isolated: Stop is read before every step, and the steps of
 * the epoch it cuts are undone). The same 4-epoch run (multi-task model and two single-task baselines,
 * early stopping on) is trained twice: once uninterrupted, once stopped as soon as the multi-task model
 * begins its epoch 2 and then resumed. Both end with the same per-task test table and Δm%, the same
 * epoch records (losses, validation metrics, task weights λ) in the dashboard, and the same
 * downloaded weights.bin, byte for byte. The Resume button is enabled only while a stopped run exists
 * and not while training; loading another table discards the stopped run.
 *
 * MTL_SCREENSHOTS=dir saves screenshots of the stopped state (studio-stopped.png, studio-stopped-controls.png).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, pageErrors, type Chromium } from './chromium.js';
import { measurementsCsv } from '../helpers/measurements-csv.js';

const screenshots = process.env.MTL_SCREENSHOTS;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mtl-studio-resume-'));
let chrome: Chromium;
let server: ChildProcess;
let url = '';

function writeCsv(file: string, n = 600): void {
  fs.writeFileSync(file, measurementsCsv(n, 5));
}

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

type EpochRow = Record<string, unknown>;
type Studio = {
  phase: string;
  summary: { rows: number } | null;
  report: { deltaM?: number; tasks: Record<string, { mtl: Record<string, number>; stl?: Record<string, number> }> } | null;
  stopped: boolean;
  resumable: { epochs: Record<string, number>; of: number; undone?: { model: string; epoch: number; steps: number } } | null;
  errors: string[];
};
type Handle = Studio & { stop(): void; resume(): void; history(): { mtl: EpochRow[]; stl: Record<string, EpochRow[]> } };
const studio = (page: Page) => page.evaluate(() => {
  const s = (window as unknown as { mtlStudio: Studio }).mtlStudio;
  return { phase: s.phase, summary: s.summary, report: s.report, stopped: s.stopped, resumable: s.resumable, errors: s.errors };
});

/** The dashboard's epoch records per model, without their timings (which differ between runs). */
const history = (page: Page) => page.evaluate(() => {
  const h = (window as unknown as { mtlStudio: Handle }).mtlStudio.history();
  const strip = (rs: Record<string, unknown>[]) => rs.map(({ seconds: _s, trainSeconds: _t, ...rest }) => rest);
  return { mtl: strip(h.mtl), stl: Object.fromEntries(Object.entries(h.stl).map(([k, v]) => [k, strip(v)])) };
});

const idle = (page: Page, timeout = 90_000) =>
  page.waitForFunction(() => (window as unknown as { mtlStudio: Studio }).mtlStudio.phase === 'idle', null, { timeout });

async function setField(page: Page, id: string, value: string): Promise<void> {
  const loc = page.getByTestId(id);
  await loc.fill(value);
  await loc.dispatchEvent('change');
}

/** The weights.bin the Download button gives. */
async function downloadedWeights(page: Page): Promise<Buffer> {
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('download-weights.bin').click()]);
  return fs.readFileSync((await download.path())!);
}

beforeAll(async () => {
  writeCsv(path.join(tmp, 'measurements.csv'));
  const [started, browser] = await Promise.all([startStudio(['--port', '0']), launchChromium()]);
  server = started.child;
  url = started.line;
  chrome = browser;
}, 60_000);

afterAll(async () => {
  await chrome?.close();
  server?.kill('SIGTERM');
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('mtl studio: Stop and Resume', () => {
  it('a run stopped in its epoch 2 and resumed ends as the uninterrupted run: test table, epoch records, weights', async () => {
    const page = await chrome.browser.newPage({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
    const errors = pageErrors(page);
    await page.goto(url);
    await page.waitForFunction(() => (window as unknown as { mtlStudio: { backend: unknown } }).mtlStudio.backend !== null, null, { timeout: 30_000 });
    expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
    const csv = path.join(tmp, 'measurements.csv');
    await page.getByTestId('file').setInputFiles(csv);
    await page.waitForFunction(() => (window as unknown as { mtlStudio: Studio }).mtlStudio.summary?.rows === 600, null, { timeout: 20_000 });
    await page.getByTestId('role-y').selectOption('target');
    await page.getByTestId('role-big').selectOption('target');
    await setField(page, 'epochs', '4');
    await setField(page, 'batch', '8');
    await setField(page, 'hidden', '32');
    await setField(page, 'lr', '0.005');
    await setField(page, 'patience', '2');
    await setField(page, 'seed', '7');
    expect(await page.getByTestId('resume').isDisabled()).toBe(true); // nothing stopped yet

    // The uninterrupted run.
    await page.getByTestId('train').click();
    await idle(page);
    const full = await studio(page);
    expect(full.stopped).toBe(false);
    expect(full.resumable).toBeNull();
    const fullHistory = await history(page);
    expect(fullHistory.mtl.map((r) => r['epoch'])).toEqual([1, 2, 3, 4]);
    const fullWeights = await downloadedWeights(page);
    expect(await page.getByTestId('resume').isDisabled()).toBe(true);

    // The same run, stopped as soon as the page hears that the multi-task model began its epoch 2.
    await page.evaluate(() => {
      const s = (window as unknown as { mtlStudio: Handle }).mtlStudio;
      const text = document.querySelector('[data-testid="progress"]')!;
      new MutationObserver((_records, observer) => {
        if (!/^multi-task model: epoch 2\//.test(text.textContent ?? '')) return;
        observer.disconnect();
        s.stop();
      }).observe(text, { childList: true, characterData: true, subtree: true });
    });
    // Resume's state whenever the page enters 'training' (recorded in the page: a loaded machine can pass through
    // the whole training phase between two polls from here).
    await page.evaluate(() => {
      const w = window as unknown as { resumeWhileTraining: boolean[] };
      w.resumeWhileTraining = [];
      new MutationObserver(() => {
        if (document.body.dataset.phase === 'training') w.resumeWhileTraining.push((document.querySelector('[data-testid="resume"]') as HTMLButtonElement).disabled);
      }).observe(document.body, { attributes: true, attributeFilter: ['data-phase'] });
    });
    await page.getByTestId('train').click();
    await idle(page);
    const disabledWhileTraining = await page.evaluate(() => (window as unknown as { resumeWhileTraining: boolean[] }).resumeWhileTraining);
    expect(disabledWhileTraining.length).toBeGreaterThan(0);
    expect(disabledWhileTraining.every((d) => d)).toBe(true); // not while training
    const stopped = await studio(page);
    expect(stopped.stopped).toBe(true);
    const r = stopped.resumable!;
    expect(r.of).toBe(4);
    // The multi-task model kept its epoch 1 (what the Stop cut of epoch 2 was undone), unless that epoch
    // ended before the Stop reached the worker; the baselines are at most one epoch behind or level.
    const mtl = r.epochs['mtl']!;
    expect([1, 2]).toContain(mtl);
    for (const m of ['stl:y', 'stl:big']) expect([mtl - 1, mtl]).toContain(r.epochs[m]);
    console.log(`[studio] stopped at ${JSON.stringify(r.epochs)}${r.undone ? `; undone: ${r.undone.steps} steps of epoch ${r.undone.epoch} of ${r.undone.model}` : '; at an epoch boundary'}`);
    const status = (await page.getByTestId('progress').textContent())!;
    expect(status).toMatch(new RegExp(`^stopped in [\\d.]+ s after epoch ${mtl}/4`));
    expect(status).toContain('Resume continues from there');
    if (r.undone) expect(status).toContain(`${r.undone.steps} steps of ${r.undone.model === 'mtl' ? 'the multi-task model' : `baseline ${r.undone.model.slice(4)}`}'s epoch ${r.undone.epoch} undone`);
    expect(await page.getByTestId('resume').isEnabled()).toBe(true);
    expect(await page.getByTestId('train').isEnabled()).toBe(true);
    await expect.poll(() => page.frameLocator('#dash').getByTestId('status').textContent()).toBe('incomplete');
    // The stopped model is tested and can be downloaded and tried, as before.
    expect(stopped.report!.tasks['y']!.mtl['mae']).toBeGreaterThan(0);
    expect(await page.getByTestId('download-zip').isVisible()).toBe(true);
    expect((await history(page)).mtl).toEqual(fullHistory.mtl.slice(0, mtl));
    if (screenshots) {
      fs.mkdirSync(screenshots, { recursive: true });
      await page.screenshot({ path: path.join(screenshots, 'studio-stopped.png'), fullPage: true });
      await page.locator('#settings-section').screenshot({ path: path.join(screenshots, 'studio-stopped-controls.png') });
    }

    // Resume: on to epoch 4, on the same dashboard.
    await page.getByTestId('resume').click();
    expect(await page.getByTestId('resume').isDisabled()).toBe(true);
    await expect.poll(() => page.frameLocator('#dash').getByTestId('status').textContent()).toBe('running');
    await idle(page);
    const resumed = await studio(page);
    expect(resumed.stopped).toBe(false);
    expect(resumed.resumable).toBeNull();
    expect(await page.getByTestId('resume').isDisabled()).toBe(true);
    expect(await page.getByTestId('progress').textContent()).toMatch(/^done in /);
    await expect.poll(() => page.frameLocator('#dash').getByTestId('status').textContent()).toBe('finished');
    // Equal to the uninterrupted run: the test table and Δm%, every epoch record of every model, the weights.
    expect(resumed.report!.tasks).toEqual(full.report!.tasks);
    expect(resumed.report!.deltaM).toBe(full.report!.deltaM);
    expect(await history(page)).toEqual(fullHistory);
    expect((await downloadedWeights(page)).equals(fullWeights)).toBe(true);

    // Another table discards a stopped run: Resume is disabled again.
    await setField(page, 'epochs', '200');
    await page.evaluate(() => {
      const s = (window as unknown as { mtlStudio: Handle }).mtlStudio;
      const text = document.querySelector('[data-testid="progress"]')!;
      new MutationObserver((_records, observer) => {
        if (!/: epoch 2\//.test(text.textContent ?? '')) return;
        observer.disconnect();
        s.stop();
      }).observe(text, { childList: true, characterData: true, subtree: true });
    });
    // (No wait for the 'training' phase: a loaded machine can pass through it between two polls; the click
    // starts it synchronously and idle() waits for its end.)
    await page.getByTestId('train').click();
    await idle(page);
    expect((await studio(page)).resumable).not.toBeNull();
    await page.getByTestId('file').setInputFiles([]);
    await page.getByTestId('file').setInputFiles(csv);
    await idle(page);
    expect((await studio(page)).resumable).toBeNull();
    expect(await page.getByTestId('resume').isDisabled()).toBe(true);

    expect((await studio(page)).errors).toEqual([]);
    expect(errors).toEqual([]);
    await page.close();
  }, 180_000);
});
