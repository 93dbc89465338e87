import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createAdmin, signInToConsole } from '../admin/testing.js';
import { launchBrowser } from '../testing/browser.js';
import { startTestServer } from '../testing/harness.js';

const DAY = 86_400;
const CLI = { actor: 'cli' } as const;

test('Console: "expiring soon" badges on secrets and API tokens that expire within 30 days, not on later, endless or revoked ones', { timeout: 120_000 }, async () => {
  const server = await startTestServer();
  const { browser, close } = await launchBrowser();
  try {
    const { keymint } = server.server;
    const tenant = await keymint.tenants.get('default');
    const app = await server.createApp({ name: 'rotating-app' });
    await keymint.apps.addSecret(tenant.id, app.clientId, 5 * DAY, CLI);
    await keymint.apps.addSecret(tenant.id, app.clientId, 60 * DAY, CLI);
    const catalog = await keymint.tenants.scopes(tenant.id);
    await keymint.apiTokens.create(tenant.id, catalog, { name: 'soon', expiresInSeconds: 2 * DAY }, CLI);
    await keymint.apiTokens.create(tenant.id, catalog, { name: 'later', expiresInSeconds: 90 * DAY }, CLI);
    const revoked = await keymint.apiTokens.create(tenant.id, catalog, { name: 'gone', expiresInSeconds: DAY }, CLI);
    await keymint.apiTokens.revoke(tenant.id, revoked.info.id, CLI);
    const { email, password } = await createAdmin(server, 'owner@example.com');

    const page = await (await browser.newContext()).newPage();
    await signInToConsole(page, server, { email, password });

    await page.getByRole('link', { name: 'rotating-app' }).click();
    await page.getByRole('heading', { name: /rotating-app/ }).waitFor();
    await page.getByText('expiring soon').first().waitFor();
    assert.equal(await page.getByText('expiring soon').count(), 1, 'one of the app\'s three secrets expires within 30 days');

    await page.getByRole('link', { name: 'API tokens' }).click();
    await page.getByRole('row', { name: /later/ }).waitFor();
    const soon = page.getByRole('row', { name: /soon/ }).filter({ hasText: 'expiring soon' });
    assert.equal(await soon.count(), 1);
    assert.equal(await page.getByText('expiring soon').count(), 1, 'neither the 90-day nor the revoked token is marked');
  } finally {
    await close();
    await server.close();
  }
});
