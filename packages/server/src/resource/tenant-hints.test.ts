import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SYSTEM } from '../audit/service.js';
import { generateToken, TOKEN_PREFIXES } from '../crypto/token-format.js';
import { basic, postForm, startTestServer, TestClock } from '../testing/harness.js';

/** Status, challenge and body bytes: everything a caller could compare. */
async function answer(url: string, bearer: string): Promise<string> {
  const response = await fetch(url, { headers: { authorization: `Bearer ${bearer}` } });
  return JSON.stringify([response.status, response.headers.get('www-authenticate'), await response.text()]);
}

test('no tenant hints (RFC 6750 §3.1): another tenant\'s kmk_ (live or expired) and kma_ token get byte for byte the answer an unknown token gets', async () => {
  const clock = new TestClock();
  const server = await startTestServer({ clock });
  try {
    const { keymint } = server.server;
    const other = await keymint.tenants.create('elsewhere');
    const scopes = await keymint.tenants.scopes(other.id);
    const live = await keymint.apiTokens.create(other.id, scopes, { name: 'live', scopes: ['contacts_read'] }, SYSTEM);
    const expiring = await keymint.apiTokens.create(other.id, scopes, { name: 'short', scopes: ['contacts_read'], expiresInSeconds: 60 }, SYSTEM);
    const app = await server.createApp({ tenant: 'elsewhere', tokenFormat: 'opaque', scopes: ['contacts_read'] });
    const issued = await postForm(`${server.url}/t/elsewhere/oauth/token`, { grant_type: 'client_credentials' }, { authorization: basic(app.clientId, app.clientSecret) });
    const opaque = issued.body.access_token as string;
    assert.match(opaque, /^kma_/);

    const contacts = `${server.issuer}/api/v1/contacts`;
    const theirs = `${server.url}/t/elsewhere/api/v1/contacts`;
    assert.match(await answer(theirs, live.token), /^\[200,/, 'the token is valid in its own tenant');
    assert.match(await answer(theirs, opaque), /^\[200,/);

    const unknownApiToken = await answer(contacts, generateToken(TOKEN_PREFIXES.apiToken));
    assert.match(unknownApiToken, /^\[401,/);
    assert.equal(await answer(contacts, live.token), unknownApiToken, 'kmk_ of another tenant');
    clock.advance(61_000);
    assert.equal(await answer(contacts, expiring.token), unknownApiToken, 'an expired kmk_ of another tenant: not "has expired"');
    assert.equal(await answer(contacts, opaque), await answer(contacts, generateToken(TOKEN_PREFIXES.opaqueAccessToken)), 'kma_ of another tenant');
  } finally {
    await server.close();
  }
});
