import { chromium, type Browser } from 'playwright-core';

/** Debian's Chromium; .ci/run installs it with apt when it is missing. */
export const CHROMIUM_PATH = process.env.KEYMINT_CHROMIUM ?? '/usr/bin/chromium';

/**
 * Headless Chromium for browser tests with no background traffic (this machine reaches no
 * network but the package registries; Chromium's own calls would only fail). Playwright gives
 * every launch a fresh temporary profile (user-data-dir) and deletes it on close.
 */
export async function launchBrowser(): Promise<{ browser: Browser; close(): Promise<void> }> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-quic',
      '--no-first-run',
    ],
  });
  return {
    browser,
    async close() {
      await browser.close();
    },
  };
}
