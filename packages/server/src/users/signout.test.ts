import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import SQLite from 'better-sqlite3';
import { TEST_DATABASE } from '../testing/databases.js';
import { startTestServer, TestClock, type TestServer } from '../testing/harness.js';
import { CSRF_HEADER } from './browser-guard.js';
import { call, type Json } from '../testing/end-users.js';

/**
 * Sign-out always ends the session (docs/end-users.md "Signing out"): it takes the refresh token
 * (bearer: JSON body; cookie mode: the refresh cookie, whose Path now covers /auth/signout) as well
 * as a valid access token, so an expired access token no longer leaves the session alive.
 */


const claimsOf = (jwt: string): Json => JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString());

async function sessionRevoked(server: TestServer, sessionId: string): Promise<boolean> {
  const row = await server.server.keymint.db.selectFrom('user_sessions').select('revoked_at').where('id', '=', sessionId).executeTakeFirstOrThrow();
  return row.revoked_at !== null;
}

test('bearer sign-out with an expired access token and the refresh token in the body → 204, the session revoked and listed in the feed; the expired access token alone → 401, nothing ended', async () => {
  const clock = new TestClock();
  const server = await startTestServer({ clock });
  try {
    await server.server.keymint.users.updateSettings('default', { accessTokenLifetime: 60 });
    const a = (await call(`${server.issuer}/auth/signup`, { email: 'ann@example.com', password: 'ann-password' })).body;
    const sid = claimsOf(a.access_token).sid;
    clock.advance(120_000);
    const expiredOnly = await call(`${server.issuer}/auth/signout`, undefined, { authorization: `Bearer ${a.access_token}` });
    assert.equal(expiredOnly.status, 401);
    assert.equal(expiredOnly.body.error, 'invalid_token');
    assert.equal(await sessionRevoked(server, sid), false);

    const out = await call(`${server.issuer}/auth/signout`, { refresh_token: a.refresh_token }, { authorization: `Bearer ${a.access_token}` });
    assert.equal(out.status, 204);
    assert.equal(await sessionRevoked(server, sid), true);
    assert.equal((await call(`${server.issuer}/auth/refresh`, { refresh_token: a.refresh_token })).body.error, 'invalid_grant');
  } finally {
    await server.close();
  }
});

test('bearer sign-out: the refresh token alone ends the session; signing out again (also with a spent token) is 204; an unknown one → 401 invalid_token; no credentials → 401 without an error code (RFC 6750 §3.1)', async () => {
  const server = await startTestServer();
  try {
    const b = (await call(`${server.issuer}/auth/signup`, { email: 'bob@example.com', password: 'bob-password' })).body;
    const next = (await call(`${server.issuer}/auth/refresh`, { refresh_token: b.refresh_token })).body;
    const out = await call(`${server.issuer}/auth/signout`, { refresh_token: next.refresh_token });
    assert.equal(out.status, 204);
    assert.equal(await sessionRevoked(server, claimsOf(b.access_token).sid), true);
    const feed = (await (await fetch(`${server.issuer}/oauth/revocations`)).json()) as Json;
    assert.ok(feed.revocations.some((r: Json) => r.sid === claimsOf(b.access_token).sid), 'live access tokens are listed in the feed');
    assert.equal((await call(`${server.issuer}/auth/signout`, { refresh_token: b.refresh_token })).status, 204, 'a spent token still names its session');
    assert.equal((await call(`${server.issuer}/auth/signout`, undefined, { authorization: `Bearer ${next.access_token}` })).status, 204, 'the session is already over: still signed out');

    for (const junk of [`kmr_${'A'.repeat(38)}`, 'kmr_nope']) {
      const unknown = await call(`${server.issuer}/auth/signout`, { refresh_token: junk });
      assert.equal(unknown.status, 401, junk);
      assert.equal(unknown.body.error, 'invalid_token');
    }
    const none = await call(`${server.issuer}/auth/signout`, undefined);
    assert.equal(none.status, 401);
    assert.doesNotMatch(none.headers.get('www-authenticate') ?? '', /error=/);
    const extra = await call(`${server.issuer}/auth/signout`, { refresh_token: b.refresh_token, other: 1 });
    assert.equal(extra.status, 400);
  } finally {
    await server.close();
  }
});

test('cookie-mode sign-out with only the refresh cookie (the access cookie expired) → 204, the session revoked, both cookies cleared; cookies naming no session are cleared with the 401; a refused (403) request keeps them', async () => {
  const server = await startTestServer();
  try {
    await server.server.keymint.users.updateSettings('default', { tokenMode: 'cookie' });
    const headers = { [CSRF_HEADER]: '1' };
    const signup = await call(`${server.issuer}/auth/signup`, { email: 'cat@example.com', password: 'cat-password' }, headers);
    const refreshCookie = signup.headers.getSetCookie().find((c) => c.startsWith('keymint_refresh=kmr_'))!.split(';')[0]!;
    const access = signup.headers.getSetCookie().find((c) => c.startsWith('keymint_access='))!.split(';')[0]!;
    const session = await fetch(`${server.issuer}/auth/session`, { headers: { cookie: access } });
    const sid = ((await session.json()) as Json).session.id;

    const refused = await call(`${server.issuer}/auth/signout`, undefined, { cookie: refreshCookie });
    assert.equal(refused.status, 403, 'CSRF check');
    assert.deepEqual(refused.headers.getSetCookie(), [], 'cookies kept: the session is still there');

    const out = await call(`${server.issuer}/auth/signout`, undefined, { ...headers, cookie: refreshCookie });
    assert.equal(out.status, 204);
    assert.equal(await sessionRevoked(server, sid), true);
    const cleared = out.headers.getSetCookie();
    assert.ok(cleared.some((c) => c.startsWith('keymint_access=;')) && cleared.some((c) => /^keymint_refresh=;.*Path=\/t\/default\/auth(;|$)/.test(c)), cleared.join('\n'));
    assert.ok(cleared.every((c) => /Max-Age=0/.test(c)));

    const dead = await call(`${server.issuer}/auth/signout`, undefined, { ...headers, cookie: `keymint_refresh=kmr_${'A'.repeat(38)}` });
    assert.equal(dead.status, 401);
    assert.ok(dead.headers.getSetCookie().every((c) => /Max-Age=0/.test(c)) && dead.headers.getSetCookie().length > 0, 'useless cookies are dropped');
  } finally {
    await server.close();
  }
});

test('cookie mode: a refresh that fails for the server\'s sake (SQLite locked past its busy timeout → 5xx) keeps the cookies; a refused one (invalid_grant) clears them', { skip: TEST_DATABASE !== 'sqlite' && 'locks the SQLite file' }, async () => {
  const server = await startTestServer();
  try {
    await server.server.keymint.users.updateSettings('default', { tokenMode: 'cookie' });
    const headers = { [CSRF_HEADER]: '1' };
    const signup = await call(`${server.issuer}/auth/signup`, { email: 'dot@example.com', password: 'dot-password' }, headers);
    const refreshCookie = signup.headers.getSetCookie().find((c) => c.startsWith('keymint_refresh=kmr_'))!.split(';')[0]!;
    const locker = new SQLite(join(server.dataDir, 'keymint.db'));
    try {
      locker.exec('BEGIN EXCLUSIVE');
      const failed = await call(`${server.issuer}/auth/refresh`, {}, { ...headers, cookie: refreshCookie });
      assert.ok(failed.status >= 500, String(failed.status));
      assert.deepEqual(failed.headers.getSetCookie(), [], 'the cookies stay: the refresh token was not spent');
    } finally {
      locker.exec('ROLLBACK');
      locker.close();
    }
    const ok = await call(`${server.issuer}/auth/refresh`, {}, { ...headers, cookie: refreshCookie });
    assert.equal(ok.status, 200, 'the same refresh cookie still works');
    await server.server.keymint.users.updateSettings('default', { refreshReuseGrace: 0 });
    const refused = await call(`${server.issuer}/auth/refresh`, {}, { ...headers, cookie: refreshCookie });
    assert.equal(refused.status, 400);
    assert.ok(refused.headers.getSetCookie().length > 0 && refused.headers.getSetCookie().every((c) => /Max-Age=0/.test(c)));
  } finally {
    await server.close();
  }
});

test('sign-out racing a burst of refreshes of one token: the session ends and the revocation feed covers every access token any of the refreshes handed out', async () => {
  const clock = new TestClock();
  const server = await startTestServer({ clock });
  try {
    for (let round = 0; round < 3; round++) {
      const e = (await call(`${server.issuer}/auth/signup`, { email: `race${round}@example.com`, password: 'race-password' })).body;
      clock.advance(5_000); // the refreshes' access tokens expire later than the first one

      const sid = claimsOf(e.access_token).sid;
      const [out, ...refreshes] = await Promise.all([
        call(`${server.issuer}/auth/signout`, { refresh_token: e.refresh_token }),
        ...Array.from({ length: 10 }, () => call(`${server.issuer}/auth/refresh`, { refresh_token: e.refresh_token })),
      ]);
      assert.equal(out!.status, 204);
      assert.equal(await sessionRevoked(server, sid), true);
      const feed = (await (await fetch(`${server.issuer}/oauth/revocations`)).json()) as Json;
      const entry = feed.revocations.find((r: Json) => r.sid === sid);
      const handedOut = [e, ...refreshes.filter((r) => r.status === 200).map((r) => r.body)].map((t) => claimsOf(t.access_token).exp as number);
      assert.ok(entry && entry.exp >= Math.max(...handedOut), `feed exp ${entry?.exp} covers ${Math.max(...handedOut)}`);
      for (const r of refreshes.filter((x) => x.status === 200)) {
        assert.equal((await call(`${server.issuer}/auth/refresh`, { refresh_token: r.body.refresh_token })).status, 400, 'no refresh token outlives the sign-out');
      }
    }
  } finally {
    await server.close();
  }
});
