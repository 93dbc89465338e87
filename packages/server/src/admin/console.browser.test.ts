import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import type { Page } from 'playwright-core';
import { launchBrowser } from '../testing/browser.js';
import { basic, postForm, startTestServer, type TestServer } from '../testing/harness.js';
import { CONSOLE_DIST } from './console.js';
import { createAdmin } from './testing.js';

/** Screenshots for people to look at after a run (git-ignored). */
const SHOTS = fileURLToPath(new URL('../../../../test-artifacts/screenshots/', import.meta.url));
const PAGES = ['apps', 'api-tokens', 'keys', 'usage', 'audit', 'scopes', 'users', 'settings'];

async function tokenStatus(server: TestServer, clientId: string, secret: string): Promise<number> {
  return (await postForm(`${server.issuer}/oauth/token`, { grant_type: 'client_credentials', scope: 'contacts_read' }, { authorization: basic(clientId, secret) })).status;
}

async function jwksKids(server: TestServer): Promise<string[]> {
  const jwks = await (await fetch(`${server.issuer}/.well-known/jwks.json`)).json() as { keys: { kid: string }[] };
  return jwks.keys.map((k) => k.kid).sort();
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 200));

async function secretFromDialog(page: Page): Promise<string> {
  const dialog = page.getByRole('dialog');
  await dialog.getByText('this is the only time it can be shown').waitFor();
  const value = await dialog.getByLabel(/secret|token/i).inputValue();
  await dialog.getByRole('button', { name: 'Copy' }).click();
  await dialog.getByRole('button', { name: 'Copied' }).waitFor();
  const copied = await page.evaluate('navigator.clipboard.readText()');
  assert.equal(copied, value, 'the copy button puts exactly the shown secret on the clipboard');
  return value;
}

test('Console end to end: sign in, create an app, copy its secret, regenerate, revoke an API token, rotate a key; screenshots at 1280 and 390 px', { timeout: 180_000 }, async () => {
  assert.ok(existsSync(`${CONSOLE_DIST}index.html`), 'the console is built by `npm run build` (npm test runs it)');
  mkdirSync(SHOTS, { recursive: true });
  const server = await startTestServer({ env: { KEYMINT_JWKS_MAX_AGE: '0' } });
  const { browser, close } = await launchBrowser();
  try {
    const { email, password } = await createAdmin(server, 'owner@example.com');
    const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.url });
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('console', (message) => message.type() === 'error' && problems.push(message.text()));
    page.on('pageerror', (error) => problems.push(error.message));

    // Sign in (keyboard only: labelled fields, Enter submits)
    await page.goto(`${server.url}/console`);
    await page.getByLabel('Email').fill(email);
    await page.screenshot({ path: `${SHOTS}signin-1280.png` });
    await page.getByLabel('Password').fill(password);
    await page.getByLabel('Password').press('Enter');
    await page.getByRole('heading', { name: 'Apps' }).waitFor();
    assert.match(page.url(), /\/console\/t\/default\/apps$/);

    // Create an app with contacts_read: no scope is pre-selected
    await page.getByRole('button', { name: 'Create app' }).click();
    const create = page.getByRole('dialog', { name: 'Create app' });
    await create.getByLabel('Name').fill('billing-sync');
    assert.equal(await create.getByRole('checkbox', { checked: true }).count(), 0, 'no scope pre-selected');
    await create.locator('#new-scope-contacts_read').check();
    await create.getByRole('button', { name: 'Create app' }).click();
    const firstSecret = await secretFromDialog(page);
    assert.match(firstSecret, /^kms_/);
    const clientId = (await page.locator('#new-client-id').textContent())!;
    await page.screenshot({ path: `${SHOTS}secret-dialog-1280.png` });
    assert.equal(await tokenStatus(server, clientId, firstSecret), 200, 'the copied secret gets a token');
    await page.getByRole('button', { name: 'I have stored it' }).click();

    // Regenerate: the old secret fails, the new one works
    await page.getByRole('link', { name: 'billing-sync' }).click();
    await page.getByRole('heading', { name: /billing-sync/ }).waitFor();
    await page.getByRole('button', { name: 'Regenerate' }).click();
    await page.getByRole('dialog', { name: 'Regenerate the secret?' }).getByRole('button', { name: 'Regenerate' }).click();
    const secondSecret = await secretFromDialog(page);
    assert.notEqual(secondSecret, firstSecret);
    await page.getByRole('button', { name: 'I have stored it' }).click();
    await settle();
    assert.equal(await tokenStatus(server, clientId, firstSecret), 401, 'the old secret is revoked');
    assert.equal(await tokenStatus(server, clientId, secondSecret), 200, 'the new secret works');
    await page.reload();
    await page.getByRole('heading', { name: /billing-sync/ }).waitFor();
    await page.getByRole('cell', { name: 'revoked' }).first().waitFor();
    await page.screenshot({ path: `${SHOTS}app-1280.png`, fullPage: true });

    // API token: create, use, revoke
    await page.getByRole('link', { name: 'API tokens' }).click();
    await page.getByRole('button', { name: 'Create token' }).click();
    const tokenDialog = page.getByRole('dialog', { name: 'Create API token' });
    await tokenDialog.getByLabel('Name').fill('nightly export');
    await tokenDialog.locator('#token-scope-contacts_read').check();
    await tokenDialog.getByRole('button', { name: 'Create token' }).click();
    const apiToken = await secretFromDialog(page);
    await page.getByRole('button', { name: 'I have stored it' }).click();
    const contacts = () => fetch(`${server.issuer}/api/v1/contacts`, { headers: { authorization: `Bearer ${apiToken}` } }).then((r) => r.status);
    assert.equal(await contacts(), 200);
    await page.getByRole('button', { name: 'Revoke token nightly export' }).click();
    await page.getByRole('cell', { name: 'revoked' }).waitFor();
    await settle();
    assert.equal(await contacts(), 401, 'a revoked API token is refused');

    // Rotate: the new next key appears in the JWKS
    await page.getByRole('link', { name: 'Signing keys' }).click();
    await page.getByRole('heading', { name: 'Signing keys' }).waitFor();
    const before = await jwksKids(server);
    await settle();
    await page.getByRole('button', { name: 'Rotate now' }).click();
    await page.getByRole('status').waitFor();
    await settle();
    const after = await jwksKids(server);
    const added = after.filter((kid) => !before.includes(kid));
    assert.equal(added.length, 1, `a new key is published: ${before} → ${after}`);
    await page.getByText(added[0]!, { exact: true }).waitFor();
    assert.ok((await page.getByRole('status').textContent())!.includes('signs from now on'));

    // The audit log shows what was done, by whom
    await page.getByRole('link', { name: 'Audit log' }).click();
    await page.getByRole('cell', { name: 'api_token.revoked' }).waitFor();
    await page.getByLabel('Action').fill('app.secret_revoked');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.getByRole('cell', { name: 'app.created' }).waitFor({ state: 'detached' });

    // Screenshots of every main page, wide and narrow
    for (const width of [1280, 390]) {
      await page.setViewportSize({ width, height: width === 390 ? 844 : 860 });
      for (const name of PAGES) {
        await page.goto(`${server.url}/console/t/default/${name}`);
        await page.getByRole('heading', { level: 1 }).first().waitFor();
        await page.waitForLoadState('networkidle');
        await page.screenshot({ path: `${SHOTS}${name}-${width}.png`, fullPage: true });
        if (width === 390) {
          const overflow = await page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth') as number;
          assert.ok(overflow <= 1, `${name} fits 390 px without sideways scrolling (overflow ${overflow})`);
        }
      }
    }
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in to the console' }).waitFor();
    await page.screenshot({ path: `${SHOTS}signin-390.png` });
    assert.deepEqual(problems.filter((p) => !/401/.test(p)), [], 'no script errors or CSP violations');
    await context.close();
  } finally {
    await close();
    await server.close();
  }
});
