import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createAuthTokenVerifier, InvalidTokenError, TokenExpiredError } from '@keymint/sdk/node';
import { decodeProtectedHeader } from 'jose';
import { startTestServer, TestClock, type TestServer } from '../testing/harness.js';
import { waitFor } from '../testing/wait.js';
import { CSRF_HEADER } from './browser-guard.js';
import { call, type Json } from '../testing/end-users.js';


function claimsOf(jwt: string): Json {
  return JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString());
}

async function appIdOf(server: TestServer, slug = 'default'): Promise<string> {
  return (await server.server.keymint.tenants.get(slug)).appId;
}

test('sign-up and sign-in: ES256 access token (typ JWT, sid, sub DID, aud app id), identity token with email, kmr_ refresh token; verifyAuthToken accepts it', async () => {
  const server = await startTestServer();
  try {
    const signup = await call(`${server.issuer}/auth/signup`, { email: 'Ada@Example.com', password: 'correct horse battery' });
    assert.equal(signup.status, 201);
    assert.equal(signup.headers.get('cache-control'), 'no-store');
    const { access_token, identity_token, refresh_token, token_type, expires_in, user } = signup.body;
    assert.equal(token_type, 'Bearer');
    assert.equal(expires_in, 3600, 'default access-token lifetime: 1 h');
    assert.match(refresh_token, /^kmr_[0-9A-Za-z]{38}$/);
    assert.deepEqual(Object.keys(user).sort(), ['email', 'email_verified', 'id']);
    assert.equal(user.email_verified, false, 'a password sign-up proves nothing about the email');
    const header = decodeProtectedHeader(access_token);
    assert.equal(header.typ, 'JWT');
    assert.equal(header.alg, 'ES256');
    const claims = claimsOf(access_token);
    const appId = await appIdOf(server);
    assert.deepEqual(Object.keys(claims).sort(), ['aud', 'email_verified', 'exp', 'iat', 'iss', 'sid', 'sub']);
    assert.equal(claims.email_verified, false);
    assert.equal(claims.sub, `did:keymint:${user.id}`);
    assert.equal(claims.aud, appId);
    assert.equal(claims.iss, server.issuer);
    assert.equal(claims.exp - claims.iat, 3600);
    assert.equal(claimsOf(identity_token).email, 'Ada@Example.com');
    assert.equal(claimsOf(identity_token).email_verified, false, 'OpenID Connect Core §5.1');
    assert.equal(decodeProtectedHeader(identity_token).typ, 'id+jwt');

    const auth = createAuthTokenVerifier({ issuer: server.issuer, appId });
    try {
      const info = await auth.verifyAuthToken(access_token);
      assert.deepEqual(info, { userId: user.id, sessionId: claims.sid, appId, issuedAt: claims.iat, expiration: claims.exp, emailVerified: false });
      assert.deepEqual(await auth.tokenFromRequest({ headers: { authorization: `Bearer ${access_token}` } }), info);
      // An identity token is not an access token (RFC 8725 §3.11 explicit typing).
      await assert.rejects(auth.verifyAuthToken(identity_token), (e: InvalidTokenError) => e.code === 'ERR_TOKEN_TYPE');
    } finally {
      auth.close();
    }

    const signin = await call(`${server.issuer}/auth/signin`, { email: 'ada@example.com', password: 'correct horse battery' });
    assert.equal(signin.status, 200);
    assert.equal(signin.body.user.id, user.id, 'emails match case-insensitively');
    assert.notEqual(claimsOf(signin.body.access_token).sid, claims.sid, 'each sign-in is a new session');

    const session = await fetch(`${server.issuer}/auth/session`, { headers: { authorization: `Bearer ${signin.body.access_token}` } });
    assert.equal(session.status, 200);
    const sessionBody = (await session.json()) as Json;
    assert.deepEqual(sessionBody.user, { id: user.id, email: 'Ada@Example.com', email_verified: false });
    assert.equal(sessionBody.session.id, claimsOf(signin.body.access_token).sid);
  } finally {
    await server.close();
  }
});

test('RFC 6749 §5.2 shape: wrong password and unknown email → 400 invalid_grant alike; malformed bodies → 400 invalid_request; a taken email → 409', async () => {
  const server = await startTestServer();
  try {
    await call(`${server.issuer}/auth/signup`, { email: 'bob@example.com', password: 'hunter2hunter2' });
    for (const body of [{ email: 'bob@example.com', password: 'wrong-password' }, { email: 'nobody@example.com', password: 'hunter2hunter2' }]) {
      const answer = await call(`${server.issuer}/auth/signin`, body);
      assert.equal(answer.status, 400);
      assert.deepEqual(answer.body, { error: 'invalid_grant', error_description: 'wrong email or password' });
    }
    for (const body of [{}, { email: 'bob@example.com' }, { email: 3, password: 'x' }, { email: 'not-an-email', password: 'hunter2hunter2' }, { email: 'a@b.c', password: 'p', extra: 1 }]) {
      const answer = await call(`${server.issuer}/auth/signin`, body);
      assert.equal(answer.status, 400, JSON.stringify(body));
      assert.equal(answer.body.error, 'invalid_request');
    }
    const form = await fetch(`${server.issuer}/auth/signin`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'email=bob%40example.com&password=hunter2hunter2' });
    assert.equal(form.status, 400, 'JSON bodies only');
    assert.equal(((await form.json()) as Json).error, 'invalid_request');
    const broken = await fetch(`${server.issuer}/auth/signin`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"email":' });
    assert.equal(broken.status, 400);
    assert.equal(((await broken.json()) as Json).error, 'invalid_request');
    assert.equal((await call(`${server.issuer}/auth/signup`, { email: 'bob@example.com', password: 'short' })).body.error, 'invalid_request', 'passwords have at least 8 characters');
    assert.equal((await call(`${server.issuer}/auth/signup`, { email: 'BOB@example.com', password: 'another-password' })).status, 409);
    assert.equal((await call(`${server.issuer}/auth/refresh`, {})).body.error, 'invalid_request');
    assert.equal((await call(`${server.issuer}/auth/refresh`, { refresh_token: 'kmr_garbage' })).body.error, 'invalid_grant');
  } finally {
    await server.close();
  }
});

test('password hashes are scrypt with a per-user salt; neither the password nor a token is stored in plaintext', async () => {
  const server = await startTestServer();
  try {
    const password = 'same password for both';
    const a = await call(`${server.issuer}/auth/signup`, { email: 'a@example.com', password });
    await call(`${server.issuer}/auth/signup`, { email: 'b@example.com', password });
    const rows = await server.server.keymint.db.selectFrom('end_users').select('password_hash').execute();
    assert.equal(rows.length, 2);
    for (const { password_hash } of rows) {
      assert.match(password_hash!, /^scrypt\$32768\$8\$1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
      assert.ok(!password_hash!.includes(password));
    }
    assert.notEqual(rows[0]!.password_hash!.split('$')[4], rows[1]!.password_hash!.split('$')[4], 'salts differ');
    assert.notEqual(rows[0]!.password_hash, rows[1]!.password_hash);
    const sessions = await server.server.keymint.db.selectFrom('user_sessions').select(['refresh_handle', 'refresh_hash']).execute();
    assert.ok(sessions.every((row) => !row.refresh_hash!.startsWith('kmr_') && !a.body.refresh_token.includes(row.refresh_hash!)), 'only a hash of the live token is kept');
    assert.ok(sessions.some((row) => a.body.refresh_token.startsWith(`kmr_${row.refresh_handle}`)), 'the token names its session by its handle');
    assert.ok(!server.logs().includes(password), 'passwords never reach the log');
    assert.ok(!server.logs().includes(a.body.refresh_token));
  } finally {
    await server.close();
  }
});

test('RFC 9700 §4.14.2: refresh tokens rotate; reusing a spent one after the reuse grace revokes the whole session, newest refresh token and access tokens included', async () => {
  const clock = new TestClock();
  const server = await startTestServer({ clock });
  const appId = await appIdOf(server);
  const auth = createAuthTokenVerifier({ issuer: server.issuer, appId, revocationPollMs: 50 });
  try {
    const first = (await call(`${server.issuer}/auth/signup`, { email: 'carol@example.com', password: 'carol-password' })).body;
    const second = await call(`${server.issuer}/auth/refresh`, { refresh_token: first.refresh_token });
    assert.equal(second.status, 200);
    assert.notEqual(second.body.refresh_token, first.refresh_token);
    assert.equal(claimsOf(second.body.access_token).sid, claimsOf(first.access_token).sid, 'same session');
    await auth.verifyAuthToken(second.body.access_token);

    clock.advance(10_001); // past the default 10 s grace (refresh-grace.test.ts covers inside it)
    const reuse = await call(`${server.issuer}/auth/refresh`, { refresh_token: first.refresh_token });
    assert.equal(reuse.status, 400);
    assert.equal(reuse.body.error, 'invalid_grant');
    const newest = await call(`${server.issuer}/auth/refresh`, { refresh_token: second.body.refresh_token });
    assert.equal(newest.status, 400, 'the newest refresh token dies with the session');
    assert.equal(newest.body.error, 'invalid_grant');

    const feed = (await (await fetch(`${server.issuer}/oauth/revocations`)).json()) as Json;
    assert.deepEqual(feed.revocations, [{ sid: claimsOf(first.access_token).sid, exp: claimsOf(second.body.access_token).exp }]);
    await waitFor(async () => {
      await assert.rejects(auth.verifyAuthToken(second.body.access_token), (e: InvalidTokenError) => e.code === 'ERR_TOKEN_REVOKED');
    });
    const session = await fetch(`${server.issuer}/auth/session`, { headers: { authorization: `Bearer ${second.body.access_token}` } });
    assert.equal(session.status, 401);
    assert.match(session.headers.get('www-authenticate') ?? '', /error="invalid_token"/);
    const audit = await server.server.keymint.audit.list((await server.server.keymint.tenants.get('default')).id);
    assert.ok(audit.some((e) => e.action === 'user.refresh_token_reused'));
  } finally {
    auth.close();
    await server.close();
  }
});

test('consuming a refresh token is atomic: with the reuse grace off (0), of concurrent uses of one token exactly one succeeds', async () => {
  const server = await startTestServer();
  try {
    await server.server.keymint.users.updateSettings('default', { refreshReuseGrace: 0 });
    const first = (await call(`${server.issuer}/auth/signup`, { email: 'dan@example.com', password: 'dan-password' })).body;
    const answers = await Promise.all(Array.from({ length: 5 }, () => call(`${server.issuer}/auth/refresh`, { refresh_token: first.refresh_token })));
    assert.equal(answers.filter((a) => a.status === 200).length, 1);
    assert.ok(answers.filter((a) => a.status !== 200).every((a) => a.body.error === 'invalid_grant'));
  } finally {
    await server.close();
  }
});

test('sessions end: sign-out revokes (feed + session route); absolute and idle lifetimes refuse refresh; the admin service revokes every session of a user', async () => {
  const clock = new TestClock();
  // Clock jumps past KEYMINT_OUTAGE_GRACE look like a lost database until the next change poll (503 on a slow PostgreSQL).
  const server = await startTestServer({ clock, env: { KEYMINT_OUTAGE_GRACE: '86400' } });
  try {
    const { keymint } = server.server;
    await keymint.users.updateSettings('default', { sessionIdleTimeout: 600, sessionAbsoluteLifetime: 3600 });
    const a = (await call(`${server.issuer}/auth/signup`, { email: 'erin@example.com', password: 'erin-password' })).body;
    const out = await call(`${server.issuer}/auth/signout`, undefined, { authorization: `Bearer ${a.access_token}` });
    assert.equal(out.status, 204);
    assert.equal((await call(`${server.issuer}/auth/refresh`, { refresh_token: a.refresh_token })).body.error, 'invalid_grant');
    const feed = (await (await fetch(`${server.issuer}/oauth/revocations`)).json()) as Json;
    assert.ok(feed.revocations.some((r: Json) => r.sid === claimsOf(a.access_token).sid));

    const b = (await call(`${server.issuer}/auth/signin`, { email: 'erin@example.com', password: 'erin-password' })).body;
    clock.advance(601_000);
    assert.equal((await call(`${server.issuer}/auth/refresh`, { refresh_token: b.refresh_token })).body.error_description, 'the session has expired (idle)');

    let c = (await call(`${server.issuer}/auth/signin`, { email: 'erin@example.com', password: 'erin-password' })).body;
    for (let i = 1; i <= 7; i++) {
      clock.advance(500_000);
      const next = await call(`${server.issuer}/auth/refresh`, { refresh_token: c.refresh_token });
      assert.equal(next.status, 200, `an active session lives on (${i * 500} s)`);
      c = next.body;
    }
    clock.advance(500_000);
    assert.equal((await call(`${server.issuer}/auth/refresh`, { refresh_token: c.refresh_token })).body.error_description, 'the session has expired', 'absolute lifetime');

    const d1 = (await call(`${server.issuer}/auth/signin`, { email: 'erin@example.com', password: 'erin-password' })).body;
    const d2 = (await call(`${server.issuer}/auth/signin`, { email: 'erin@example.com', password: 'erin-password' })).body;
    const tenant = await keymint.tenants.get('default');
    assert.equal(await keymint.users.revokeUserSessions(tenant.id, d1.user.id, { actor: 'admin', actorId: 'owner@example.com' }), 2);
    for (const d of [d1, d2]) assert.equal((await call(`${server.issuer}/auth/refresh`, { refresh_token: d.refresh_token })).status, 400);

    // Ended sessions go with the purge, and their refresh tokens (kept on the row) with them.
    clock.advance(3_601_000);
    assert.equal((await keymint.purgeExpired()).userSessions, 5);
    for (const d of [d1, d2]) assert.equal((await call(`${server.issuer}/auth/refresh`, { refresh_token: d.refresh_token })).body.error_description, 'the refresh token is not valid', 'the token went with its session row');
  } finally {
    await server.close();
  }
});

test('verifyAuthToken refuses a tampered, an expired (typed TokenExpiredError) and another tenant\'s token', async () => {
  const server = await startTestServer();
  try {
    const { keymint } = server.server;
    await keymint.tenants.create('other');
    const appId = await appIdOf(server);
    const mine = (await call(`${server.issuer}/auth/signup`, { email: 'fay@example.com', password: 'fay-password' })).body.access_token as string;
    const theirs = (await call(`${server.url}/t/other/auth/signup`, { email: 'fay@example.com', password: 'fay-password' })).body.access_token as string;
    const exp = claimsOf(mine).exp as number;
    const at = (seconds: number) => createAuthTokenVerifier({ issuer: server.issuer, appId, now: () => seconds * 1000, revocationPollMs: false });

    const auth = at(exp - 10);
    await auth.verifyAuthToken(mine);
    const [h, p, s] = mine.split('.') as [string, string, string];
    const flipped = `${h}.${p}.${s.slice(0, 10)}${s[10] === 'A' ? 'B' : 'A'}${s.slice(11)}`;
    await assert.rejects(auth.verifyAuthToken(flipped), (e: InvalidTokenError) => e.code === 'ERR_TOKEN_SIGNATURE');
    const forged = `${h}.${Buffer.from(JSON.stringify({ ...claimsOf(mine), sub: 'did:keymint:usr_someone_else' })).toString('base64url')}.${s}`;
    await assert.rejects(auth.verifyAuthToken(forged), InvalidTokenError);
    await assert.rejects(auth.verifyAuthToken(theirs), InvalidTokenError, "another tenant's token (other issuer, audience and keys)");
    await assert.rejects(at(exp + 6).verifyAuthToken(mine), (e: unknown) => e instanceof TokenExpiredError && e.status === 401 && e.error === 'invalid_token');
    await at(exp + 4).verifyAuthToken(mine);

    // An app access token (typ at+jwt) is not an end-user token, even with the app id as audience.
    const app = await server.createApp({ audiences: [appId] });
    const appToken = await fetch(`${server.issuer}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${app.clientId}:${app.clientSecret}`).toString('base64')}` },
      body: new URLSearchParams({ grant_type: 'client_credentials', audience: appId }),
    });
    const appJwt = ((await appToken.json()) as Json).access_token as string;
    assert.equal(claimsOf(appJwt).aud, appId);
    await assert.rejects(auth.verifyAuthToken(appJwt), (e: InvalidTokenError) => e.code === 'ERR_TOKEN_TYPE');

    // A refresh token is good only at its own tenant (and presenting it elsewhere revokes nothing).
    const other = (await call(`${server.url}/t/other/auth/signin`, { email: 'fay@example.com', password: 'fay-password' })).body;
    assert.equal((await call(`${server.issuer}/auth/refresh`, { refresh_token: other.refresh_token })).body.error, 'invalid_grant');
    assert.equal((await call(`${server.url}/t/other/auth/refresh`, { refresh_token: other.refresh_token })).status, 200);
  } finally {
    await server.close();
  }
});

test('RFC 6750 §3.1: an end-user access token (typ JWT) gets no Contacts API access → 401 invalid_token', async () => {
  const server = await startTestServer();
  try {
    const token = (await call(`${server.issuer}/auth/signup`, { email: 'gus@example.com', password: 'gus-password' })).body.access_token;
    const response = await fetch(`${server.issuer}/api/v1/contacts`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(response.status, 401);
    assert.match(response.headers.get('www-authenticate') ?? '', /error="invalid_token"/);
    assert.equal(((await response.json()) as Json).error, 'invalid_token');
  } finally {
    await server.close();
  }
});

test('failed sign-ins are limited per account and address, and per address: 429 with Retry-After, and past the budget even the right password is not checked from that address', async () => {
  const server = await startTestServer({ env: { KEYMINT_SIGNIN_FAILURES_PER_ACCOUNT_ADDRESS: '3' } });
  try {
    await call(`${server.issuer}/auth/signup`, { email: 'hal@example.com', password: 'hal-password' });
    await call(`${server.issuer}/auth/signup`, { email: 'ivy@example.com', password: 'ivy-password' });
    for (let i = 0; i < 3; i++) assert.equal((await call(`${server.issuer}/auth/signin`, { email: 'hal@example.com', password: 'guess' })).status, 400);
    const limited = await call(`${server.issuer}/auth/signin`, { email: 'hal@example.com', password: 'hal-password' });
    assert.equal(limited.status, 429);
    assert.ok(Number(limited.headers.get('retry-after')) >= 1);
    assert.equal(limited.body.error, 'too_many_requests');
    assert.equal((await call(`${server.issuer}/auth/signin`, { email: 'ivy@example.com', password: 'ivy-password' })).status, 200, 'other accounts are unaffected');
  } finally {
    await server.close();
  }
  const perIp = await startTestServer({ env: { KEYMINT_SIGNIN_FAILURES_PER_ADDRESS: '3' } });
  try {
    for (let i = 0; i < 3; i++) await call(`${perIp.issuer}/auth/signin`, { email: `u${i}@example.com`, password: 'guess-guess' });
    assert.equal((await call(`${perIp.issuer}/auth/signin`, { email: 'u9@example.com', password: 'guess-guess' })).status, 429);
  } finally {
    await perIp.close();
  }
});

test('cookie mode: HttpOnly, SameSite=Lax cookies; __Host- access cookie and Secure on https; refresh cookie Path is the /auth routes (refresh and sign-out), the old /auth/refresh one deleted; no tokens in the body', async () => {
  for (const publicUrl of [null, 'https://auth.example.test']) {
    const server = await startTestServer(publicUrl ? { env: { KEYMINT_PUBLIC_URL: publicUrl } } : {});
    try {
      const base = `http://127.0.0.1:${(server.server.app.server.address() as { port: number }).port}`;
      await server.server.keymint.users.updateSettings('default', { tokenMode: 'cookie', allowedOrigins: ['http://127.0.0.1:1'] });
      const answer = await call(`${base}/t/default/auth/signup`, { email: 'jo@example.com', password: 'jo-password' }, { [CSRF_HEADER]: '1' });
      assert.equal(answer.status, 201);
      assert.equal(answer.body.access_token, undefined);
      assert.equal(answer.body.refresh_token, undefined);
      const cookies = answer.headers.getSetCookie();
      assert.equal(cookies.length, 3);
      const secure = publicUrl !== null;
      const access = cookies.find((c) => c.startsWith(secure ? '__Host-keymint_access=' : 'keymint_access='));
      const refresh = cookies.find((c) => c.startsWith(secure ? '__Secure-keymint_refresh=kmr_' : 'keymint_refresh=kmr_'));
      const legacy = cookies.find((c) => c.startsWith(secure ? '__Secure-keymint_refresh=;' : 'keymint_refresh=;'));
      assert.match(legacy ?? '', /; Max-Age=0.*; Path=\/t\/default\/auth\/refresh(;|$)/, 'a refresh cookie left under the old Path is deleted');
      assert.ok(access && refresh, cookies.join('\n'));
      for (const c of [access, refresh]) {
        assert.match(c, /; HttpOnly/);
        assert.match(c, /; SameSite=Lax/);
        assert.equal(/; Secure/.test(c), secure);
        assert.doesNotMatch(c, /; Domain=/);
      }
      assert.match(access, /; Path=\/(;|$)/);
      assert.match(access, /; Max-Age=3600/);
      assert.match(refresh, /; Path=\/t\/default\/auth(;|$)/);

      // The cookies work: session from the access cookie, refresh from the refresh cookie.
      const jar = (c: string) => c.split(';')[0]!;
      const session = await fetch(`${base}/t/default/auth/session`, { headers: { cookie: jar(access) } });
      assert.equal(session.status, 200);
      const refreshed = await call(`${base}/t/default/auth/refresh`, {}, { cookie: jar(refresh), [CSRF_HEADER]: '1' });
      assert.equal(refreshed.status, 200);
      assert.equal(refreshed.headers.getSetCookie().length, 3);
    } finally {
      await server.close();
    }
  }
});

test('cookie mode CSRF defence: no X-Keymint-CSRF header, a foreign Origin, or Sec-Fetch-Site cross-site → 403; an allowed origin gets CORS with credentials', async () => {
  const server = await startTestServer();
  try {
    const allowed = 'http://127.0.0.1:4000';
    await server.server.keymint.users.updateSettings('default', { tokenMode: 'cookie', allowedOrigins: [allowed] });
    const signup = await call(`${server.issuer}/auth/signup`, { email: 'kim@example.com', password: 'kim-password' }, { [CSRF_HEADER]: '1', origin: allowed });
    assert.equal(signup.status, 201);
    assert.equal(signup.headers.get('access-control-allow-origin'), allowed);
    assert.equal(signup.headers.get('access-control-allow-credentials'), 'true');
    const access = signup.headers.getSetCookie().find((c) => c.startsWith('keymint_access='))!.split(';')[0]!;

    const refusals: Record<string, string>[] = [
      { cookie: access },
      { cookie: access, [CSRF_HEADER]: '1', origin: 'http://127.0.0.1:5000' },
      { cookie: access, [CSRF_HEADER]: '1', 'sec-fetch-site': 'cross-site' },
      { cookie: access, origin: allowed },
    ];
    for (const headers of refusals) {
      const answer = await call(`${server.issuer}/auth/signout`, undefined, headers);
      assert.equal(answer.status, 403, JSON.stringify(headers));
      assert.equal(answer.body.error, 'forbidden');
    }
    assert.equal((await fetch(`${server.issuer}/auth/session`, { headers: { cookie: access } })).status, 200, 'the session survived');

    const preflight = await fetch(`${server.issuer}/auth/signin`, { method: 'OPTIONS', headers: { origin: allowed, 'access-control-request-method': 'POST', 'access-control-request-headers': `content-type, ${CSRF_HEADER}` } });
    assert.equal(preflight.status, 204);
    assert.match(preflight.headers.get('access-control-allow-headers') ?? '', new RegExp(CSRF_HEADER));
    const foreign = await fetch(`${server.issuer}/auth/signin`, { method: 'OPTIONS', headers: { origin: 'http://127.0.0.1:5000', 'access-control-request-method': 'POST' } });
    assert.equal(foreign.headers.get('access-control-allow-origin'), null);

    const out = await call(`${server.issuer}/auth/signout`, undefined, { cookie: access, [CSRF_HEADER]: '1', origin: allowed });
    assert.equal(out.status, 204);
    assert.ok(out.headers.getSetCookie().every((c) => /Max-Age=0/.test(c)), 'sign-out clears both cookies');
  } finally {
    await server.close();
  }
});

test('bearer mode CORS: an allowed origin is named (without credentials), any other origin gets no CORS headers', async () => {
  const server = await startTestServer();
  try {
    await server.server.keymint.users.updateSettings('default', { allowedOrigins: ['http://127.0.0.1:4000'] });
    const allowed = await call(`${server.issuer}/auth/signup`, { email: 'lou@example.com', password: 'lou-password' }, { origin: 'http://127.0.0.1:4000' });
    assert.equal(allowed.status, 201);
    assert.equal(allowed.headers.get('access-control-allow-origin'), 'http://127.0.0.1:4000');
    assert.equal(allowed.headers.get('access-control-allow-credentials'), null);
    assert.match(allowed.headers.get('vary') ?? '', /Origin/);
    const other = await call(`${server.issuer}/auth/signin`, { email: 'lou@example.com', password: 'lou-password' }, { origin: 'https://evil.example' });
    assert.equal(other.headers.get('access-control-allow-origin'), null);
    assert.equal(other.headers.get('access-control-allow-credentials'), null);
  } finally {
    await server.close();
  }
});

test('tenant end-user settings are validated', async () => {
  const server = await startTestServer();
  try {
    const { users } = server.server.keymint;
    await assert.rejects(users.updateSettings('default', { accessTokenLifetime: 0 }), /accessTokenLifetime/);
    await assert.rejects(users.updateSettings('default', { tokenMode: 'session' as never }), /tokenMode/);
    await assert.rejects(users.updateSettings('default', { allowedOrigins: ['https://app.example.com/path'] }), /origin/);
    const settings = await users.updateSettings('default', { allowedOrigins: ['https://app.example.com/'], accessTokenLifetime: 300 });
    assert.deepEqual(settings.allowedOrigins, ['https://app.example.com']);
    assert.equal(users.settings(await server.server.keymint.tenants.get('default')).accessTokenLifetime, 300);
  } finally {
    await server.close();
  }
});

