import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createClient, createVerifier, InvalidTokenError } from '@keymint/sdk/node';
import { SYSTEM } from '../audit/service.js';
import { basic, postForm, startTestServer, type TestServer } from '../testing/harness.js';
import { within } from '../testing/wait.js';

// The pieces built side by side, checked together over real HTTP: the SDK verifier polling the
// revocation feed, the SDK client's signed requests, and every Bearer kind on the resource API.

let server: TestServer;
let contactsUrl: string;

before(async () => {
  server = await startTestServer();
  contactsUrl = `${server.issuer}/api/v1/contacts`;
});
after(() => server.close());

async function token(app: { clientId: string; clientSecret: string }): Promise<string> {
  const response = await postForm(`${server.issuer}/oauth/token`, { grant_type: 'client_credentials' }, { authorization: basic(app.clientId, app.clientSecret) });
  assert.equal(response.status, 200);
  return response.body.access_token;
}

async function listContacts(bearer: string): Promise<Response> {
  const response = await fetch(contactsUrl, { headers: { authorization: `Bearer ${bearer}` } });
  await response.arrayBuffer();
  return response;
}

describe('RFC 7009 revocation reaches JWT verifiers through the revocation feed', () => {
  test('a JWT the app revokes is refused by an SDK verifier within its poll interval; others still verify', async () => {
    const app = await server.createApp();
    const revoked = await token(app);
    const kept = await token(app);
    const verifier = createVerifier({ issuer: server.issuer, audience: `${server.issuer}/api`, revocationPollMs: 200 });
    try {
      await verifier.verify(revoked);
      const response = await postForm(`${server.issuer}/oauth/revoke`, { token: revoked }, { authorization: basic(app.clientId, app.clientSecret) });
      assert.equal(response.status, 200);
      // The verifier polls every 200 ms: the revocation must be seen within 1 s.
      await within(1_000, 'the SDK verifier refuses the revoked JWT', () =>
        verifier.verify(revoked).then(() => false, (error) => error instanceof InvalidTokenError && error.code === 'ERR_TOKEN_REVOKED'));
      assert.equal((await verifier.verify(kept)).client_id, app.clientId, 'other tokens of the app still verify');
    } finally {
      verifier.close();
    }
  });

  test('disabling an app makes every JWT it holds fail at an SDK verifier and at the resource API', async () => {
    const app = await server.createApp();
    const jwt = await token(app);
    const verifier = createVerifier({ issuer: server.issuer, audience: `${server.issuer}/api`, revocationPollMs: 200 });
    try {
      await verifier.verify(jwt);
      assert.equal((await listContacts(jwt)).status, 200);
      const tenant = await server.server.keymint.tenants.get('default');
      await server.server.keymint.apps.disable(tenant.id, app.clientId, SYSTEM);
      await within(1_000, 'the SDK verifier refuses the disabled app\'s JWT', () => verifier.verify(jwt).then(() => false, () => true));
      const refused = await listContacts(jwt);
      assert.equal(refused.status, 401);
      assert.match(refused.headers.get('www-authenticate') ?? '', /error="invalid_token"/);
    } finally {
      verifier.close();
    }
  });

  test('a revoked JWT is refused by the resource API at once', async () => {
    const app = await server.createApp();
    const jwt = await token(app);
    assert.equal((await listContacts(jwt)).status, 200, 'cached as valid first');
    await postForm(`${server.issuer}/oauth/revoke`, { token: jwt, token_type_hint: 'access_token' }, { authorization: basic(app.clientId, app.clientSecret) });
    assert.equal((await listContacts(jwt)).status, 401);
  });
});

describe('every Bearer kind on the resource API (DESIGN "Resource API")', () => {
  test('kmk_ API tokens: accepted with their scopes, refused once revoked, refused with a bad checksum', async () => {
    const { keymint } = server.server;
    const tenant = await keymint.tenants.get('default');
    const created = await keymint.apiTokens.create(tenant.id, await keymint.tenants.scopes(tenant.id), { name: 'script', scopes: ['contacts_read'] }, SYSTEM);
    assert.equal((await listContacts(created.token)).status, 200);
    const write = await fetch(contactsUrl, { method: 'POST', headers: { authorization: `Bearer ${created.token}`, 'content-type': 'application/json' }, body: '{"email":"a@example.com"}' });
    assert.equal(write.status, 403);
    assert.match(write.headers.get('www-authenticate') ?? '', /error="insufficient_scope".*scope="contacts_write"/);
    const typo = created.token.slice(0, -1) + (created.token.endsWith('a') ? 'b' : 'a');
    assert.equal((await listContacts(typo)).status, 401);
    await keymint.apiTokens.revoke(tenant.id, created.info.id, SYSTEM);
    assert.equal((await listContacts(created.token)).status, 401);
  });

  test('kma_ opaque access tokens: an app with the opaque format gets one that the resource API accepts until revoked', async () => {
    const app = await server.createApp({ tokenFormat: 'opaque', scopes: ['contacts_read'] });
    const opaque = await token(app);
    assert.match(opaque, /^kma_[0-9A-Za-z]{38}$/);
    assert.equal((await listContacts(opaque)).status, 200);
    await postForm(`${server.issuer}/oauth/revoke`, { token: opaque }, { authorization: basic(app.clientId, app.clientSecret) });
    assert.equal((await listContacts(opaque)).status, 401);
  });

  test('another tenant\'s API token is refused', async () => {
    const { keymint } = server.server;
    const other = await keymint.tenants.create('elsewhere');
    const created = await keymint.apiTokens.create(other.id, await keymint.tenants.scopes(other.id), { name: 'x', scopes: ['contacts_read'] }, SYSTEM);
    assert.equal((await listContacts(created.token)).status, 401);
  });
});

test('SDK client with auth: signed_request gets a token from /v3/tokens that the SDK verifier accepts', async () => {
  const app = await server.createApp({ authMethods: ['signed_request'], scopes: ['contacts_read'] });
  const client = createClient({ issuer: server.issuer, clientId: app.clientId, clientSecret: app.clientSecret, auth: 'signed_request', scopes: ['contacts_read'] });
  const accessToken = await client.getToken();
  const verifier = createVerifier({ issuer: server.issuer, audience: `${server.issuer}/api`, revocationPollMs: false });
  const claims = await verifier.verify(accessToken);
  assert.equal(claims.client_id, app.clientId);
  assert.equal(claims.scope, 'contacts_read');
  const response = await client.fetch(contactsUrl);
  assert.equal(response.status, 200);
});

test('the envelope and signed-request profiles issue in the app\'s format: opaque apps get kma_ tokens there too', async () => {
  const app = await server.createApp({ tokenFormat: 'opaque', authMethods: ['client_secret_post', 'signed_request'], scopes: ['contacts_read'] });
  const envelope = await postForm(`${server.issuer}/v1/auth/token`, { client_id: app.clientId, client_secret: app.clientSecret });
  assert.equal(envelope.status, 200);
  assert.match(envelope.body.data.access_token, /^kma_/);
  assert.equal((await listContacts(envelope.body.data.access_token)).status, 200);
  const client = createClient({ issuer: server.issuer, clientId: app.clientId, clientSecret: app.clientSecret, auth: 'signed_request' });
  const signed = await client.getToken();
  assert.match(signed, /^kma_/);
  assert.equal((await listContacts(signed)).status, 200);
});
