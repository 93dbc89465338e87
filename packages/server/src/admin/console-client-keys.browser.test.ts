import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import { CLIENT_ASSERTION_TYPE } from '../oauth/private-key-jwt.js';
import { launchBrowser } from '../testing/browser.js';
import { postForm, startTestServer, type TestServer } from '../testing/harness.js';
import { createAdmin, signInToConsole } from './testing.js';

async function tokenStatus(server: TestServer, clientId: string, privateKey: CryptoKey, kid: string): Promise<number> {
  const now = Math.floor(Date.now() / 1000);
  const jwt = await new SignJWT({ iss: clientId, sub: clientId, aud: server.issuer, exp: now + 60, jti: randomUUID() }).setProtectedHeader({ alg: 'ES256', kid }).sign(privateKey);
  return (await postForm(`${server.issuer}/oauth/token`, { grant_type: 'client_credentials', client_assertion_type: CLIENT_ASSERTION_TYPE, client_assertion: jwt })).status;
}

test('Console: create a private_key_jwt app by pasting a JWKS (no secret shown), a private key is refused, keys are listed by kid and thumbprint, added and removed', { timeout: 120_000 }, async () => {
  const server = await startTestServer();
  const { browser, close } = await launchBrowser();
  try {
    const { email, password } = await createAdmin(server, 'owner@example.com');
    const page = await (await browser.newContext({ viewport: { width: 1280, height: 860 } })).newPage();
    const problems: string[] = [];
    page.on('pageerror', (error) => problems.push(error.message));
    const pair = async (kid: string) => {
      const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
      return { privateKey, kid, publicJwks: JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid }] }), privateJwks: JSON.stringify({ keys: [{ ...(await exportJWK(privateKey)), kid }] }) };
    };
    const [first, second] = [await pair('first'), await pair('second')];

    await signInToConsole(page, server, { email, password });

    await page.getByRole('button', { name: 'Create app' }).click();
    const create = page.getByRole('dialog', { name: 'Create app' });
    await create.getByLabel('Name').fill('keyed-sync');
    await create.locator('#new-scope-contacts_read').check();
    await create.getByLabel('Client authentication').selectOption('private_key_jwt');
    await create.getByLabel('Public keys (JWKS)').fill(first.privateJwks);
    await create.getByRole('button', { name: 'Create app' }).click();
    await create.getByText(/private member\(s\) d/).waitFor();
    await create.getByLabel('Public keys (JWKS)').fill(first.publicJwks);
    await create.getByRole('button', { name: 'Create app' }).click();

    await page.getByRole('heading', { name: 'Public keys (private_key_jwt)' }).waitFor();
    assert.equal(await page.getByText('this is the only time it can be shown').count(), 0, 'no secret is shown');
    assert.equal(await page.getByRole('heading', { name: 'Client secrets' }).count(), 0);
    const clientId = (await page.locator('dl.facts dd code').first().textContent())!;
    await page.getByRole('cell', { name: 'first', exact: true }).waitFor();
    assert.equal(await tokenStatus(server, clientId, first.privateKey, 'first'), 200);

    await page.getByLabel('Add public keys (JWKS)').fill(second.publicJwks);
    await page.getByRole('button', { name: 'Add keys' }).click();
    await page.getByRole('cell', { name: 'second', exact: true }).waitFor();
    await page.getByRole('button', { name: 'Remove key first' }).click();
    await page.getByRole('cell', { name: 'first', exact: true }).waitFor({ state: 'detached' });
    assert.equal(await tokenStatus(server, clientId, first.privateKey, 'first'), 401, 'a removed key stops working');
    assert.equal(await tokenStatus(server, clientId, second.privateKey, 'second'), 200);
    assert.deepEqual(problems, []);
  } finally {
    await close();
    await server.close();
  }
});
