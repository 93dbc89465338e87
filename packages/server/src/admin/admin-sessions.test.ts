import assert from 'node:assert/strict';
import { test } from 'node:test';
import { keymintCli } from '../testing/cli.js';
import { startTestServer, TestClock } from '../testing/harness.js';
import { AdminClient, createAdmin } from './testing.js';

test('console sessions end after KEYMINT_ADMIN_SESSION_IDLE_TIMEOUT without a request (OWASP ASVS 5.0 V7.3.1); each request restarts the idle clock', async () => {
  const clock = new TestClock();
  // A clock jump past KEYMINT_OUTAGE_GRACE looks like a lost database until the next change poll: keep the grace above every jump.
  const server = await startTestServer({ clock, env: { KEYMINT_ADMIN_SESSION_IDLE_TIMEOUT: '600', KEYMINT_OUTAGE_GRACE: '86400' } });
  try {
    const { email, password } = await createAdmin(server, 'ida@example.com');
    const admin = await AdminClient.signIn(server, email, password);
    for (let i = 0; i < 3; i++) {
      clock.advance(8 * 60_000);
      assert.equal((await admin.call('GET', '/session')).status, 200, `used every 8 minutes: alive after ${(i + 1) * 8} minutes`);
    }
    clock.advance(10 * 60_000 + 1_000);
    const idle = await admin.call('GET', '/session');
    assert.equal(idle.status, 401, 'ten idle minutes end it');
    const { db } = server.server.keymint;
    assert.equal((await db.selectFrom('admin_sessions').select('id_hash').execute()).length, 0, 'and the row is gone');
    assert.equal((await AdminClient.signIn(server, email, password)).cookie !== null, true, 'signing in again works');
  } finally {
    await server.close();
  }
});

test('kmo_ admin tokens: optional expires_in (refused after it), last-used time and expiry shown in the admin API', async () => {
  const clock = new TestClock();
  const server = await startTestServer({ clock, env: { KEYMINT_OUTAGE_GRACE: '86400' } });
  try {
    const { email, password } = await createAdmin(server, 'jo@example.com');
    const admin = await AdminClient.signIn(server, email, password);
    assert.equal((await admin.call('POST', '/admin-tokens', { name: 'too short', expires_in: 10 })).status, 400);
    const expiring = await admin.call('POST', '/admin-tokens', { name: 'ci for two minutes', expires_in: 120 });
    assert.equal(expiring.status, 201);
    const lasting = await admin.call('POST', '/admin-tokens', { name: 'terraform' });
    assert.equal(lasting.body.info.expires_at, null, 'no expiry unless asked');
    assert.equal(Date.parse(expiring.body.info.expires_at) - Date.parse(expiring.body.info.created_at), 120_000);
    assert.equal(expiring.body.info.last_used_at, null);

    const script = AdminClient.withToken(server, expiring.body.token);
    assert.equal((await script.call('GET', '/tenants')).status, 200);
    const listed = (await admin.call('GET', '/admin-tokens')).body.tokens.find((t: { id: string }) => t.id === expiring.body.info.id);
    assert.ok(listed.last_used_at, 'last use shown');
    assert.equal(listed.expires_at, expiring.body.info.expires_at);

    clock.advance(121_000);
    const refused = await script.call('GET', '/tenants');
    assert.equal(refused.status, 401);
    assert.match(JSON.stringify(refused.body), /expired/);
    assert.equal((await AdminClient.withToken(server, lasting.body.token).call('GET', '/tenants')).status, 200, 'a token without expiry still works');
  } finally {
    await server.close();
  }
});

test('CLI: keymint admin token create --expires-in prints a kmo_ token once that the admin API accepts; admin token list shows its expiry and last use', async () => {
  const server = await startTestServer();
  try {
    const answer = await keymintCli(server, 'admin', 'token', 'create', '--name', 'nightly export', '--role', 'viewer', '--expires-in', '7d');
    assert.deepEqual(Object.keys(answer).sort(), ['info', 'token'], 'the admin API\'s shape: the token once, and its view');
    const created = { ...answer.info, token: answer.token };
    assert.match(created.token, /^kmo_/);
    assert.equal(created.role, 'viewer');
    assert.ok(Math.abs(Date.parse(created.expires_at) - Date.now() - 7 * 86_400_000) < 60_000);
    assert.equal((await AdminClient.withToken(server, created.token).call('GET', '/tenants')).status, 200);
    assert.equal((await AdminClient.withToken(server, created.token).call('POST', '/tenants', { slug: 'nope' })).status, 403, 'a viewer token');
    const listed = (await keymintCli(server, 'admin', 'token', 'list')).tokens.find((t: { id: string }) => t.id === created.id);
    assert.equal(listed.expires_at, created.expires_at);
    assert.ok(listed.last_used_at);
    assert.equal(JSON.stringify(listed).includes(created.token), false, 'never the token itself');
    await assert.rejects(keymintCli(server, 'admin', 'token', 'create', '--name', 'x', '--expires-in', '10s'), /expires_in must be/);
  } finally {
    await server.close();
  }
});
