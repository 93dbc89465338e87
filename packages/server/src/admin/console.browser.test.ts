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
const PAGES = ['apps', 'api-tokens', 'keys', 'usage', 'audit', 'scopes', 'users', 'settings', 'tenants'];

async function tokenStatus(server: TestServer, clientId: string, secret: string): Promise<number> {
  return (await postForm(`${server.issuer}/oauth/token`, { grant_type: 'client_credentials', scope: 'contacts_read' }, { authorization: basic(clientId, secret) })).status;
}

/** RFC 6749 §6 at the token endpoint: what a revoked session's refresh token gets. */
function refreshStatus(server: TestServer, refreshToken: string) {
  return postForm(`${server.issuer}/oauth/token`, { grant_type: 'refresh_token', refresh_token: refreshToken });
}

async function jwksKids(server: TestServer): Promise<string[]> {
  const jwks = await (await fetch(`${server.issuer}/.well-known/jwks.json`)).json() as { keys: { kid: string }[] };
  return jwks.keys.map((k) => k.kid).sort();
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 200));

async function secretFromDialog(page: Page): Promise<string> {
  const dialog = page.getByRole('dialog');
  await dialog.getByText('this is the only time it can be shown').waitFor();
  const value = await dialog.locator('#secret-value').inputValue();
  await dialog.getByRole('button', { name: 'Copy', exact: true }).click();
  await dialog.getByRole('button', { name: 'Copied', exact: true }).waitFor();
  const copied = await page.evaluate('navigator.clipboard.readText()');
  assert.equal(copied, value, 'the copy button puts exactly the shown secret on the clipboard');
  return value;
}

test('Console end to end: sign in, create an app, copy its secret, regenerate, revoke an API token, rotate a key, revoke a user\'s sessions; screenshots at 1280 and 390 px', { timeout: 180_000 }, async () => {
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
    const clientId = await page.locator('#new-client-id').inputValue();
    await page.screenshot({ path: `${SHOTS}secret-dialog-1280.png` });
    assert.equal(await tokenStatus(server, clientId, firstSecret), 200, 'the copied secret gets a token');
    await page.getByRole('button', { name: 'I have stored it' }).click();

    // Regenerate: the old secret fails, the new one works
    await page.getByRole('link', { name: 'billing-sync' }).click();
    await page.getByRole('heading', { name: /billing-sync/ }).waitFor();
    await page.getByRole('button', { name: 'Regenerate…' }).click();
    await page.getByRole('dialog', { name: 'Regenerate the secret of billing-sync?' }).getByRole('button', { name: 'Revoke all and regenerate' }).click();
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

    // Users: someone signs up through /auth/signup; the console lists them and signs them out everywhere
    const signup = await fetch(`${server.issuer}/auth/signup`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'mia@example.com', password: 'mia-password-1' }) });
    assert.equal(signup.status, 201);
    const mia = await signup.json() as { refresh_token: string; access_token: string };
    const again = await fetch(`${server.issuer}/auth/signin`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'mia@example.com', password: 'mia-password-1' }) });
    const miaPhone = await again.json() as { refresh_token: string; access_token: string };
    const sid = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString()).sid as string;
    await page.getByRole('link', { name: 'Users' }).click();
    await page.getByRole('heading', { name: 'Users', level: 1 }).waitFor();
    await page.getByRole('cell', { name: /mia@example\.com usr_/ }).waitFor();
    // Keyboard: the Sessions button is reachable and moves focus to the sessions heading.
    await page.getByRole('button', { name: 'Sessions of mia@example.com' }).focus();
    await page.keyboard.press('Enter');
    const sessionsHeading = page.getByRole('heading', { name: 'Sessions of mia@example.com' });
    await sessionsHeading.waitFor();
    await page.waitForFunction("document.activeElement?.id === 'sessions-title'", undefined, { timeout: 5000 }); // focus moves to the sessions
    await page.getByRole('rowheader', { name: sid(mia.access_token) }).waitFor();
    await page.getByRole('rowheader', { name: sid(miaPhone.access_token) }).waitFor();
    await page.screenshot({ path: `${SHOTS}users-sessions-1280.png`, fullPage: true });
    await page.setViewportSize({ width: 390, height: 844 });
    await page.screenshot({ path: `${SHOTS}users-sessions-390.png`, fullPage: true });
    assert.ok(await page.getByRole('button', { name: `Revoke session ${sid(mia.access_token)}` }).isVisible(), 'the revoke button is in view at 390 px');
    await page.setViewportSize({ width: 1280, height: 860 });
    // One session, confirmed in a dialog (Cancel first: nothing happens)
    await page.getByRole('button', { name: `Revoke session ${sid(mia.access_token)}` }).click();
    const confirmOne = page.getByRole('dialog', { name: 'Revoke this session?' });
    await confirmOne.getByRole('button', { name: 'Cancel' }).click();
    await confirmOne.waitFor({ state: 'hidden' });
    await page.getByRole('button', { name: `Revoke session ${sid(mia.access_token)}` }).click();
    await confirmOne.getByRole('button', { name: 'Revoke session' }).click();
    await page.getByRole('rowheader', { name: sid(mia.access_token) }).waitFor({ state: 'detached' });
    assert.equal((await refreshStatus(server, mia.refresh_token)).body.error, 'invalid_grant', 'the revoked session cannot refresh');
    assert.equal(await page.getByRole('rowheader', { name: sid(miaPhone.access_token) }).count(), 1, 'the other session lives on');
    // Every session
    await page.getByRole('button', { name: 'Sign out everywhere' }).click();
    const confirmAll = page.getByRole('dialog', { name: 'Sign out everywhere?' });
    await page.screenshot({ path: `${SHOTS}users-confirm-1280.png` });
    await confirmAll.getByRole('button', { name: 'Revoke all sessions' }).click();
    await page.getByRole('status').filter({ hasText: 'signed out everywhere' }).waitFor();
    await page.getByText('No live sessions.').waitFor();
    const refused = await refreshStatus(server, miaPhone.refresh_token);
    assert.equal(refused.status, 400);
    assert.equal(refused.body.error, 'invalid_grant', 'a revoked session cannot refresh');

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
