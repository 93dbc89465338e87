import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { decodeJwt } from 'jose';
import { InvalidScope, ServerError, TemporarilyUnavailable, TooManyRequests, UnsupportedGrantType } from '../errors.js';
import { envelopeCode } from '../http/errors.js';
import { postForm, startTestServer, type TestServer } from '../testing/harness.js';

let server: TestServer;
let url: string;
let app: { clientId: string; clientSecret: string };

before(async () => {
  server = await startTestServer();
  url = `${server.issuer}/v1/auth/token`;
  app = await server.createApp({ scopes: ['contacts_read', 'contacts_write'] });
});
after(() => server.close());

function assertEnvelopeError(response: { status: number; headers: Headers; body: any }, status: number, code: string, reason: string, noStore = true): void {
  assert.equal(response.status, status, JSON.stringify(response.body));
  assert.deepEqual(Object.keys(response.body), ['error']);
  assert.deepEqual(Object.keys(response.body.error).sort(), ['code', 'code_reason', 'message']);
  assert.equal(response.body.error.code, code);
  assert.equal(response.body.error.code_reason, reason);
  assert.equal(typeof response.body.error.message, 'string');
  if (noStore) assert.equal(response.headers.get('cache-control'), 'no-store');
}

test('envelope: client_id + client_secret → 200 {data:{access_token,token_type,expires_in,scope}}, no-store', async () => {
  const response = await postForm(url, { client_id: app.clientId, client_secret: app.clientSecret });
  assert.equal(response.status, 200);
  assert.equal(response.headers.get('cache-control'), 'no-store');
  assert.deepEqual(Object.keys(response.body), ['data']);
  const { data } = response.body;
  assert.deepEqual(Object.keys(data).sort(), ['access_token', 'expires_in', 'scope', 'token_type']);
  assert.equal(data.token_type, 'Bearer');
  assert.equal(data.expires_in, 7200);
  assert.equal(data.scope, 'contacts_read');
  const claims = decodeJwt(data.access_token);
  assert.equal(claims.iss, server.issuer);
  assert.equal(claims.client_id, app.clientId);
  assert.equal(claims.aud, `${server.issuer}/api`);
});

test('envelope: grant_type client_credentials and scope are honoured', async () => {
  const response = await postForm(url, { grant_type: 'client_credentials', client_id: app.clientId, client_secret: app.clientSecret, scope: 'contacts_write' });
  assert.equal(response.status, 200);
  assert.equal(response.body.data.scope, 'contacts_write');
});

test('envelope: another grant_type → 400 400013 invalid_request', async () => {
  for (const grantType of ['password', 'authorization_code', 'refresh_token', 'x']) {
    const response = await postForm(url, { grant_type: grantType, client_id: app.clientId, client_secret: app.clientSecret });
    assertEnvelopeError(response, 400, '400013', 'invalid_request');
  }
});

test('envelope: missing client_id or client_secret → 400 400013 invalid_request', async () => {
  assertEnvelopeError(await postForm(url, { client_secret: app.clientSecret }), 400, '400013', 'invalid_request');
  assertEnvelopeError(await postForm(url, { client_id: app.clientId }), 400, '400013', 'invalid_request');
  assertEnvelopeError(await postForm(url, {}), 400, '400013', 'invalid_request');
});

test('envelope: a repeated parameter, a JSON body or no body → 400 400013 invalid_request', async () => {
  const twice = `client_id=${app.clientId}&client_id=${app.clientId}&client_secret=${app.clientSecret}`;
  assertEnvelopeError(await postForm(url, twice), 400, '400013', 'invalid_request');
  const json = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ client_id: app.clientId, client_secret: app.clientSecret }) });
  assertEnvelopeError({ status: json.status, headers: json.headers, body: await json.json() }, 400, '400013', 'invalid_request');
  const none = await fetch(url, { method: 'POST' });
  assertEnvelopeError({ status: none.status, headers: none.headers, body: await none.json() }, 400, '400013', 'invalid_request');
});

test('envelope: a scope not enabled on the app → 400 400013 invalid_request naming the scope', async () => {
  const narrow = await server.createApp({ scopes: ['contacts_read'] });
  const response = await postForm(url, { client_id: narrow.clientId, client_secret: narrow.clientSecret, scope: 'contacts_write' });
  assertEnvelopeError(response, 400, '400013', 'invalid_request');
  assert.match(response.body.error.message, /contacts_write/);
});

test('envelope: wrong secret, unknown client, disabled app → 401 401021 invalid_client, one body for all', async () => {
  const wrong = await postForm(url, { client_id: app.clientId, client_secret: `${app.clientSecret.slice(0, -1)}${app.clientSecret.endsWith('x') ? 'y' : 'x'}` });
  const unknown = await postForm(url, { client_id: 'nosuchclient0000000000000', client_secret: app.clientSecret });
  const victim = await server.createApp();
  const { keymint } = server.server;
  await keymint.apps.disable((await keymint.tenants.get('default')).id, victim.clientId);
  const disabled = await postForm(url, { client_id: victim.clientId, client_secret: victim.clientSecret });
  for (const response of [wrong, unknown, disabled]) {
    assertEnvelopeError(response, 401, '401021', 'invalid_client');
    assert.deepEqual(response.body, wrong.body);
    assert.equal(response.headers.get('www-authenticate'), null);
  }
});

test('envelope: an app that allows only Basic cannot use the form → 401 401021', async () => {
  const basicOnly = await server.createApp({ authMethods: ['client_secret_basic'] });
  assertEnvelopeError(await postForm(url, { client_id: basicOnly.clientId, client_secret: basicOnly.clientSecret }), 401, '401021', 'invalid_client');
});

test('envelope: an unknown tenant keeps its 404 status in the envelope shape', async () => {
  const response = await postForm(`${server.url}/t/nosuchtenant/v1/auth/token`, { client_id: app.clientId, client_secret: app.clientSecret });
  // The tenant is resolved before the route's own hooks run: no token, so no no-store needed.
  assertEnvelopeError(response, 404, '404000', 'not_found', false);
});

test('envelope: an unexpected failure (database closed under the server) → 500 500999 API_ERROR, cause logged, not leaked', async () => {
  const own = await startTestServer();
  try {
    const fresh = await own.createApp();
    // A real failure: the client is not cached yet, so authenticating it must read the closed database.
    await own.server.keymint.db.destroy();
    const response = await postForm(`${own.issuer}/v1/auth/token`, { client_id: fresh.clientId, client_secret: fresh.clientSecret });
    assertEnvelopeError(response, 500, '500999', 'API_ERROR');
    assert.equal(response.body.error.message, 'An unexpected error occurred');
    const logs = own.logs();
    assert.match(logs, /request failed/);
    const cause = logs.split('\n').find((line) => line.includes('request failed')) ?? '';
    assert.match(cause, /"err":\{/, 'the cause is logged');
    assert.doesNotMatch(JSON.stringify(response.body), /database|sqlite|connection|stack/i);
    assert.doesNotMatch(logs, new RegExp(fresh.clientSecret), 'the secret never reaches the log');
  } finally {
    await own.close().catch(() => {});
  }
});

test('envelope: a body over the form limit → 413 413000 invalid_request, still the envelope shape', async () => {
  const response = await postForm(url, `client_id=${app.clientId}&client_secret=${app.clientSecret}&scope=${'a'.repeat(20_000)}`);
  assertEnvelopeError(response, 413, '413000', 'invalid_request', false);
});

test('envelope: codes the vendor does not define keep their status (429, 503); other 5xx are 500999', () => {
  assert.deepEqual(envelopeCode(new TooManyRequests('slow down', 3)), { code: '429000', reason: 'too_many_requests' });
  assert.deepEqual(envelopeCode(new TemporarilyUnavailable('later')), { code: '503000', reason: 'temporarily_unavailable' });
  assert.deepEqual(envelopeCode(new InvalidScope('no')), { code: '400013', reason: 'invalid_request' });
  assert.deepEqual(envelopeCode(new UnsupportedGrantType('no')), { code: '400013', reason: 'invalid_request' });
  assert.deepEqual(envelopeCode(new ServerError('boom')), { code: '500999', reason: 'API_ERROR' });
});
