import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

/** The Debian Chromium the browser suites drive (CHROMIUM_PATH overrides it). Never a downloaded one. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

const ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * Call first in a browser suite's before(): without Chromium the suite fails in CI (CI=true) and is
 * skipped with a reason elsewhere, so a developer machine without it still runs every other suite.
 */
export function requireChromium(context: Mocha.Context): void {
  if (existsSync(CHROMIUM_PATH)) return;
  const reason = `Chromium not found at ${CHROMIUM_PATH} (install the Debian package "chromium" or set CHROMIUM_PATH)`;
  if (process.env.CI === 'true') throw new Error(`${reason}; the browser tests must run in CI`);
  console.warn(`    skipping the browser tests: ${reason}`);
  context.skip();
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: ARGS, timeout: 30_000 });
}

/**
 * One Chromium for the describe block it is called in: launched in a before() hook (after requireChromium),
 * closed in after(). Returns the browser for the tests and hooks to use.
 */
export function chromiumForSuite(): () => Browser {
  let browser: Browser | undefined;
  before(async function () {
    requireChromium(this);
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
  });
  return () => {
    if (!browser) throw new Error('Chromium is not running: use the browser in tests and hooks only');
    return browser;
  };
}
