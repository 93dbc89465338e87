import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startTestServer } from '../testing/harness.js';
import { loggedCode, postJson as post } from '../testing/end-users.js';

type Json = Record<string, any>;

const sid = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString()).sid as string;

test('change password (signed in): the current password is required; the new one works, the old one not; the account\'s other sessions end, this one stays', async () => {
  const server = await startTestServer();
  try {
    const first = await post(`${server.issuer}/auth/signup`, { email: 'fay@example.com', password: 'old-password' });
    const other = await post(`${server.issuer}/auth/signin`, { email: 'fay@example.com', password: 'old-password' });
    const change = (body: Json, bearer = first.body.access_token) => post(`${server.issuer}/auth/password/change`, body, bearer);

    assert.equal((await change({ current_password: 'old-password', new_password: 'new-password' }, '')).status, 401, 'signed in only');
    const wrong = await change({ current_password: 'not-the-password', new_password: 'new-password' });
    assert.equal(wrong.status, 400);
    assert.equal(wrong.body.error, 'invalid_grant');
    const short = await change({ current_password: 'old-password', new_password: 'short' });
    assert.equal(short.status, 400);
    assert.equal(short.body.error, 'invalid_request');
    assert.equal((await change({ current_password: 'old-password', new_password: 'new-password' })).status, 204);

    assert.equal((await post(`${server.issuer}/auth/signin`, { email: 'fay@example.com', password: 'old-password' })).body.error, 'invalid_grant');
    assert.equal((await post(`${server.issuer}/auth/signin`, { email: 'fay@example.com', password: 'new-password' })).status, 200);
    assert.equal((await post(`${server.issuer}/auth/refresh`, { refresh_token: other.body.refresh_token })).body.error, 'invalid_grant', 'the other session ended');
    assert.equal((await post(`${server.issuer}/auth/refresh`, { refresh_token: first.body.refresh_token })).status, 200, 'the session that changed it stays');
    const { db, audit } = server.server.keymint;
    const revoked = await db.selectFrom('user_sessions').select(['id', 'revoked_at']).where('user_id', '=', first.body.user.id).execute();
    assert.deepEqual(revoked.filter((s) => s.revoked_at !== null).map((s) => s.id), [sid(other.body.access_token)]);
    await audit.flush();
    assert.ok((await audit.list((await server.server.keymint.tenants.get('default')).id)).some((e) => e.action === 'user.password_changed'));

    // The current password is budgeted like a sign-in: a stolen access token is no password oracle.
    let limited = 0;
    for (let i = 0; i < 25 && limited === 0; i++) {
      const guess = await change({ current_password: `guess-${i}-password`, new_password: 'newer-password' });
      if (guess.status === 429) limited = i;
    }
    assert.ok(limited > 0 && limited <= 20, `429 after at most the sign-in budget of wrong guesses (at ${limited})`);

    // A code-only account has no current password: it sets one by reset.
    await post(`${server.issuer}/auth/otp/start`, { email: 'gus@example.com' });
    const gus = await post(`${server.issuer}/auth/otp/verify`, { email: 'gus@example.com', code: loggedCode(server, 'gus@example.com') });
    const none = await change({ current_password: 'anything-at-all', new_password: 'new-password' }, gus.body.access_token);
    assert.equal(none.body.error, 'invalid_grant');
    assert.match(none.body.error_description, /no password yet/);
  } finally {
    await server.close();
  }
});

test('reset password by mailed code: 8 concurrent resets with one code → exactly one succeeds, its password is the one set, every earlier session ends', async () => {
  const server = await startTestServer();
  try {
    const before = await post(`${server.issuer}/auth/signup`, { email: 'hal@example.com', password: 'forgotten-password' });
    assert.equal((await post(`${server.issuer}/auth/otp/start`, { email: 'hal@example.com' })).status, 204);
    const code = loggedCode(server, 'hal@example.com');
    const attempts = Array.from({ length: 8 }, (_, i) => `reset-password-${i}`);
    const results = await Promise.all(attempts.map((password) => post(`${server.issuer}/auth/password/reset`, { email: 'hal@example.com', code, new_password: password })));
    const winners = results.flatMap((result, i) => (result.status === 200 ? [i] : []));
    assert.equal(winners.length, 1, `exactly one reset succeeds: ${results.map((r) => r.status).join(',')}`);
    for (const result of results) if (result.status !== 200) assert.equal(result.body.error, 'invalid_grant');
    const winner = results[winners[0]!]!;
    assert.equal(winner.body.user.email_verified, true, 'a reset proves the email');

    // What really happened: one password works (the winner's), one new session exists, the old one ended.
    const works = [];
    for (const [i, password] of attempts.entries()) {
      if ((await post(`${server.issuer}/auth/signin`, { email: 'hal@example.com', password })).status === 200) works.push(i);
    }
    assert.deepEqual(works, winners);
    assert.equal((await post(`${server.issuer}/auth/signin`, { email: 'hal@example.com', password: 'forgotten-password' })).body.error, 'invalid_grant');
    assert.equal((await post(`${server.issuer}/auth/refresh`, { refresh_token: before.body.refresh_token })).body.error, 'invalid_grant');
    const { db } = server.server.keymint;
    const sessions = await db.selectFrom('user_sessions').select(['id', 'revoked_at']).where('user_id', '=', winner.body.user.id).execute();
    assert.equal(sessions.length, 2 + 1, 'sign-up, the reset, and the one sign-in that worked: no session from a losing reset');

    // Bad input is a 400 before any code is spent.
    await post(`${server.issuer}/auth/otp/start`, { email: 'hal@example.com' });
    const next = loggedCode(server, 'hal@example.com');
    assert.equal((await post(`${server.issuer}/auth/password/reset`, { email: 'hal@example.com', code: next, new_password: 'short' })).body.error, 'invalid_request');
    assert.equal((await post(`${server.issuer}/auth/password/reset`, { email: 'hal@example.com', code: next, new_password: 'long-enough-now' })).status, 200, 'the code was not spent by the refused request');
  } finally {
    await server.close();
  }
});

test('cookie mode: password change and email verification take the access cookie and are CSRF-checked like every state-changing /auth route', async () => {
  const server = await startTestServer();
  try {
    await server.server.keymint.users.updateSettings('default', { tokenMode: 'cookie' });
    const signup = await fetch(`${server.issuer}/auth/signup`, {
      method: 'POST', headers: { 'content-type': 'application/json', 'x-keymint-csrf': '1' }, body: JSON.stringify({ email: 'ivy@example.com', password: 'ivy-password' }),
    });
    assert.equal(signup.status, 201);
    const access = signup.headers.getSetCookie().find((c) => c.startsWith('keymint_access='))!.split(';')[0]!;
    const send = (path: string, body: unknown, csrf: boolean) => fetch(`${server.issuer}${path}`, {
      method: 'POST', headers: { 'content-type': 'application/json', cookie: access, ...(csrf ? { 'x-keymint-csrf': '1' } : {}) }, body: JSON.stringify(body),
    });
    assert.equal((await send('/auth/password/change', { current_password: 'ivy-password', new_password: 'ivy-new-password' }, false)).status, 403, 'no CSRF header');
    assert.equal((await send('/auth/email/verify', { code: loggedCode(server, 'ivy@example.com') }, false)).status, 403);
    assert.equal((await send('/auth/email/verify', { code: loggedCode(server, 'ivy@example.com') }, true)).status, 204);
    assert.equal((await send('/auth/password/change', { current_password: 'ivy-password', new_password: 'ivy-new-password' }, true)).status, 204);
    const signin = await fetch(`${server.issuer}/auth/signin`, {
      method: 'POST', headers: { 'content-type': 'application/json', 'x-keymint-csrf': '1' }, body: JSON.stringify({ email: 'ivy@example.com', password: 'ivy-new-password' }),
    });
    assert.equal(signin.status, 200, 'the new password signs in');
    assert.equal(((await signin.json()) as Json).user.email_verified, true);
  } finally {
    await server.close();
  }
});
