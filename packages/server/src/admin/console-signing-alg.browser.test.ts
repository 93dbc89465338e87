import assert from 'node:assert/strict';
import { test } from 'node:test';
import { launchBrowser } from '../testing/browser.js';
import { startTestServer } from '../testing/harness.js';
import { createAdmin, signInToConsole } from './testing.js';

const jwksTypes = async (issuer: string): Promise<string[]> =>
  ((await (await fetch(`${issuer}/.well-known/jwks.json`)).json()) as { keys: { kty: string }[] }).keys.map((k) => k.kty).sort();

test('Console: a tenant\'s signing algorithm is chosen on the Settings page and starts a publish-ahead rotation (an RSA key is published beside the EC ones)', { timeout: 120_000 }, async () => {
  const server = await startTestServer();
  const { browser, close } = await launchBrowser();
  try {
    const { email, password } = await createAdmin(server, 'owner@example.com');
    const page = await (await browser.newContext({ viewport: { width: 1280, height: 860 } })).newPage();
    const problems: string[] = [];
    page.on('pageerror', (error) => problems.push(error.message));
    await signInToConsole(page, server, { email, password });
    assert.ok(!(await jwksTypes(server.issuer)).includes('RSA'));

    await page.getByRole('link', { name: 'Settings' }).click();
    const select = page.getByLabel('Signing algorithm');
    await select.waitFor();
    assert.equal(await select.inputValue(), 'ES256');
    await select.selectOption('RS256');
    await page.getByRole('button', { name: 'Save settings' }).click();
    await page.getByRole('status').getByText('Saved.').waitFor();

    const tenant = await server.server.keymint.tenants.get('default');
    assert.equal(tenant.settings.signingAlg, 'RS256');
    const published = await jwksTypes(server.issuer);
    assert.ok(published.includes('RSA') && published.includes('EC'), `the RSA key is published ahead while an EC key still signs: ${published.join(', ')}`);
    await page.reload();
    assert.equal(await page.getByLabel('Signing algorithm').inputValue(), 'RS256');
    assert.deepEqual(problems, []);
  } finally {
    await close();
    await server.close();
  }
});
