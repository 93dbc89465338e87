import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as oauth from 'oauth4webapi';
import { InvalidToken } from '../errors.js';
import { keymintCli } from '../testing/cli.js';
import { basic, postForm, startTestServer, TestClock } from '../testing/harness.js';
import { fetchToken, introspect, revoke } from '../testing/tokens.js';

function claimsOf(jwt: string): { jti: string; exp: number; iat: number; client_id: string } {
  return JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString());
}

test('RFC 7009 §2.1: an app revokes its own JWT (by jti) and opaque token; the feed lists the jti; an oauth4webapi client can call it', async () => {
  const server = await startTestServer();
  try {
    const { keymint } = server.server;
    const jwtApp = await server.createApp();
    const opaqueApp = await server.createApp({ tokenFormat: 'opaque' });
    const observer = await server.createApp({ scopes: [] });

    const jwt = await fetchToken(server.issuer, jwtApp.clientId, jwtApp.clientSecret);
    const as = await oauth.processDiscoveryResponse(new URL(server.issuer), await oauth.discoveryRequest(new URL(server.issuer), { [oauth.allowInsecureRequests]: true, algorithm: 'oauth2' }));
    const response = await oauth.revocationRequest(as, { client_id: jwtApp.clientId }, oauth.ClientSecretBasic(jwtApp.clientSecret), jwt, { [oauth.allowInsecureRequests]: true });
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('cache-control'), 'no-store');
    await oauth.processRevocationResponse(response);
    assert.deepEqual((await introspect(server.issuer, observer.clientId, observer.clientSecret, jwt)).body, { active: false });

    const feed = await fetch(`${server.issuer}/oauth/revocations`);
    const { revocations } = (await feed.json()) as { revocations: unknown[] };
    assert.deepEqual(revocations, [{ jti: claimsOf(jwt).jti, exp: claimsOf(jwt).exp }]);

    const opaque = await fetchToken(server.issuer, opaqueApp.clientId, opaqueApp.clientSecret);
    assert.equal((await keymint.principals.resolveBearer(opaque)).kind, 'opaque');
    assert.equal((await revoke(server.issuer, opaqueApp.clientId, opaqueApp.clientSecret, opaque)).status, 200);
    assert.deepEqual((await introspect(server.issuer, observer.clientId, observer.clientSecret, opaque)).body, { active: false });
    await assert.rejects(keymint.principals.resolveBearer(opaque), InvalidToken);
  } finally {
    await server.close();
  }
});

test('RFC 7009 §2.2: another app\'s token is not revoked; unknown and garbage tokens still get 200; a missing token is 400', async () => {
  const server = await startTestServer();
  try {
    const owner = await server.createApp();
    const opaqueOwner = await server.createApp({ tokenFormat: 'opaque' });
    const intruder = await server.createApp();
    const jwt = await fetchToken(server.issuer, owner.clientId, owner.clientSecret);
    const opaque = await fetchToken(server.issuer, opaqueOwner.clientId, opaqueOwner.clientSecret);

    for (const token of [jwt, opaque]) {
      const answer = await revoke(server.issuer, intruder.clientId, intruder.clientSecret, token);
      assert.equal(answer.status, 200, 'the answer does not tell the intruder anything');
      assert.equal((await introspect(server.issuer, owner.clientId, owner.clientSecret, token)).body.active, true, 'still active');
    }
    for (const token of ['garbage', `kma_${'0'.repeat(38)}`, 'a.b.c']) {
      assert.equal((await revoke(server.issuer, owner.clientId, owner.clientSecret, token)).status, 200);
    }
    const url = `${server.issuer}/oauth/revoke`;
    const missing = await postForm(url, {}, { authorization: basic(owner.clientId, owner.clientSecret) });
    assert.equal(missing.status, 400);
    assert.equal(missing.body.error, 'invalid_request');
    const twice = await postForm(url, `token=${jwt}&token=${jwt}`, { authorization: basic(owner.clientId, owner.clientSecret) });
    assert.equal(twice.status, 400);
    const unauthenticated = await postForm(url, { token: jwt });
    assert.equal(unauthenticated.status, 400);
    const wrong = await postForm(url, { token: jwt }, { authorization: basic(owner.clientId, 'kms_nope') });
    assert.equal(wrong.status, 401);
    assert.equal(wrong.body.error, 'invalid_client');
    assert.equal((await introspect(server.issuer, owner.clientId, owner.clientSecret, jwt)).body.active, true);
  } finally {
    await server.close();
  }
});

test('disabling an app: its JWTs introspect inactive and the feed lists the client; its opaque tokens and token requests stop', async () => {
  const server = await startTestServer();
  try {
    const { keymint } = server.server;
    const tenant = await keymint.tenants.get('default');
    const jwtApp = await server.createApp();
    const opaqueApp = await server.createApp({ tokenFormat: 'opaque' });
    const observer = await server.createApp({ scopes: [] });
    const jwt = await fetchToken(server.issuer, jwtApp.clientId, jwtApp.clientSecret);
    const opaque = await fetchToken(server.issuer, opaqueApp.clientId, opaqueApp.clientSecret);

    await keymint.apps.disable(tenant.id, jwtApp.clientId, { actor: 'admin', actorId: 'ops@example.com' });
    await keymint.apps.disable(tenant.id, opaqueApp.clientId, { actor: 'cli' });

    assert.deepEqual((await introspect(server.issuer, observer.clientId, observer.clientSecret, jwt)).body, { active: false });
    assert.deepEqual((await introspect(server.issuer, observer.clientId, observer.clientSecret, opaque)).body, { active: false });
    await assert.rejects(keymint.principals.resolveBearer(opaque), InvalidToken);
    assert.equal(await keymint.opaqueTokens.count(tenant.id), 0, 'the disabled app\'s opaque rows are gone');

    const feed = (await (await fetch(`${server.issuer}/oauth/revocations`)).json()) as { revocations: { client_id?: string; issued_before?: number }[] };
    const entry = feed.revocations.find((r) => r.client_id === jwtApp.clientId);
    assert.ok(entry, 'the feed lists the disabled client');
    // The SDK's rule: revoked when iat < issued_before.
    assert.ok(claimsOf(jwt).iat < entry.issued_before!);

    const refused = await postForm(`${server.issuer}/oauth/token`, { grant_type: 'client_credentials' }, { authorization: basic(jwtApp.clientId, jwtApp.clientSecret) });
    assert.equal(refused.status, 401);
    assert.equal(refused.body.error, 'invalid_client');

    const audit = await keymint.audit.list(tenant.id);
    assert.ok(audit.some((e) => e.action === 'app.disabled' && e.actor === 'admin' && e.actorId === 'ops@example.com' && e.target === jwtApp.clientId));
  } finally {
    await server.close();
  }
});

test('revocation feed: cursor returns only newer entries, ETag gives 304, entries past the exp they revoke are dropped', async () => {
  const clock = new TestClock();
  const server = await startTestServer({ clock });
  try {
    const { keymint } = server.server;
    const app = await server.createApp({ tokenLifetime: 60 });
    const feedUrl = `${server.issuer}/oauth/revocations`;

    const empty = await fetch(feedUrl);
    assert.equal(empty.status, 200);
    const emptyBody = (await empty.json()) as { revocations: unknown[]; cursor: string };
    assert.deepEqual(emptyBody.revocations, []);

    const first = await fetchToken(server.issuer, app.clientId, app.clientSecret);
    await revoke(server.issuer, app.clientId, app.clientSecret, first);
    const afterFirst = await fetch(feedUrl);
    const etag = afterFirst.headers.get('etag')!;
    const { cursor } = (await afterFirst.json()) as { cursor: string };
    assert.ok(etag);
    assert.equal((await fetch(feedUrl, { headers: { 'if-none-match': etag } })).status, 304);

    const second = await fetchToken(server.issuer, app.clientId, app.clientSecret);
    await revoke(server.issuer, app.clientId, app.clientSecret, second);
    const newer = (await (await fetch(`${feedUrl}?since=${cursor}`)).json()) as { revocations: { jti: string }[]; cursor: string };
    assert.deepEqual(newer.revocations.map((r) => r.jti), [claimsOf(second).jti], 'only what came after the cursor');
    const all = (await (await fetch(feedUrl)).json()) as { revocations: { jti: string }[] };
    assert.equal(all.revocations.length, 2);
    assert.deepEqual((await (await fetch(`${feedUrl}?since=${newer.cursor}`)).json() as { revocations: unknown[] }).revocations, []);

    const bad = await fetch(`${feedUrl}?since=abc`);
    assert.equal(bad.status, 400);

    clock.advance(61_000);
    assert.deepEqual(((await (await fetch(feedUrl)).json()) as { revocations: unknown[] }).revocations, [], 'expired tokens need no revocation');
    assert.equal((await keymint.purgeExpired()).revocations, 2, 'and the purge deletes them');
  } finally {
    await server.close();
  }
});

test('revoking every token of an app (CLI app revoke-tokens) without disabling it: old JWTs and opaque tokens stop on the running server, new ones work', { timeout: 60_000 }, async () => {
  const server = await startTestServer();
  try {
    const { keymint } = server.server;
    const jwtApp = await server.createApp();
    const opaqueApp = await server.createApp({ tokenFormat: 'opaque' });
    const observer = await server.createApp({ scopes: [] });
    const jwt = await fetchToken(server.issuer, jwtApp.clientId, jwtApp.clientSecret);
    const opaque = await fetchToken(server.issuer, opaqueApp.clientId, opaqueApp.clientSecret);
    assert.equal((await keymint.principals.resolveBearer(opaque)).kind, 'opaque', 'cached on the server');

    for (const app of [jwtApp, opaqueApp]) assert.deepEqual(await keymintCli(server, 'app', 'revoke-tokens', app.clientId), { client_id: app.clientId, revoked: true });
    await new Promise((resolve) => setTimeout(resolve, 150));

    assert.deepEqual((await introspect(server.issuer, observer.clientId, observer.clientSecret, jwt)).body, { active: false });
    await assert.rejects(keymint.principals.resolveBearer(opaque), InvalidToken, 'the server\'s cache was cleared by the CLI\'s change');
    const feed = (await (await fetch(`${server.issuer}/oauth/revocations`)).json()) as { revocations: { client_id?: string }[] };
    assert.ok(feed.revocations.some((r) => r.client_id === jwtApp.clientId));

    // The app stays enabled: a token fetched after the revocation's second is active.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const fresh = await fetchToken(server.issuer, jwtApp.clientId, jwtApp.clientSecret);
    assert.equal((await introspect(server.issuer, observer.clientId, observer.clientSecret, fresh)).body.active, true);
    const freshOpaque = await fetchToken(server.issuer, opaqueApp.clientId, opaqueApp.clientSecret);
    assert.equal((await keymint.principals.resolveBearer(freshOpaque)).clientId, opaqueApp.clientId);
  } finally {
    await server.close();
  }
});
