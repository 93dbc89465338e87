import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createAuthTokenVerifier, type InvalidTokenError } from '@keymint/sdk/node';
import * as oauth from 'oauth4webapi';
import { basic, postForm, startTestServer, type TestServer } from '../testing/harness.js';
import { waitFor } from '../testing/wait.js';

let server: TestServer;
let tokenUrl: string;
let appId: string;

before(async () => {
  server = await startTestServer();
  tokenUrl = `${server.issuer}/oauth/token`;
  appId = (await server.server.keymint.tenants.get('default')).appId;
});
after(() => server.close());

type Json = Record<string, any>;
const claimsOf = (jwt: string): Json => JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString());

async function signUp(email: string): Promise<Json> {
  const response = await fetch(`${server.issuer}/auth/signup`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password: `${email} password` }) });
  assert.equal(response.status, 201);
  return (await response.json()) as Json;
}

function assertOAuthError(response: { status: number; headers: Headers; body: Json }, status: number, error: string): void {
  assert.equal(response.status, status, JSON.stringify(response.body));
  assert.equal(response.body.error, error);
  assert.equal(typeof response.body.error_description, 'string');
  assert.equal(response.headers.get('cache-control'), 'no-store');
}


test('RFC 6749 §6: grant_type=refresh_token without client authentication rotates the session like /auth/refresh (same shape, no-store)', async () => {
  const first = await signUp('rita@example.com');
  const response = await postForm(tokenUrl, { grant_type: 'refresh_token', refresh_token: first.refresh_token });
  assert.equal(response.status, 200, JSON.stringify(response.body));
  assert.equal(response.headers.get('cache-control'), 'no-store');
  assert.equal(response.headers.get('pragma'), 'no-cache');
  assert.deepEqual(Object.keys(response.body).sort(), Object.keys(first).sort(), 'the session tokens of /auth/refresh');
  assert.equal(response.body.token_type, 'Bearer');
  assert.match(response.body.refresh_token, /^kmr_/);
  assert.notEqual(response.body.refresh_token, first.refresh_token);
  assert.deepEqual(response.body.user, first.user);
  assert.equal(claimsOf(response.body.access_token).sid, claimsOf(first.access_token).sid, 'the same session');
  const auth = createAuthTokenVerifier({ issuer: server.issuer, appId, revocationPollMs: false });
  try {
    const info = await auth.verifyAuthToken(response.body.access_token);
    assert.equal(info.userId, first.user.id);
  } finally {
    auth.close();
  }
  // The new refresh token works at /auth/refresh too: one session, two doors.
  const again = await fetch(`${server.issuer}/auth/refresh`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ refresh_token: response.body.refresh_token }) });
  assert.equal(again.status, 200);
  // And at the IdentityServer path.
  const connect = await postForm(`${server.issuer}/connect/token`, { grant_type: 'refresh_token', refresh_token: ((await again.json()) as Json).refresh_token });
  assert.equal(connect.status, 200);
});

test('RFC 6749 §6 with oauth4webapi: a public client (token_endpoint_auth_method none, client_id = the tenant app_id) refreshes', async () => {
  const first = await signUp('olga@example.com');
  const issuer = new URL(server.issuer);
  const as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, { algorithm: 'oauth2', [oauth.allowInsecureRequests]: true }));
  assert.ok(as.grant_types_supported?.includes('refresh_token'), 'RFC 8414: the metadata lists refresh_token');
  assert.ok(as.token_endpoint_auth_methods_supported?.includes('none'));
  const client = { client_id: appId };
  const response = await oauth.refreshTokenGrantRequest(as, client, oauth.None(), first.refresh_token, { [oauth.allowInsecureRequests]: true });
  const result = await oauth.processRefreshTokenResponse(as, client, response);
  assert.equal(result.token_type, 'bearer');
  assert.match(result.refresh_token!, /^kmr_/);
  assert.equal(claimsOf(result.access_token).sub, `did:keymint:${first.user.id}`);
});

test('RFC 6749 §5.2 invalid_grant: a spent refresh token (reuse grace off) is refused and revokes the session (RFC 9700 §4.14.2); unknown and malformed tokens too', async (t) => {
  // The grace window (users/refresh-grace.test.ts) turned off, so that an immediate reuse is theft.
  await server.server.keymint.users.updateSettings('default', { refreshReuseGrace: 0 });
  t.after(() => server.server.keymint.users.updateSettings('default', { refreshReuseGrace: 10 }));
  const first = await signUp('sam@example.com');
  const second = await postForm(tokenUrl, { grant_type: 'refresh_token', refresh_token: first.refresh_token });
  assert.equal(second.status, 200);
  const auth = createAuthTokenVerifier({ issuer: server.issuer, appId, revocationPollMs: 50 });
  try {
    await auth.verifyAuthToken(second.body.access_token);
    assertOAuthError(await postForm(tokenUrl, { grant_type: 'refresh_token', refresh_token: first.refresh_token }), 400, 'invalid_grant');
    assertOAuthError(await postForm(tokenUrl, { grant_type: 'refresh_token', refresh_token: second.body.refresh_token }), 400, 'invalid_grant');
    const feed = (await (await fetch(`${server.issuer}/oauth/revocations`)).json()) as Json;
    assert.ok(feed.revocations.some((r: Json) => r.sid === claimsOf(first.access_token).sid), 'the session is in the revocation feed');
    await waitFor(async () => {
      await assert.rejects(auth.verifyAuthToken(second.body.access_token), (e: InvalidTokenError) => e.code === 'ERR_TOKEN_REVOKED');
    });
  } finally {
    auth.close();
  }
  const tenant = await server.server.keymint.tenants.get('default');
  assert.ok((await server.server.keymint.audit.list(tenant.id)).some((e) => e.action === 'user.refresh_token_reused' && e.target === claimsOf(first.access_token).sid));
  for (const junk of ['kmr_notarealtoken', `kmr_${'A'.repeat(38)}`, 'x']) {
    assertOAuthError(await postForm(tokenUrl, { grant_type: 'refresh_token', refresh_token: junk }), 400, 'invalid_grant');
  }
});

test('RFC 6749 §5.2 invalid_request: refresh_token missing or empty, parameters repeated (§3.1)', async () => {
  const session = await signUp('ivy@example.com');
  assertOAuthError(await postForm(tokenUrl, { grant_type: 'refresh_token' }), 400, 'invalid_request');
  assertOAuthError(await postForm(tokenUrl, { grant_type: 'refresh_token', refresh_token: '' }), 400, 'invalid_request');
  const twice = `grant_type=refresh_token&refresh_token=${session.refresh_token}&refresh_token=${session.refresh_token}`;
  assertOAuthError(await postForm(tokenUrl, twice), 400, 'invalid_request');
  assertOAuthError(await postForm(tokenUrl, `grant_type=refresh_token&grant_type=refresh_token&refresh_token=${session.refresh_token}`), 400, 'invalid_request');
  assertOAuthError(await postForm(tokenUrl, `grant_type=refresh_token&refresh_token=${session.refresh_token}&client_id=${appId}&client_id=${appId}`), 400, 'invalid_request');
  const json = await fetch(tokenUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ grant_type: 'refresh_token', refresh_token: session.refresh_token }) });
  assert.equal(json.status, 400, 'RFC 6749 §3.2: form-encoded only');
  // None of these spent the token.
  assert.equal((await postForm(tokenUrl, { grant_type: 'refresh_token', refresh_token: session.refresh_token })).status, 200);
});

test('RFC 6749 §5.2 unauthorized_client: app credentials with grant_type=refresh_token (apps hold no refresh tokens); wrong ones stay invalid_client', async () => {
  const app = await server.createApp();
  const session = await signUp('uma@example.com');
  const grant = { grant_type: 'refresh_token', refresh_token: session.refresh_token };
  assertOAuthError(await postForm(tokenUrl, grant, { authorization: basic(app.clientId, app.clientSecret) }), 400, 'unauthorized_client');
  assertOAuthError(await postForm(tokenUrl, { ...grant, client_id: app.clientId, client_secret: app.clientSecret }), 400, 'unauthorized_client');
  const wrong = await postForm(tokenUrl, grant, { authorization: basic(app.clientId, 'kms_wrong') });
  assertOAuthError(wrong, 401, 'invalid_client');
  assert.match(wrong.headers.get('www-authenticate') ?? '', /^Basic/);
  // A client_id other than the tenant's app id, without a secret: a client that would need to authenticate.
  assertOAuthError(await postForm(tokenUrl, { ...grant, client_id: app.clientId }), 401, 'invalid_client');
  // The refusals did not spend the token, and client_credentials is unchanged.
  assert.equal((await postForm(tokenUrl, grant)).status, 200);
  assert.equal((await postForm(tokenUrl, { grant_type: 'client_credentials' }, { authorization: basic(app.clientId, app.clientSecret) })).status, 200);
  assertOAuthError(await postForm(tokenUrl, { grant_type: 'client_credentials' }), 400, 'invalid_request');
});

test('RFC 6749 §6: a refresh cannot widen the grant: any scope → invalid_scope, an audience other than the app id → invalid_target', async () => {
  const session = await signUp('wes@example.com');
  const grant = { grant_type: 'refresh_token', refresh_token: session.refresh_token };
  assertOAuthError(await postForm(tokenUrl, { ...grant, scope: 'contacts_read' }), 400, 'invalid_scope');
  assertOAuthError(await postForm(tokenUrl, { ...grant, resource: `${server.issuer}/api` }), 400, 'invalid_target');
  assertOAuthError(await postForm(tokenUrl, { ...grant, audience: 'https://elsewhere.example' }), 400, 'invalid_target');
  const same = await postForm(tokenUrl, { ...grant, resource: appId });
  assert.equal(same.status, 200);
  assert.equal(claimsOf(same.body.access_token).aud, appId);
});

test('a refresh token never reaches the log', async () => {
  const session = await signUp('lou@example.com');
  const next = await postForm(`${tokenUrl}?refresh_token=${session.refresh_token}`, { grant_type: 'refresh_token', refresh_token: session.refresh_token });
  assert.equal(next.status, 200);
  await postForm(tokenUrl, { grant_type: 'refresh_token', refresh_token: session.refresh_token });
  const logs = server.logs();
  for (const token of [session.refresh_token, next.body.refresh_token, next.body.access_token]) assert.ok(!logs.includes(token));
});
