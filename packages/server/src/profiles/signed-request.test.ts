import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { decodeJwt } from 'jose';
import { randomLowerAlnum } from '../crypto/random.js';
import { postForm, startTestServer, TestClock, type TestServer } from '../testing/harness.js';
import type { SignedRequestBody } from './schemas.js';
import { signRequest } from './signature.js';

/** A clock that stands still, so "±5 s" means exactly that and not "±5 s give or take a tick". */
class FrozenClock extends TestClock {
  at = Math.floor(Date.now() / 1000) * 1000 + 500;
  override now = (): number => this.at;
  override advance(ms: number): void {
    this.at += ms;
  }
}

const clock = new FrozenClock();
let server: TestServer;
let url: string;
let app: { clientId: string; clientSecret: string; secretId: string };

before(async () => {
  server = await startTestServer({ clock });
  url = `${server.issuer}/v3/tokens`;
  app = await server.createApp({ scopes: ['contacts_read', 'contacts_write'], authMethods: ['signed_request'], audiences: ['https://reports.example.com'] });
});
after(() => server.close());

const nowSeconds = () => Math.floor(clock.now() / 1000);

type Signed = SignedRequestBody;

function sign(client: { clientId: string; clientSecret: string }, extra: Partial<Signed> = {}, timestamp: number | string = nowSeconds()): Signed {
  const value = extra.signature_value ?? randomLowerAlnum(32);
  return {
    client_id: client.clientId,
    audience: `${server.issuer}/api`,
    timestamp,
    signature_value: value,
    signature: signRequest(client.clientSecret, value, String(timestamp)),
    ...extra,
  };
}

async function post(body: unknown, contentType = 'application/json'): Promise<{ status: number; headers: Headers; body: any }> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': contentType }, body: typeof body === 'string' ? body : JSON.stringify(body) });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : undefined };
}

/** RFC 6749 §5.2 error shape, as /oauth/token answers. */
function assertOAuthError(response: { status: number; headers: Headers; body: any }, status: number, error: string): void {
  assert.equal(response.status, status, JSON.stringify(response.body));
  assert.deepEqual(Object.keys(response.body).sort(), ['error', 'error_description']);
  assert.equal(response.body.error, error);
  assert.equal(typeof response.body.error_description, 'string');
  assert.equal(response.headers.get('cache-control'), 'no-store');
}

test('signed request: a valid signature → 200 like /oauth/token (RFC 6749 §5.1), no-store', async () => {
  const response = await post(sign(app));
  assert.equal(response.status, 200, JSON.stringify(response.body));
  assert.equal(response.headers.get('cache-control'), 'no-store');
  assert.deepEqual(Object.keys(response.body).sort(), ['access_token', 'expires_in', 'scope', 'token_type']);
  assert.equal(response.body.token_type, 'Bearer');
  assert.equal(response.body.scope, 'contacts_read');
  const claims = decodeJwt(response.body.access_token);
  assert.equal(claims.sub, app.clientId);
  assert.equal(claims.aud, `${server.issuer}/api`);
  assert.equal(claims.iat, nowSeconds());
  assert.equal(claims.exp, nowSeconds() + 7200);
});

test('signed request: a timestamp sent as a string of digits is signed as sent', async () => {
  const response = await post(sign(app, {}, String(nowSeconds())));
  assert.equal(response.status, 200, JSON.stringify(response.body));
});

test('signed request: timestamp ±5 s from server time accepted, ±6 s refused (400 invalid_request)', async () => {
  for (const offset of [-5, 5, 0, -1, 1]) {
    const response = await post(sign(app, {}, nowSeconds() + offset));
    assert.equal(response.status, 200, `offset ${offset}: ${JSON.stringify(response.body)}`);
  }
  for (const offset of [-6, 6, -3600, 3600]) {
    assertOAuthError(await post(sign(app, {}, nowSeconds() + offset)), 400, 'invalid_request');
  }
});

test('signed request: the window is a tenant setting (10 s → ±10 accepted, ±11 refused)', async () => {
  const { keymint } = server.server;
  await keymint.tenants.updateSettings('default', { signedRequestMaxSkew: 10 });
  try {
    for (const offset of [-10, 10]) assert.equal((await post(sign(app, {}, nowSeconds() + offset))).status, 200);
    for (const offset of [-11, 11]) assertOAuthError(await post(sign(app, {}, nowSeconds() + offset)), 400, 'invalid_request');
  } finally {
    await keymint.tenants.updateSettings('default', { signedRequestMaxSkew: 5 });
  }
  await assert.rejects(keymint.tenants.updateSettings('default', { signedRequestMaxSkew: 0 }), /window/);
  assertOAuthError(await post(sign(app, {}, nowSeconds() + 6)), 400, 'invalid_request');
});

test('signed request: a signature_value used twice within the window → 401 invalid_client; a fresh one works', async () => {
  const first = sign(app);
  assert.equal((await post(first)).status, 200);
  assertOAuthError(await post(first), 401, 'invalid_client');
  // Re-signed with another timestamp, the same value is still spent.
  const resigned = sign(app, { signature_value: first.signature_value }, nowSeconds() + 1);
  assertOAuthError(await post(resigned), 401, 'invalid_client');
  assert.equal((await post(sign(app))).status, 200);
  // Values are per client: another app may use the same value.
  const other = await server.createApp({ authMethods: ['signed_request'] });
  assert.equal((await post(sign(other, { signature_value: first.signature_value }))).status, 200);
});

test('signed request: a value whose signature failed is not spent (nobody without the secret burns values)', async () => {
  const good = sign(app);
  assertOAuthError(await post({ ...good, signature: '0'.repeat(64) }), 401, 'invalid_client');
  assert.equal((await post(good)).status, 200);
});

test('signed request: a wrong signature of the right length, of a wrong length, or in upper case → 401 invalid_client', async () => {
  const good = sign(app);
  const flipped = good.signature.slice(0, -1) + (good.signature.endsWith('0') ? '1' : '0');
  for (const signature of [flipped, good.signature.slice(0, -1), `${good.signature}0`, good.signature.slice(0, 32), good.signature.toUpperCase(), 'x']) {
    assertOAuthError(await post({ ...good, signature }), 401, 'invalid_client');
  }
  // Signed with another app's secret, or over another value or timestamp.
  const stranger = await server.createApp({ authMethods: ['signed_request'] });
  assertOAuthError(await post({ ...good, signature: signRequest(stranger.clientSecret, good.signature_value, String(good.timestamp)) }), 401, 'invalid_client');
  assertOAuthError(await post({ ...good, timestamp: nowSeconds() + 1 }), 401, 'invalid_client');
  assert.equal((await post(good)).status, 200);
});

test('signed request: unknown client, disabled app, another tenant\'s client → 401 invalid_client, one body', async () => {
  const { keymint } = server.server;
  const unknown = await post(sign({ clientId: 'nosuchclient0000000000000', clientSecret: app.clientSecret }));
  const disabledApp = await server.createApp({ authMethods: ['signed_request'] });
  await keymint.apps.disable((await keymint.tenants.get('default')).id, disabledApp.clientId);
  const disabled = await post(sign(disabledApp));
  await keymint.tenants.create('elsewhere');
  const foreign = await server.createApp({ tenant: 'elsewhere', authMethods: ['signed_request'] });
  const crossTenant = await post(sign(foreign));
  for (const response of [unknown, disabled, crossTenant]) {
    assertOAuthError(response, 401, 'invalid_client');
    assert.deepEqual(response.body, unknown.body);
    assert.equal(response.headers.get('www-authenticate'), null);
  }
  // The foreign client works at its own tenant.
  const own = await fetch(`${server.url}/t/elsewhere/v3/tokens`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ...sign(foreign), audience: `${server.url}/t/elsewhere/api` }) });
  assert.equal(own.status, 200);
});

test('signed request: an app without signed_request keeps no recoverable secret and cannot sign', async () => {
  const plain = await server.createApp();
  const signed = await server.createApp({ authMethods: ['client_secret_basic', 'signed_request'] });
  const { db } = server.server.keymint;
  const sealedOf = async (id: string) => (await db.selectFrom('app_secrets').select('sealed_secret').where('id', '=', id).executeTakeFirstOrThrow()).sealed_secret;
  assert.equal(await sealedOf(plain.secretId), null);
  const sealed = await sealedOf(signed.secretId);
  assert.ok(sealed);
  assert.ok(!sealed.includes(signed.clientSecret.slice(4, 20)), 'the sealed copy is ciphertext');
  assertOAuthError(await post(sign(plain)), 401, 'invalid_client');
  assert.equal((await post(sign(signed))).status, 200);
});

test('signed request: defence in depth: sealed copies left on an app without signed_request (direct database edit) do not sign', async () => {
  const { keymint } = server.server;
  const edited = await server.createApp({ authMethods: ['client_secret_post', 'signed_request'] });
  assert.equal((await post(sign(edited))).status, 200);
  await keymint.db.updateTable('apps').set({ auth_methods: JSON.stringify(['client_secret_post']) }).where('client_id', '=', edited.clientId).execute();
  keymint.changes.emit({ tenantId: (await keymint.tenants.get('default')).id, entity: 'app', entityId: edited.clientId });
  assertOAuthError(await post(sign(edited)), 401, 'invalid_client');
});

test('signed request: a signed_request-only app cannot use its secret at /oauth/token or the envelope', async () => {
  const tokenEndpoint = await postForm(`${server.issuer}/oauth/token`, { grant_type: 'client_credentials', client_id: app.clientId, client_secret: app.clientSecret });
  assert.equal(tokenEndpoint.status, 401);
  const envelope = await postForm(`${server.issuer}/v1/auth/token`, { client_id: app.clientId, client_secret: app.clientSecret });
  assert.equal(envelope.status, 401);
});

test('signed request: the secret that signed is found among several; a revoked one stops working', async () => {
  const { keymint } = server.server;
  const tenant = await keymint.tenants.get('default');
  const rotating = await server.createApp({ authMethods: ['signed_request'] });
  const second = await keymint.apps.addSecret(tenant.id, rotating.clientId, null);
  assert.equal((await post(sign(rotating))).status, 200);
  assert.equal((await post(sign({ clientId: rotating.clientId, clientSecret: second.clientSecret }))).status, 200);
  await keymint.apps.revokeSecret(tenant.id, rotating.clientId, rotating.secretId);
  assertOAuthError(await post(sign(rotating)), 401, 'invalid_client');
  assert.equal((await post(sign({ clientId: rotating.clientId, clientSecret: second.clientSecret }))).status, 200);
  // An expiring secret stops at its expiry.
  const expiring = await keymint.apps.addSecret(tenant.id, rotating.clientId, 60);
  const withExpiring = { clientId: rotating.clientId, clientSecret: expiring.clientSecret };
  assert.equal((await post(sign(withExpiring))).status, 200);
  clock.advance(61_000);
  assertOAuthError(await post(sign(withExpiring)), 401, 'invalid_client');
});

test('signed request: enabling signed_request on an existing app requires a new secret; disabling erases sealed copies', async () => {
  const { keymint } = server.server;
  const tenant = await keymint.tenants.get('default');
  const legacy = await server.createApp();
  const enabled = await keymint.apps.setAuthMethods(tenant.id, legacy.clientId, ['client_secret_post', 'signed_request']);
  assert.equal(enabled.newSecretRequired, true);
  assertOAuthError(await post(sign(legacy)), 401, 'invalid_client');
  // The old secret still works where it always did.
  assert.equal((await postForm(`${server.issuer}/v1/auth/token`, { client_id: legacy.clientId, client_secret: legacy.clientSecret })).status, 200);
  const fresh = await keymint.apps.addSecret(tenant.id, legacy.clientId, null);
  assert.equal((await post(sign({ clientId: legacy.clientId, clientSecret: fresh.clientSecret }))).status, 200);
  assert.equal((await keymint.apps.setAuthMethods(tenant.id, legacy.clientId, ['client_secret_post', 'signed_request'])).newSecretRequired, false);

  const disabled = await keymint.apps.setAuthMethods(tenant.id, legacy.clientId, ['client_secret_post']);
  assert.equal(disabled.newSecretRequired, false);
  const rows = await keymint.db.selectFrom('app_secrets').innerJoin('apps', 'apps.id', 'app_secrets.app_id').select('sealed_secret').where('apps.client_id', '=', legacy.clientId).execute();
  assert.ok(rows.length === 2 && rows.every((r) => r.sealed_secret === null));
  assertOAuthError(await post(sign({ clientId: legacy.clientId, clientSecret: fresh.clientSecret })), 401, 'invalid_client');
  await assert.rejects(keymint.apps.setAuthMethods(tenant.id, legacy.clientId, ['magic']), /auth methods/);
});

test('signed request: audience is the tenant default or one the app lists, else 400 invalid_target', async () => {
  const listed = await post(sign(app, { audience: 'https://reports.example.com' }));
  assert.equal(listed.status, 200);
  assert.equal(decodeJwt(listed.body.access_token).aud, 'https://reports.example.com');
  assertOAuthError(await post(sign(app, { audience: 'https://evil.example.com' })), 400, 'invalid_target');
  assertOAuthError(await post(sign(app, { audience: `${server.url}/t/elsewhere/api` })), 400, 'invalid_target');
});

test('signed request: scopes must be enabled on the app (400 invalid_scope); a scopes string under 5 characters → 400 invalid_request', async () => {
  const both = await post(sign(app, { scopes: 'contacts_read contacts_write' }));
  assert.equal(both.status, 200);
  assert.equal(both.body.scope, 'contacts_read contacts_write');
  const narrow = await server.createApp({ authMethods: ['signed_request'], scopes: ['contacts_read'] });
  assertOAuthError(await post(sign(narrow, { scopes: 'contacts_write' })), 400, 'invalid_scope');
  assertOAuthError(await post(sign(app, { scopes: 'admin_everything' })), 400, 'invalid_scope');
  for (const scopes of ['', 'a', 'abcd']) assertOAuthError(await post(sign(app, { scopes })), 400, 'invalid_request');
});

test('signed request: expiration "5m", "1h", 600, "600" shorten the token; above the app maximum → 400 invalid_request', async () => {
  for (const [expiration, seconds] of [['5m', 300], ['1h', 3600], [600, 600], ['600', 600], ['2h', 7200]] as const) {
    const response = await post(sign(app, { expiration }));
    assert.equal(response.status, 200, `${expiration}: ${JSON.stringify(response.body)}`);
    assert.equal(response.body.expires_in, seconds);
    const claims = decodeJwt(response.body.access_token);
    assert.equal(claims.exp! - claims.iat!, seconds);
  }
  for (const expiration of ['1d', 7201, '7201']) assertOAuthError(await post(sign(app, { expiration })), 400, 'invalid_request');
  const longLived = await server.createApp({ authMethods: ['signed_request'], tokenLifetime: 86_400 });
  assert.equal((await post(sign(longLived, { expiration: '1d' }))).body.expires_in, 86_400);
  for (const expiration of ['5x', '0', 0, -5, 1.5, '', 'soon']) assertOAuthError(await post(sign(app, { expiration })), 400, 'invalid_request');
});

test('signed request: client_id 12–36 and signature_value 16–1024 characters, else 400 invalid_request', async () => {
  const good = sign(app);
  for (const clientId of ['a'.repeat(11), 'a'.repeat(37), '']) {
    assertOAuthError(await post({ ...good, client_id: clientId }), 400, 'invalid_request');
  }
  // At the bounds the length is accepted and the request fails only at authentication.
  for (const clientId of ['a'.repeat(12), 'a'.repeat(36)]) {
    assertOAuthError(await post({ ...good, client_id: clientId }), 401, 'invalid_client');
  }
  for (const value of ['v'.repeat(16), 'v'.repeat(1024)]) {
    assert.equal((await post(sign(app, { signature_value: value }))).status, 200);
  }
  for (const value of ['v'.repeat(15), 'v'.repeat(1025), 'with space in it ok', 'ünïcödé-välüé-long-enough']) {
    assertOAuthError(await post(sign(app, { signature_value: value })), 400, 'invalid_request');
  }
});

test('signed request: missing fields, wrong types, non-JSON bodies → 400 invalid_request', async () => {
  const good = sign(app);
  for (const field of ['client_id', 'audience', 'timestamp', 'signature_value', 'signature'] as const) {
    const { [field]: _dropped, ...rest } = good;
    assertOAuthError(await post(rest), 400, 'invalid_request');
  }
  for (const timestamp of [1.5, -1, 'yesterday', '', null, true]) {
    assertOAuthError(await post({ ...good, timestamp }), 400, 'invalid_request');
  }
  assertOAuthError(await post({ ...good, client_id: 123456789012345 }), 400, 'invalid_request');
  assertOAuthError(await post('{"client_id":'), 400, 'invalid_request');
  assertOAuthError(await post('[]'), 400, 'invalid_request');
  assertOAuthError(await post('null'), 400, 'invalid_request');
  assertOAuthError(await post(new URLSearchParams(good as unknown as Record<string, string>).toString(), 'application/x-www-form-urlencoded'), 400, 'invalid_request');
  assertOAuthError(await post(JSON.stringify(good), 'text/plain'), 400, 'invalid_request');
  assert.doesNotMatch(server.logs(), new RegExp(app.clientSecret), 'the secret never reaches the log');
});

test('signed request: a body over the size limit → 413 invalid_request in the RFC 6749 shape', async () => {
  const response = await post({ ...sign(app), padding: 'x'.repeat(70_000) });
  assert.equal(response.status, 413);
  assert.equal(response.body.error, 'invalid_request');
});

test('signed request: an unexpected failure (database closed under the server) → 500 server_error, cause logged, not leaked', async () => {
  const own = await startTestServer();
  try {
    const fresh = await own.createApp({ authMethods: ['signed_request'] });
    await own.server.keymint.db.destroy();
    const timestamp = String(Math.floor(Date.now() / 1000));
    const value = randomLowerAlnum(32);
    const response = await fetch(`${own.issuer}/v3/tokens`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ client_id: fresh.clientId, audience: `${own.issuer}/api`, timestamp, signature_value: value, signature: signRequest(fresh.clientSecret, value, timestamp) }),
    });
    const body = await response.json();
    assert.equal(response.status, 500);
    assert.deepEqual(body, { error: 'server_error', error_description: 'internal error' });
    assert.match(own.logs(), /request failed/);
  } finally {
    await own.close().catch(() => {});
  }
});
