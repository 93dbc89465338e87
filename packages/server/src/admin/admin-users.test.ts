import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createAuthTokenVerifier, type InvalidTokenError } from '@keymint/sdk/node';
import { postForm, startTestServer, type TestServer } from '../testing/harness.js';
import { waitFor } from '../testing/wait.js';
import { AdminClient, createAdmin } from './testing.js';

const T = '/tenants/default';
type Json = Record<string, any>;
const sidOf = (jwt: string): string => JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString()).sid;

async function auth(server: TestServer, path: 'signup' | 'signin', email: string, issuer = server.issuer): Promise<Json> {
  const response = await fetch(`${issuer}/auth/${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password: `${email.toLowerCase()} password` }) });
  assert.ok(response.status === 200 || response.status === 201, `${path} ${response.status}`);
  return (await response.json()) as Json;
}


test('Admin API users: an owner lists users and live sessions, revokes one session and then all; refresh → invalid_grant, access tokens refused once the feed lists the sid', { timeout: 60_000 }, async () => {
  const server = await startTestServer();
  const { keymint } = server.server;
  const tenant = await keymint.tenants.get('default');
  const verifier = createAuthTokenVerifier({ issuer: server.issuer, appId: tenant.appId, revocationPollMs: 50 });
  try {
    const { email, password } = await createAdmin(server, 'owner@example.com');
    const admin = await AdminClient.signIn(server, email, password);
    const a = await auth(server, 'signup', 'Nina@Example.com');
    const b = await auth(server, 'signin', 'nina@example.com');
    await auth(server, 'signup', 'omar@example.com');

    const listed = await admin.call('GET', `${T}/users`);
    assert.equal(listed.status, 200);
    assert.equal(listed.headers.get('cache-control'), 'no-store');
    assert.deepEqual(listed.body.users.map((u: Json) => u.email), ['omar@example.com', 'Nina@Example.com'], 'newest first');
    const nina = listed.body.users[1];
    assert.equal(nina.id, a.user.id);
    assert.ok(Date.parse(nina.created_at) <= Date.parse(nina.last_sign_in_at), 'last sign-in is the newest session');
    assert.equal(listed.body.next, null);
    // Paging and lookup by email.
    const first = await admin.call('GET', `${T}/users?limit=1`);
    assert.equal(first.body.users.length, 1);
    assert.equal(first.body.next, first.body.users[0].id);
    const second = await admin.call('GET', `${T}/users?limit=1&before=${first.body.next}`);
    assert.deepEqual(second.body.users.map((u: Json) => u.id), [a.user.id]);
    assert.equal(second.body.next, null);
    assert.deepEqual((await admin.call('GET', `${T}/users?email=NINA@example.com`)).body.users.map((u: Json) => u.id), [a.user.id]);
    for (const query of ['limit=0', 'limit=201', 'limit=x', 'before=usr_nope', 'email=not-an-email', 'other=1']) {
      const response = await admin.call('GET', `${T}/users?${query}`);
      assert.equal(response.status, 400, query);
      assert.equal(response.body.error, 'invalid_request');
    }

    const sessions = await admin.call('GET', `${T}/users/${a.user.id}/sessions`);
    assert.equal(sessions.status, 200);
    assert.equal(sessions.body.user.email, 'Nina@Example.com');
    assert.deepEqual(sessions.body.sessions.map((s: Json) => s.sid).sort(), [sidOf(a.access_token), sidOf(b.access_token)].sort());
    for (const s of sessions.body.sessions) for (const field of ['created_at', 'last_used_at', 'expires_at', 'idle_expires_at']) assert.ok(Date.parse(s[field]) > 0, field);
    assert.ok(!JSON.stringify(sessions.body).includes(a.refresh_token), 'no token in the answer');
    assert.equal((await admin.call('GET', `${T}/users/usr_nope/sessions`)).status, 404);

    // One session: its refresh token fails, its access token stops verifying once the feed lists it.
    await verifier.verifyAuthToken(a.access_token);
    assert.equal((await admin.call('DELETE', `${T}/users/${a.user.id}/sessions/${sidOf(a.access_token)}`)).status, 204);
    assert.equal((await admin.call('DELETE', `${T}/users/${a.user.id}/sessions/${sidOf(a.access_token)}`)).status, 404, 'already revoked');
    assert.equal((await admin.call('DELETE', `${T}/users/${a.user.id}/sessions/ses_nope`)).status, 404);
    const refused = await postForm(`${server.issuer}/oauth/token`, { grant_type: 'refresh_token', refresh_token: a.refresh_token });
    assert.equal(refused.status, 400);
    assert.equal(refused.body.error, 'invalid_grant');
    const feed = (await (await fetch(`${server.issuer}/oauth/revocations`)).json()) as Json;
    assert.ok(feed.revocations.some((r: Json) => r.sid === sidOf(a.access_token)));
    await waitFor(async () => {
      await assert.rejects(verifier.verifyAuthToken(a.access_token), (e: InvalidTokenError) => e.code === 'ERR_TOKEN_REVOKED');
    });
    await verifier.verifyAuthToken(b.access_token);
    assert.deepEqual((await admin.call('GET', `${T}/users/${a.user.id}/sessions`)).body.sessions.map((s: Json) => s.sid), [sidOf(b.access_token)]);

    // Every session.
    const all = await admin.call('DELETE', `${T}/users/${a.user.id}/sessions`);
    assert.equal(all.status, 200);
    assert.deepEqual(all.body, { user_id: a.user.id, revoked: 1 });
    const refreshed = await postForm(`${server.issuer}/oauth/token`, { grant_type: 'refresh_token', refresh_token: b.refresh_token });
    assert.equal(refreshed.body.error, 'invalid_grant');
    await waitFor(async () => {
      await assert.rejects(verifier.verifyAuthToken(b.access_token), (e: InvalidTokenError) => e.code === 'ERR_TOKEN_REVOKED');
    });
    assert.deepEqual((await admin.call('GET', `${T}/users/${a.user.id}/sessions`)).body.sessions, []);
    assert.equal((await admin.call('DELETE', `${T}/users/usr_nope/sessions`)).status, 404);

    const audit = (await admin.call('GET', `${T}/audit?actor=admin`)).body.entries;
    assert.ok(audit.some((e: Json) => e.action === 'user.session_revoked' && e.target === a.user.id && e.detail.session === sidOf(a.access_token) && e.actor_id === email));
    assert.ok(audit.some((e: Json) => e.action === 'user.sessions_revoked' && e.target === a.user.id && e.detail.sessions === 1));
  } finally {
    verifier.close();
    await server.close();
  }
});

test('Admin API users: a viewer may list users and sessions but revoking is 403; a tenant-bound admin is refused on another tenant', { timeout: 60_000 }, async () => {
  const server = await startTestServer();
  try {
    const { keymint } = server.server;
    await keymint.tenants.create('acme');
    const u = await auth(server, 'signup', 'pat@example.com');
    const sid = sidOf(u.access_token);
    const viewerAccount = await createAdmin(server, 'viewer@example.com', 'viewer');
    const viewer = await AdminClient.signIn(server, viewerAccount.email, viewerAccount.password);
    assert.equal((await viewer.call('GET', `${T}/users`)).status, 200);
    assert.equal((await viewer.call('GET', `${T}/users/${u.user.id}/sessions`)).status, 200);
    for (const path of [`${T}/users/${u.user.id}/sessions`, `${T}/users/${u.user.id}/sessions/${sid}`]) {
      const response = await viewer.call('DELETE', path);
      assert.equal(response.status, 403, path);
      assert.equal(response.body.error, 'forbidden');
    }

    const acmeAccount = await createAdmin(server, 'acme-owner@example.com', 'owner', 'acme');
    const acme = await AdminClient.signIn(server, acmeAccount.email, acmeAccount.password);
    const acmeIssuer = `${server.url}/t/acme`;
    await auth(server, 'signup', 'quinn@example.com', acmeIssuer);
    assert.deepEqual((await acme.call('GET', '/tenants/acme/users')).body.users.map((x: Json) => x.email), ['quinn@example.com']);
    for (const [method, path] of [
      ['GET', `${T}/users`], ['GET', `${T}/users/${u.user.id}/sessions`],
      ['DELETE', `${T}/users/${u.user.id}/sessions`], ['DELETE', `${T}/users/${u.user.id}/sessions/${sid}`],
    ] as const) {
      assert.equal((await acme.call(method, path)).status, 403, `${method} ${path}`);
    }
    // Another tenant's user id under one's own tenant is simply not there.
    assert.equal((await acme.call('DELETE', `/tenants/acme/users/${u.user.id}/sessions`)).status, 404);
    assert.equal((await acme.call('DELETE', `/tenants/acme/users/${u.user.id}/sessions/${sid}`)).status, 404);

    // Nothing above ended the session.
    const refreshed = await postForm(`${server.issuer}/oauth/token`, { grant_type: 'refresh_token', refresh_token: u.refresh_token });
    assert.equal(refreshed.status, 200);
    // CSRF still applies to the cookie session.
    const ownerAccount = await createAdmin(server, 'owner@example.com');
    const owner = await AdminClient.signIn(server, ownerAccount.email, ownerAccount.password);
    assert.equal((await owner.call('DELETE', `${T}/users/${u.user.id}/sessions`, undefined, { csrf: null })).status, 403);
    const openapi = (await (await fetch(`${server.url}/openapi.json`)).json()) as Json;
    assert.ok(openapi.paths['/admin/v1/tenants/{tenant}/users/{id}/sessions'].delete);
    assert.ok(openapi.paths['/admin/v1/tenants/{tenant}/users/{id}/sessions/{sid}'].delete);
  } finally {
    await server.close();
  }
});

test('Admin API end-user settings: GET shows what `users settings` shows; an owner PATCHes refresh_reuse_grace (0-60 s, else 400); a viewer may only read', async () => {
  const server = await startTestServer();
  try {
    const ownerAccount = await createAdmin(server, 'owner@example.com');
    const owner = await AdminClient.signIn(server, ownerAccount.email, ownerAccount.password);
    const shown = await owner.call('GET', `${T}/end-user-settings`);
    assert.equal(shown.status, 200);
    assert.deepEqual(shown.body, { token_mode: 'bearer', allowed_origins: [], access_token_lifetime: 3600, session_idle_timeout: 604800, session_absolute_lifetime: 2592000, refresh_reuse_grace: 10, signup: 'open', require_verified_email: false });
    const changed = await owner.call('PATCH', `${T}/end-user-settings`, { refresh_reuse_grace: 0 });
    assert.equal(changed.status, 200);
    assert.equal(changed.body.refresh_reuse_grace, 0);
    assert.equal(server.server.keymint.users.settings(await server.server.keymint.tenants.get('default')).refreshReuseGrace, 0);
    for (const bad of [61, -1]) {
      const refused = await owner.call('PATCH', `${T}/end-user-settings`, { refresh_reuse_grace: bad });
      assert.equal(refused.status, 400, String(bad));
      assert.equal(refused.body.error, 'invalid_request');
    }
    const viewerAccount = await createAdmin(server, 'viewer@example.com', 'viewer');
    const viewer = await AdminClient.signIn(server, viewerAccount.email, viewerAccount.password);
    assert.equal((await viewer.call('GET', `${T}/end-user-settings`)).status, 200);
    assert.equal((await viewer.call('PATCH', `${T}/end-user-settings`, { refresh_reuse_grace: 5 })).status, 403);
  } finally {
    await server.close();
  }
});
