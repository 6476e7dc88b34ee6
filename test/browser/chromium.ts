/**
 * Debian's Chromium driven by playwright-core, for the dashboard and browser tests. There is no browser
 * download: the tests need /usr/bin/chromium (CI installs it with `apt-get install -y chromium`) and
 * FAIL — never skip — when it is missing. MTL_CHROMIUM overrides the path.
 */
import fs from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';

export const CHROMIUM = process.env.MTL_CHROMIUM ?? '/usr/bin/chromium';

export function missingChromium(executable = CHROMIUM): string {
  return (
    `Chromium is required for the browser tests but ${executable} does not exist. ` +
    "Install Debian's package: `apt-get install -y chromium` (or set MTL_CHROMIUM to a Chromium binary)."
  );
}

export interface Chromium {
  browser: Browser;
  close(): Promise<void>;
}

/**
 * Starts headless Chromium; throws missingChromium() when it is not installed. playwright's launch() gives
 * every browser a fresh, empty profile of its own (a temporary --user-data-dir it deletes on close).
 * `extraArgs`: more command-line switches (e.g. a fake microphone playing a file).
 */
export async function launchChromium(executable = CHROMIUM, extraArgs: string[] = []): Promise<Chromium> {
  if (!fs.existsSync(executable)) throw new Error(missingChromium(executable));
  const browser = await chromium.launch({
    executablePath: executable,
    headless: true,
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      ...extraArgs,
    ],
  });
  return {
    browser,
    async close() {
      await browser.close();
    },
  };
}

/** Collects the page's uncaught errors and console errors (a test asserts there are none). */
export function pageErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()}`);
  });
  return errors;
}
