import assert from 'node:assert/strict';
import { test } from 'node:test';
import { launchBrowser } from '../testing/browser.js';
import { startTestServer } from '../testing/harness.js';
import { createAdmin, signInToConsole } from './testing.js';

// Issue 20 item 1: limits "set at creation … (CLI, admin API, console)". The console's create forms
// send them in the create request, so the key is never live without them (no later PATCH).

test('Console: an app and an API token are created with their limits (rate limit, quota, refill, fail open) and the list shows them', { timeout: 120_000 }, async () => {
  const server = await startTestServer();
  const { browser, close } = await launchBrowser();
  try {
    const { keymint } = server.server;
    const page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
    const problems: string[] = [];
    page.on('pageerror', (error) => problems.push(error.message));
    await signInToConsole(page, server, await createAdmin(server, 'owner@example.com'));

    // An app with a rate limit only, failing closed (the default).
    await page.getByRole('button', { name: 'Create app' }).click();
    const appDialog = page.getByRole('dialog', { name: 'Create app' });
    await appDialog.getByLabel('Name').fill('metered');
    await appDialog.locator('#new-scope-contacts_read').check();
    await appDialog.getByLabel('Rate limit').fill('10/1s');
    await appDialog.getByRole('button', { name: 'Create app' }).click();
    await page.getByRole('button', { name: 'I have stored it' }).click();
    await page.getByRole('row', { name: /metered/ }).getByRole('cell', { name: '10/1s', exact: true }).waitFor();

    // An API token with every limit field.
    await page.getByRole('link', { name: 'API tokens' }).click();
    await page.getByRole('button', { name: 'Create token' }).click();
    const tokenDialog = page.getByRole('dialog', { name: 'Create API token' });
    await tokenDialog.getByLabel('Name').fill('partner feed');
    await tokenDialog.locator('#token-scope-contacts_read').check();
    await tokenDialog.getByLabel('Rate limit').fill('100/1m');
    await tokenDialog.getByLabel('Quota', { exact: false }).first().fill('5000');
    await tokenDialog.getByLabel('Quota refill').fill('5000/30d');
    await tokenDialog.getByLabel(/fail open/).check();
    await tokenDialog.getByRole('button', { name: 'Create token' }).click();
    await page.getByRole('button', { name: 'I have stored it' }).click();
    const label = '100/1m · quota 5000 (5000/30d) · fails open';
    await page.getByRole('row', { name: /partner feed/ }).getByRole('cell', { name: label }).waitFor();
    // The Limits dialog (the same fields) opens with them filled in and changes them.
    await page.getByRole('button', { name: 'Limits of token partner feed' }).click();
    const limitsDialog = page.getByRole('dialog', { name: 'Limits of partner feed' });
    assert.equal(await limitsDialog.getByLabel('Quota refill').inputValue(), '5000/30d');
    assert.equal(await limitsDialog.getByLabel(/fail open/).isChecked(), true);
    await limitsDialog.getByLabel('Rate limit').fill('5/1s');
    await limitsDialog.getByLabel(/fail open/).uncheck();
    await limitsDialog.getByRole('button', { name: 'Save limits' }).click();
    await page.getByRole('row', { name: /partner feed/ }).getByRole('cell', { name: '5/1s · quota 5000 (5000/30d)', exact: true }).waitFor();
    // Another token created without touching the fields has none.
    await page.getByRole('button', { name: 'Create token' }).click();
    await tokenDialog.getByLabel('Name').fill('plain');
    await tokenDialog.locator('#token-scope-contacts_read').check();
    await tokenDialog.getByRole('button', { name: 'Create token' }).click();
    await page.getByRole('button', { name: 'I have stored it' }).click();
    await page.getByRole('row', { name: /plain/ }).getByRole('cell', { name: 'none', exact: true }).waitFor();

    // Stored as the admin API shows them, and set in the create request itself: the creation's audit
    // entry carries them and no limits change followed.
    const tenant = await keymint.tenants.get('default');
    const token = (await keymint.apiTokens.list(tenant.id)).find((t) => t.name === 'partner feed');
    assert.equal(token?.limits.quota?.max, 5000);
    assert.equal(token?.limits.failOpen, false);
    const entries = await keymint.audit.query({ tenantId: tenant.id });
    const created = entries.find((e) => e.action === 'api_token.created' && e.detail?.name === 'partner feed');
    assert.deepEqual(created?.detail, { name: 'partner feed', scopes: ['contacts_read'], rate_limit: '100/60000ms', quota: 5000, quota_refill: '5000/2592000000ms', fail_open: true });
    const app = entries.find((e) => e.action === 'app.created');
    assert.ok(app?.detail?.limits, 'the app was created with its limits');
    assert.equal(entries.filter((e) => e.action === 'app.updated').length, 0, 'the app\'s limits were not added after creation');
    assert.equal(entries.filter((e) => e.action === 'api_token.limits_changed').length, 1, 'the token\'s only limits change is the dialog\'s');
    assert.deepEqual(problems, []);
  } finally {
    await close();
    await server.close();
  }
});
