import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AdminClient, createAdmin } from '../admin/testing.js';
import { keymintCli } from '../testing/cli.js';
import { startTestServer, type TestServer } from '../testing/harness.js';
import { loggedCode, postJson as post } from '../testing/end-users.js';
import { within } from '../testing/wait.js';

type Json = Record<string, any>;

async function session(server: TestServer, accessToken: string): Promise<number> {
  return (await fetch(`${server.issuer}/auth/session`, { headers: { authorization: `Bearer ${accessToken}` } })).status;
}

function claimsOf(jwt: string): Json {
  return JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString());
}

async function auditActions(server: TestServer): Promise<string[]> {
  const { keymint } = server.server;
  await keymint.audit.flush();
  return (await keymint.audit.list((await keymint.tenants.get('default')).id)).map((entry) => entry.action);
}

test('account pre-hijacking (USENIX Security 2022): a stranger signs up carol@ with a password; Carol\'s code sign-in takes the account, the stranger\'s password and sessions die, and the audit log says so', async () => {
  const server = await startTestServer();
  try {
    const stranger = await post(`${server.issuer}/auth/signup`, { email: 'carol@example.com', password: 'stranger-password' });
    assert.equal(stranger.status, 201);
    assert.equal(stranger.body.user.email_verified, false);
    assert.equal(claimsOf(stranger.body.identity_token).email_verified, false);
    const strangerAgain = await post(`${server.issuer}/auth/signin`, { email: 'carol@example.com', password: 'stranger-password' });
    assert.equal(strangerAgain.status, 200, 'an unproven password signs in while the tenant does not require proof');

    // Carol, who owns the mailbox, signs in with a code (read from the development-mode log).
    assert.equal((await post(`${server.issuer}/auth/otp/start`, { email: 'Carol@Example.com' })).status, 204);
    const carol = await post(`${server.issuer}/auth/otp/verify`, { email: 'carol@example.com', code: loggedCode(server, 'carol@example.com') });
    assert.equal(carol.status, 200);
    assert.equal(carol.body.user.id, stranger.body.user.id, 'the account is Carol\'s now');
    assert.equal(carol.body.user.email_verified, true);
    assert.equal(claimsOf(carol.body.identity_token).email_verified, true, 'OpenID Connect Core §5.1 email_verified');
    assert.equal(claimsOf(carol.body.access_token).email_verified, true);

    const refused = await post(`${server.issuer}/auth/signin`, { email: 'carol@example.com', password: 'stranger-password' });
    assert.equal(refused.status, 400);
    assert.equal(refused.body.error, 'invalid_grant', 'the stranger\'s password is gone');
    for (const tokens of [stranger.body, strangerAgain.body]) {
      assert.equal(await session(server, tokens.access_token), 401, 'the stranger\'s access tokens are dead');
      assert.equal((await post(`${server.issuer}/auth/refresh`, { refresh_token: tokens.refresh_token })).body.error, 'invalid_grant', 'and their refresh tokens');
    }
    assert.equal(await session(server, carol.body.access_token), 200, 'Carol\'s own session lives');
    const { db } = server.server.keymint;
    const row = await db.selectFrom('end_users').selectAll().where('id', '=', carol.body.user.id).executeTakeFirstOrThrow();
    assert.equal(row.password_hash, null);
    const live = await db.selectFrom('user_sessions').select('id').where('user_id', '=', row.id).where('revoked_at', 'is', null).execute();
    assert.deepEqual(live.map((s) => s.id), [claimsOf(carol.body.access_token).sid], 'exactly Carol\'s session is left');
    assert.ok((await auditActions(server)).includes('user.unproven_password_removed'));

    // A second code sign-in into the now proven account evicts nothing.
    await post(`${server.issuer}/auth/otp/start`, { email: 'carol@example.com' });
    assert.equal((await post(`${server.issuer}/auth/otp/verify`, { email: 'carol@example.com', code: loggedCode(server, 'carol@example.com') })).status, 200);
    assert.equal(await session(server, carol.body.access_token), 200);
  } finally {
    await server.close();
  }
});

test('the code mailed at sign-up, entered while signed in (POST /auth/email/verify), proves the email and keeps the password; a later code sign-in evicts nothing', async () => {
  const server = await startTestServer();
  try {
    const signup = await post(`${server.issuer}/auth/signup`, { email: 'dana@example.com', password: 'dana-password' });
    assert.equal(signup.status, 201);
    const code = loggedCode(server, 'dana@example.com');
    assert.equal((await post(`${server.issuer}/auth/email/verify`, { code: code === '000000' ? '000001' : '000000' }, signup.body.access_token)).status, 400, 'a wrong code');
    assert.equal((await post(`${server.issuer}/auth/email/verify`, { code }, undefined)).status, 401, 'only while signed in');
    assert.equal((await post(`${server.issuer}/auth/email/verify`, { code }, signup.body.access_token)).status, 204);
    assert.equal((await post(`${server.issuer}/auth/email/verify`, { code }, signup.body.access_token)).status, 400, 'a code works once');

    const signin = await post(`${server.issuer}/auth/signin`, { email: 'dana@example.com', password: 'dana-password' });
    assert.equal(signin.status, 200);
    assert.equal(signin.body.user.email_verified, true);
    await post(`${server.issuer}/auth/otp/start`, { email: 'dana@example.com' });
    assert.equal((await post(`${server.issuer}/auth/otp/verify`, { email: 'dana@example.com', code: loggedCode(server, 'dana@example.com') })).status, 200);
    assert.equal((await post(`${server.issuer}/auth/signin`, { email: 'dana@example.com', password: 'dana-password' })).status, 200, 'the proven password stays');
    assert.equal(await session(server, signin.body.access_token), 200, 'and so do its sessions');

    // A signed-in user can ask for a new code.
    assert.equal((await post(`${server.issuer}/auth/email/verify/start`, {}, signin.body.access_token)).status, 204);
    assert.ok((await auditActions(server)).includes('user.email_verified'));
  } finally {
    await server.close();
  }
});

test('--require-verified-email: sign-up and password sign-in are 403 email_not_verified until the mailed code comes with the password; turning it off lets passwords in again', async () => {
  const server = await startTestServer();
  try {
    const shown = await keymintCli(server, 'users', 'settings', '--require-verified-email');
    assert.equal(shown.require_verified_email, true);
    let probes = 0;
    let probe = '';
    await within(5_000, 'the setting reaches the server', async () => {
      probe = `probe-${++probes}@example.com`;
      return (await post(`${server.issuer}/auth/signup`, { email: probe, password: 'probe-password' })).status === 403;
    });

    const signup = await post(`${server.issuer}/auth/signup`, { email: 'erin@example.com', password: 'erin-password' });
    assert.equal(signup.status, 403);
    assert.equal(signup.body.error, 'email_not_verified');
    assert.match(signup.body.error_description, /code mailed/);
    const refused = await post(`${server.issuer}/auth/signin`, { email: 'erin@example.com', password: 'erin-password' });
    assert.equal(refused.status, 403);
    assert.equal(refused.body.error, 'email_not_verified');
    const wrongPassword = await post(`${server.issuer}/auth/signin`, { email: 'erin@example.com', password: 'not-erin-password' });
    assert.equal(wrongPassword.body.error, 'invalid_grant', 'the verification state is only told to the password holder');

    const proven = await post(`${server.issuer}/auth/signin`, { email: 'erin@example.com', password: 'erin-password', code: loggedCode(server, 'erin@example.com') });
    assert.equal(proven.status, 200);
    assert.equal(proven.body.user.email_verified, true);
    assert.equal((await post(`${server.issuer}/auth/signin`, { email: 'erin@example.com', password: 'erin-password' })).status, 200);

    // Admin API: the same setting, and back off.
    const admin = await AdminClient.signIn(server, ...Object.values(await createAdmin(server, 'owner@example.com')) as [string, string]);
    const settings = (await admin.call('GET', '/tenants/default/end-user-settings')).body;
    assert.deepEqual([settings.signup, settings.require_verified_email], ['open', true]);
    assert.equal((await admin.call('PATCH', '/tenants/default/end-user-settings', { require_verified_email: false })).body.require_verified_email, false);
    assert.equal((await post(`${server.issuer}/auth/signin`, { email: probe, password: 'probe-password' })).status, 200, 'the account made while proof was required signs in now');
    assert.equal((await keymintCli(server, 'users', 'settings', '--no-require-verified-email')).require_verified_email, false);
  } finally {
    await server.close();
  }
});

test('RFC 6532 §3.1: an email typed precomposed (NFC) and decomposed (NFD) is one account, whatever the letter case', async () => {
  const server = await startTestServer();
  try {
    const nfc = 'zo\u00eb@example.com';
    const nfd = 'Zoe\u0308@Example.com';
    assert.notEqual(nfc, nfd.toLowerCase());
    const signup = await post(`${server.issuer}/auth/signup`, { email: nfc, password: 'zoe-password' });
    assert.equal(signup.status, 201);
    assert.equal((await post(`${server.issuer}/auth/signup`, { email: nfd, password: 'other-password' })).status, 409);
    const signin = await post(`${server.issuer}/auth/signin`, { email: nfd, password: 'zoe-password' });
    assert.equal(signin.status, 200);
    assert.equal(signin.body.user.id, signup.body.user.id);
    await post(`${server.issuer}/auth/otp/start`, { email: nfd });
    const viaCode = await post(`${server.issuer}/auth/otp/verify`, { email: nfd, code: loggedCode(server, nfc) });
    assert.equal(viaCode.status, 200, 'the code was mailed to, and is looked up under, the NFC address');
    assert.equal(viaCode.body.user.id, signup.body.user.id);
    const rows = await server.server.keymint.db.selectFrom('end_users').select(['email_normalized']).execute();
    assert.deepEqual(rows.map((r) => r.email_normalized), [nfc]);
  } finally {
    await server.close();
  }
});

test('--signup closed: password sign-up and a first code sign-in are 403 signup_closed; existing accounts still sign in; admin API and CLI set it', async () => {
  const server = await startTestServer();
  try {
    assert.equal((await post(`${server.issuer}/auth/signup`, { email: 'early@example.com', password: 'early-password' })).status, 201);
    assert.equal((await keymintCli(server, 'users', 'settings')).signup, 'open', 'open by default');
    const admin = await AdminClient.signIn(server, ...Object.values(await createAdmin(server, 'owner@example.com')) as [string, string]);
    const closed = await admin.call('PATCH', '/tenants/default/end-user-settings', { signup: 'closed' });
    assert.equal(closed.status, 200);
    assert.equal(closed.body.signup, 'closed');
    assert.equal((await admin.call('PATCH', '/tenants/default/end-user-settings', { signup: 'maybe' })).status, 400);

    const refused = await post(`${server.issuer}/auth/signup`, { email: 'late@example.com', password: 'late-password' });
    assert.equal(refused.status, 403);
    assert.equal(refused.body.error, 'signup_closed');
    assert.match(refused.body.error_description, /sign-up is closed/);
    await post(`${server.issuer}/auth/otp/start`, { email: 'late@example.com' });
    const byCode = await post(`${server.issuer}/auth/otp/verify`, { email: 'late@example.com', code: loggedCode(server, 'late@example.com') });
    assert.equal(byCode.status, 403);
    assert.equal(byCode.body.error, 'signup_closed');
    const users = await server.server.keymint.db.selectFrom('end_users').select('email').execute();
    assert.deepEqual(users.map((u) => u.email), ['early@example.com'], 'no account was created');

    assert.equal((await post(`${server.issuer}/auth/signin`, { email: 'early@example.com', password: 'early-password' })).status, 200);
    assert.equal((await keymintCli(server, 'users', 'settings', '--signup', 'open')).signup, 'open');
    await within(5_000, 'sign-up reopens', async () => (await post(`${server.issuer}/auth/signup`, { email: 'late@example.com', password: 'late-password' })).status === 201);
    await assert.rejects(keymintCli(server, 'users', 'settings', '--signup', 'invite'), /Allowed choices are open, closed/);
  } finally {
    await server.close();
  }
});

test('pre-hijacking under concurrency: stranger password sign-ins racing the owner\'s code sign-in leave no stranger session alive', async () => {
  const server = await startTestServer();
  try {
    const stranger = await post(`${server.issuer}/auth/signup`, { email: 'lena@example.com', password: 'stranger-password' });
    assert.equal(stranger.status, 201);
    await post(`${server.issuer}/auth/otp/start`, { email: 'lena@example.com' });
    const code = loggedCode(server, 'lena@example.com');
    const signIns = Array.from({ length: 8 }, () => post(`${server.issuer}/auth/signin`, { email: 'lena@example.com', password: 'stranger-password' }));
    const [owner, ...results] = await Promise.all([post(`${server.issuer}/auth/otp/verify`, { email: 'lena@example.com', code }), ...signIns]);
    assert.equal(owner!.status, 200);
    for (const result of results) assert.ok(result.status === 200 || result.body.error === 'invalid_grant', JSON.stringify(result.body));

    const { db } = server.server.keymint;
    const live = await db.selectFrom('user_sessions').select('id').where('user_id', '=', owner!.body.user.id).where('revoked_at', 'is', null).execute();
    assert.deepEqual(live.map((s) => s.id), [claimsOf(owner!.body.access_token).sid], 'only the owner\'s session is live');
    for (const result of results.filter((r) => r.status === 200)) assert.equal(await session(server, result.body.access_token), 401);
  } finally {
    await server.close();
  }
});
