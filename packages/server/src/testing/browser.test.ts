import { test } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser } from './browser.js';
import { startTestServer } from './harness.js';

test('headless Chromium loads a page from a Keymint test server (browser tests have what they need)', async () => {
  const { browser, close } = await launchBrowser();
  const server = await startTestServer();
  try {
    const page = await browser.newPage();
    const response = await page.goto(`${server.issuer}/.well-known/oauth-authorization-server`);
    assert.equal(response?.status(), 200);
    assert.match(await page.content(), new RegExp(server.issuer.replace(/[/.]/g, '\\$&')));
  } finally {
    await close();
    await server.close();
  }
});
