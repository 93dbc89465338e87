import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as oauth from 'oauth4webapi';
import * as openid from 'openid-client';
import { basic, postForm, startTestServer, type TestServer } from '../testing/harness.js';
import { fetchToken, introspect, revoke } from '../testing/tokens.js';

/**
 * RFC 7009 for end-user sessions: `kmr_` refresh tokens and end-user access JWTs are revoked (their
 * session ends) by the tenant's public app (client_id alone, §2.1) and by the tenant's confidential
 * apps; RFC 7662 introspection describes them by the same rule (docs/credential-lifecycle.md).
 */

type Json = Record<string, any>;
const claimsOf = (jwt: string): Json => JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString());

async function signUp(server: TestServer, email: string): Promise<Json> {
  const response = await fetch(`${server.issuer}/auth/signup`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password: `${email} password` }) });
  assert.equal(response.status, 201);
  return (await response.json()) as Json;
}

function refresh(server: TestServer, token: string) {
  return postForm(`${server.issuer}/oauth/token`, { grant_type: 'refresh_token', refresh_token: token });
}

async function sessionRevoked(server: TestServer, sessionId: string): Promise<boolean> {
  const row = await server.server.keymint.db.selectFrom('user_sessions').select('revoked_at').where('id', '=', sessionId).executeTakeFirstOrThrow();
  return row.revoked_at !== null;
}

test('RFC 7009 §2.1: the tenant\'s public app (client_id alone, oauth4webapi and openid-client with auth method none) revokes a kmr_ refresh token: the session ends, its access token is listed in the feed', async () => {
  const server = await startTestServer();
  try {
    const appId = (await server.server.keymint.tenants.get('default')).appId;
    const issuer = new URL(server.issuer);
    const as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, { algorithm: 'oauth2', [oauth.allowInsecureRequests]: true }));
    assert.deepEqual(as.revocation_endpoint_auth_methods_supported, ['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none'], 'RFC 8414: what the endpoint really accepts');

    const ann = await signUp(server, 'ann@example.com');
    const response = await oauth.revocationRequest(as, { client_id: appId }, oauth.None(), ann.refresh_token, { [oauth.allowInsecureRequests]: true });
    await oauth.processRevocationResponse(response);
    assert.equal(await sessionRevoked(server, claimsOf(ann.access_token).sid), true);
    assert.equal((await refresh(server, ann.refresh_token)).body.error, 'invalid_grant');
    const feed = (await (await fetch(`${server.issuer}/oauth/revocations`)).json()) as Json;
    assert.ok(feed.revocations.some((r: Json) => r.sid === claimsOf(ann.access_token).sid));

    const bob = await signUp(server, 'bob@example.com');
    const config = await openid.discovery(issuer, appId, undefined, openid.None(), { execute: [openid.allowInsecureRequests] });
    await openid.tokenRevocation(config, bob.refresh_token, { token_type_hint: 'refresh_token' });
    assert.equal(await sessionRevoked(server, claimsOf(bob.access_token).sid), true);
  } finally {
    await server.close();
  }
});

test('RFC 7009 §2.1: an end-user access token is revoked by ending its session (it carries no jti), by the public app or a confidential app of the tenant; never a silent 200 while it keeps working', async () => {
  const server = await startTestServer();
  try {
    const appId = (await server.server.keymint.tenants.get('default')).appId;
    const app = await server.createApp();
    const cid = await signUp(server, 'cid@example.com');
    assert.equal((await postForm(`${server.issuer}/oauth/revoke`, { token: cid.access_token, client_id: appId })).status, 200);
    assert.equal(await sessionRevoked(server, claimsOf(cid.access_token).sid), true);
    assert.equal((await fetch(`${server.issuer}/auth/session`, { headers: { authorization: `Bearer ${cid.access_token}` } })).status, 401);
    assert.equal((await refresh(server, cid.refresh_token)).status, 400, 'the refresh token ended with the session');

    const dee = await signUp(server, 'dee@example.com');
    assert.equal((await revoke(server.issuer, app.clientId, app.clientSecret, dee.refresh_token)).status, 200);
    assert.equal(await sessionRevoked(server, claimsOf(dee.access_token).sid), true, 'a confidential app of the tenant revokes too');
  } finally {
    await server.close();
  }
});

test('RFC 7009 §2.1: the public app cannot revoke app tokens; another tenant\'s app cannot revoke this tenant\'s sessions; other client_ids still need credentials', async () => {
  const server = await startTestServer();
  try {
    const { keymint } = server.server;
    const appId = (await keymint.tenants.get('default')).appId;
    const app = await server.createApp();
    const jwt = await fetchToken(server.issuer, app.clientId, app.clientSecret);
    assert.equal((await postForm(`${server.issuer}/oauth/revoke`, { token: jwt, client_id: appId })).status, 200);
    assert.equal((await introspect(server.issuer, app.clientId, app.clientSecret, jwt)).body.active, true, 'the app token was left alone');

    await keymint.tenants.create('other');
    const otherApp = await server.createApp({ tenant: 'other' });
    const otherAppId = (await keymint.tenants.get('other')).appId;
    const eve = await signUp(server, 'eve@example.com');
    assert.equal((await revoke(`${server.url}/t/other`, otherApp.clientId, otherApp.clientSecret, eve.refresh_token)).status, 200);
    assert.equal((await postForm(`${server.url}/t/other/oauth/revoke`, { token: eve.access_token, client_id: otherAppId })).status, 200);
    assert.equal((await postForm(`${server.url}/t/other/oauth/revoke`, { token: eve.refresh_token, client_id: otherAppId })).status, 200);
    assert.equal(await sessionRevoked(server, claimsOf(eve.access_token).sid), false, 'nothing crosses tenants');

    const bare = await postForm(`${server.issuer}/oauth/revoke`, { token: eve.refresh_token, client_id: app.clientId });
    assert.equal(bare.status, 400, 'a confidential app without its secret');
    assert.equal(bare.body.error, 'invalid_request');
    const wrong = await postForm(`${server.issuer}/oauth/revoke`, { token: eve.refresh_token }, { authorization: basic(appId, 'kms_guess') });
    assert.equal(wrong.status, 401, 'the public app id is no confidential client');
    assert.equal(await sessionRevoked(server, claimsOf(eve.access_token).sid), false);
    for (const junk of ['kmr_garbage', `kmr_${'A'.repeat(38)}`, 'a.b.c', 'x']) {
      assert.equal((await postForm(`${server.issuer}/oauth/revoke`, { token: junk, client_id: appId })).status, 200, `§2.2: ${junk}`);
    }
    assert.equal((await postForm(`${server.issuer}/oauth/revoke`, { client_id: appId })).status, 400, 'token is required');
  } finally {
    await server.close();
  }
});

test('RFC 7009 with a concurrent burst: 10 revocations of one refresh token all answer 200 and end the session once (one feed entry)', async () => {
  const server = await startTestServer();
  try {
    const appId = (await server.server.keymint.tenants.get('default')).appId;
    const fay = await signUp(server, 'fay@example.com');
    const sid = claimsOf(fay.access_token).sid;
    const answers = await Promise.all(Array.from({ length: 10 }, () => postForm(`${server.issuer}/oauth/revoke`, { token: fay.refresh_token, client_id: appId })));
    assert.deepEqual(answers.map((a) => a.status), Array(10).fill(200));
    const entries = await server.server.keymint.db.selectFrom('token_revocations').select('id').where('session_id', '=', sid).execute();
    assert.equal(entries.length, 1);
  } finally {
    await server.close();
  }
});

test('RFC 7662 for end-user tokens: a live kmr_ refresh token and access JWT are active (sub, aud = app id, sid, exp); spent, revoked ones and the public app\'s own calls are not', async () => {
  const server = await startTestServer();
  try {
    const appId = (await server.server.keymint.tenants.get('default')).appId;
    const caller = await server.createApp({ scopes: [] });
    const gus = await signUp(server, 'gus@example.com');
    const claims = claimsOf(gus.access_token);

    const access = (await introspect(server.issuer, caller.clientId, caller.clientSecret, gus.access_token)).body;
    assert.deepEqual(access, { active: true, client_id: appId, token_type: 'Bearer', exp: claims.exp, iat: claims.iat, sub: claims.sub, aud: appId, iss: server.issuer, sid: claims.sid });
    const refreshToken = (await introspect(server.issuer, caller.clientId, caller.clientSecret, gus.refresh_token)).body;
    assert.equal(refreshToken.active, true);
    assert.equal(refreshToken.sub, claims.sub);
    assert.equal(refreshToken.sid, claims.sid);
    assert.equal(refreshToken.token_type, undefined, 'RFC 6749 §5.1 token types name access tokens');
    assert.ok(refreshToken.exp > claims.exp, 'a refresh token outlives the access token');

    const next = await refresh(server, gus.refresh_token);
    assert.deepEqual((await introspect(server.issuer, caller.clientId, caller.clientSecret, gus.refresh_token)).body, { active: false }, 'spent');
    assert.equal((await introspect(server.issuer, caller.clientId, caller.clientSecret, next.body.refresh_token)).body.active, true);

    const publicCall = await postForm(`${server.issuer}/oauth/introspect`, { token: gus.access_token, client_id: appId });
    assert.equal(publicCall.status, 400, 'introspection stays for authenticated apps (RFC 7662 §2.1)');

    await postForm(`${server.issuer}/oauth/revoke`, { token: next.body.access_token, client_id: appId });
    for (const token of [gus.access_token, next.body.access_token, next.body.refresh_token]) {
      assert.deepEqual((await introspect(server.issuer, caller.clientId, caller.clientSecret, token)).body, { active: false }, 'revoked');
    }
  } finally {
    await server.close();
  }
});
