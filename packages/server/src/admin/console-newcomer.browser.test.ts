import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import type { Page } from 'playwright-core';
import { launchBrowser } from '../testing/browser.js';
import { basic, postForm, startTestServer } from '../testing/harness.js';
import { AdminClient, createAdmin, signInToConsole } from './testing.js';

/** Screenshots for people to look at after a run (git-ignored). */
const SHOTS = fileURLToPath(new URL('../../../../test-artifacts/screenshots/newcomer-', import.meta.url));
const WIDTHS = [1280, 390] as const;

async function shoot(page: Page, name: string, width: number): Promise<void> {
  await page.waitForLoadState('networkidle');
  await page.screenshot({ path: `${SHOTS}${name}-${width}.png`, fullPage: true });
}

/** The element's right edge is inside the viewport: a person can see and press it. */
async function inView(page: Page, selector: string): Promise<boolean> {
  const box = await page.locator(selector).first().boundingBox();
  const width = await page.evaluate('document.documentElement.clientWidth') as number;
  return box !== null && box.width > 0 && box.x >= 0 && box.x + box.width <= width;
}

/** Computed style values of the first element matching `selector`. */
function styleOf(page: Page, selector: string, properties: string[]): Promise<string[]> {
  return page.evaluate(`(() => { const s = getComputedStyle(document.querySelector(${JSON.stringify(selector)})); return ${JSON.stringify(properties)}.map((p) => s[p]); })()`) as Promise<string[]>;
}

test('Issue 18 console: tenants created, apps renamed and told apart, secret controls, notices, dead ends gone; at 1280 and 390 px', { timeout: 240_000 }, async () => {
  mkdirSync(fileURLToPath(new URL('../../../../test-artifacts/screenshots/', import.meta.url)), { recursive: true });
  const server = await startTestServer();
  const { browser, close } = await launchBrowser();
  try {
    const { keymint } = server.server;
    const { email, password } = await createAdmin(server, 'owner@example.com');
    const admin = await AdminClient.signIn(server, email, password);
    const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.url });
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('pageerror', (error) => problems.push(error.message));

    await signInToConsole(page, server, { email, password });

    // 1. An owner of every tenant creates a tenant; the console moves to it.
    await page.getByRole('link', { name: 'Tenants' }).click();
    await page.getByRole('button', { name: 'Create tenant' }).click();
    const tenantDialog = page.getByRole('dialog', { name: 'Create tenant' });
    await tenantDialog.getByLabel(/Slug/).fill('acme');
    await tenantDialog.getByLabel(/Display name/).fill('Acme Inc.');
    await tenantDialog.getByRole('button', { name: 'Create tenant' }).click();
    await page.waitForURL(/\/console\/t\/acme\/apps$/);
    assert.equal(await page.locator('#tenant-switcher').inputValue(), 'acme');
    assert.equal((await keymint.tenants.get('acme')).name, 'Acme Inc.');

    // 5. The usage empty state is a sentence, not an empty chart.
    await page.getByRole('link', { name: 'Usage' }).click();
    await page.getByText('No access tokens were issued in the last 24 hours').waitFor();
    assert.equal(await page.locator('figure.chart').count(), 0, 'no empty chart');

    // 2 and 4. An app without scopes: warned before and after creating it; the shown-once dialog
    // has client id, secret and token endpoint, each copyable.
    await page.goto(`${server.url}/console/t/default/apps`);
    await page.getByRole('button', { name: 'Create app' }).click();
    const create = page.getByRole('dialog', { name: 'Create app' });
    await create.getByLabel('Name').fill('billing-sync');
    await create.locator('#no-scopes-warning').waitFor();
    await create.locator('#new-scope-contacts_read').check();
    assert.equal(await create.locator('#no-scopes-warning').count(), 0, 'the warning goes once a scope is chosen');
    await create.locator('#new-scope-contacts_read').uncheck();
    await create.getByRole('button', { name: 'Create app' }).click();
    const shown = page.getByRole('dialog', { name: /^App billing-sync/ });
    const clientId = await shown.locator('#new-client-id').inputValue();
    assert.equal(await shown.locator('#token-endpoint').inputValue(), `${server.issuer}/oauth/token`);
    await shown.getByRole('button', { name: 'Copy client id' }).click();
    assert.equal(await page.evaluate('navigator.clipboard.readText()'), clientId, 'the client id is copied');
    await shown.getByRole('button', { name: 'Copy token endpoint' }).click();
    assert.equal(await page.evaluate('navigator.clipboard.readText()'), `${server.issuer}/oauth/token`);
    const firstSecret = await shown.locator('#secret-value').inputValue();
    await shoot(page, 'created-dialog', 1280);
    await shown.getByRole('button', { name: 'I have stored it' }).click();

    // A second app of the same name (allowed: docs/admin.md); both get tokens.
    const defaultTenant = await keymint.tenants.get('default');
    const { app: twin, secret: twinSecret } = await keymint.apps.create(defaultTenant.id, await keymint.tenants.scopes(defaultTenant.id), { name: 'billing-sync', scopes: ['contacts_read'] });
    for (const [id, secret] of [[clientId, firstSecret], [twin.clientId, twinSecret!.clientSecret]] as const) {
      assert.equal((await postForm(`${server.issuer}/oauth/token`, { grant_type: 'client_credentials' }, { authorization: basic(id, secret) })).status, 200);
    }
    const labels = [`billing-sync · ${clientId.slice(0, 6)}…`, `billing-sync · ${twin.clientId.slice(0, 6)}…`];

    for (const width of WIDTHS) {
      await page.setViewportSize({ width, height: width === 390 ? 844 : 860 });
      await page.goto(`${server.url}/console/t/default/apps`);
      for (const label of labels) await page.getByRole('link', { name: label, exact: true }).waitFor();
      await shoot(page, 'apps-same-name', width);
      if (width === 390) {
        // 6. A table wider than the screen scrolls inside its frame, with a shadow as the cue.
        const wrap = page.locator('.table-wrap').first();
        assert.ok(await wrap.evaluate((el) => el.scrollWidth > el.clientWidth), 'the apps table is wider than 390 px');
        assert.match((await styleOf(page, '.table-wrap', ['backgroundImage']))[0]!, /radial-gradient/, 'the scroll cue is drawn');
        // The Menu button stays readable when hovered.
        await page.getByRole('button', { name: 'Menu' }).hover();
        const colors = await styleOf(page, '.menu-toggle', ['color', 'backgroundColor']);
        // White text needs a dark background (the generic button hover is near-white).
        const brightness = colors[1]!.match(/\d+/g)!.slice(0, 3).reduce((sum, c) => sum + Number(c), 0);
        assert.ok(colors[0] === 'rgb(255, 255, 255)' && brightness < 300, `the Menu button is readable on hover: ${colors.join(' on ')}`);
        await page.screenshot({ path: `${SHOTS}menu-hover-390.png` });
      }
    }
    await page.setViewportSize({ width: 1280, height: 860 });

    // The Usage legend tells the two apart.
    await page.goto(`${server.url}/console/t/default/usage`);
    const legend = page.locator('.legend');
    await legend.waitFor();
    for (const label of labels) await legend.getByText(label).waitFor();
    await shoot(page, 'usage-legend', 1280);

    // 2. Rename (audited with the old name) and 4. the no-scopes warning on the app page.
    await page.goto(`${server.url}/console/t/default/apps/${clientId}`);
    await page.getByRole('heading', { name: labels[0] }).waitFor();
    await page.locator('#no-scopes-warning').waitFor();
    await page.getByRole('button', { name: 'Edit' }).click();
    const edit = page.getByRole('dialog', { name: 'Edit app' });
    await edit.getByLabel('Name').fill('billing-sync-legacy');
    // 3. Enabling signed_request: the API answers new_secret_required and the page says so.
    await edit.getByRole('checkbox', { name: 'signed_request' }).check();
    await edit.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('heading', { name: 'billing-sync-legacy' }).waitFor();
    const notice = page.getByRole('status').filter({ hasText: 'signed_request needs a new secret' });
    await notice.waitFor();
    const audit = await admin.call('GET', '/tenants/default/audit?action=app.updated');
    const renamed = audit.body.entries.find((e: { target: string }) => e.target === clientId);
    assert.deepEqual([renamed?.detail?.name, renamed?.detail?.previous_name], ['billing-sync-legacy', 'billing-sync'], 'the rename is audited');

    const blank = await admin.call('PATCH', `/tenants/default/apps/${clientId}`, { name: '   ' });
    assert.deepEqual([blank.status, blank.body.error], [400, 'invalid_request'], 'a blank name is refused');
    // 3. Secret controls: expiry beside Add secret (primary); Regenerate is the danger button.
    const group = page.locator('.button-row .group');
    assert.equal(await group.locator('#secret-expiry').count(), 1, 'the expiry select sits with Add secret');
    assert.match((await group.getByRole('button', { name: 'Add secret' }).getAttribute('class'))!, /\bprimary\b/);
    assert.match((await page.getByRole('button', { name: 'Regenerate…' }).getAttribute('class'))!, /\bdanger\b/);
    await shoot(page, 'app-signed-request-notice', 1280);
    await page.locator('#secret-expiry').selectOption('30d');
    await page.getByRole('button', { name: 'Add secret' }).click();
    const added = page.getByRole('dialog', { name: 'New client secret for billing-sync-legacy' });
    assert.equal(await added.locator('#new-client-id').inputValue(), clientId);
    await added.getByRole('button', { name: 'I have stored it' }).click();
    await notice.waitFor({ state: 'detached' });
    await page.getByRole('button', { name: 'Regenerate…' }).click();
    await page.getByRole('dialog', { name: 'Regenerate the secret of billing-sync-legacy?' }).getByRole('button', { name: 'Cancel' }).click();

    // 6. At 390 px the Revoke buttons are on screen.
    await page.setViewportSize({ width: 390, height: 844 });
    await page.reload();
    await page.getByRole('heading', { name: 'billing-sync-legacy' }).waitFor();
    await page.getByRole('button', { name: /^Revoke secret/ }).first().waitFor();
    assert.ok(await inView(page, 'td.row-actions button'), 'Revoke is reachable at 390 px');
    await shoot(page, 'app', 390);
    await page.setViewportSize({ width: 1280, height: 860 });
    await shoot(page, 'app', 1280);

    // 4. The Scopes page says what default scopes do.
    await page.goto(`${server.url}/console/t/default/scopes`);
    await page.getByText('none unless you choose some').waitFor();

    // 5. One date format: the audit log shows minutes, like every other page.
    await page.goto(`${server.url}/console/t/default/audit`);
    const time = await page.locator('tbody tr td').first().textContent();
    assert.doesNotMatch(time!, /\d:\d\d:\d\d/, `the audit time has the console's one format: ${time}`);

    // 5. Unknown tenants and apps: a page that says so, with the way back.
    for (const width of WIDTHS) {
      await page.setViewportSize({ width, height: width === 390 ? 844 : 860 });
      await page.goto(`${server.url}/console/t/nope/apps`);
      await page.getByRole('heading', { name: 'No tenant “nope”' }).waitFor();
      assert.equal(await page.getByRole('button', { name: 'Create app' }).count(), 0, 'no Create app for a tenant that does not exist');
      await shoot(page, 'unknown-tenant', width);
      await page.goto(`${server.url}/console/t/default/apps/nosuchapp`);
      await page.getByRole('heading', { name: 'No such app' }).waitFor();
      await shoot(page, 'unknown-app', width);
    }
    await page.getByRole('link', { name: '← Apps' }).click();
    await page.getByRole('heading', { name: 'Apps' }).waitFor();
    await page.goto(`${server.url}/console/t/nope/apps`);
    await page.getByRole('link', { name: 'acme' }).click();
    await page.waitForURL(/\/console\/t\/acme\/apps$/);

    // 5. A used setup link leads to sign-in.
    const invited = await keymint.admins.createAccount({ email: 'new@example.com', role: 'viewer' }, { actor: 'system' });
    const link = `${server.url}/console/setup?token=${invited.setupToken}`;
    const fresh = await browser.newContext({ viewport: { width: 390, height: 844 } });
    const visitor = await fresh.newPage();
    await visitor.goto(link);
    await visitor.getByLabel(/Password/).fill('a-long-new-password');
    await visitor.getByRole('button', { name: 'Continue' }).click();
    await visitor.getByRole('button', { name: 'Sign out' }).waitFor();
    for (const width of WIDTHS) {
      await visitor.setViewportSize({ width, height: width === 390 ? 844 : 860 });
      await visitor.goto(link);
      await visitor.getByRole('heading', { name: 'This setup link cannot be used' }).waitFor();
      assert.equal(await visitor.getByLabel(/Password/).count(), 0, 'no dead password form');
      await shoot(visitor, 'setup-used', width);
    }
    await fresh.clearCookies();
    await visitor.getByRole('link', { name: 'Go to sign-in' }).click();
    await visitor.getByRole('heading', { name: 'Sign in to the console' }).waitFor();
    await fresh.close();

    assert.deepEqual(problems, [], 'no script errors');
    await context.close();
  } finally {
    await close();
    await server.close();
  }
});
