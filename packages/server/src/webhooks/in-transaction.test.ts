import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { test } from 'node:test';
import { sql } from 'kysely';
import { createAdmin, AdminClient } from '../admin/testing.js';
import { SYSTEM } from '../audit/service.js';
import type { Db } from '../store/database.js';
import { TEST_DATABASE } from '../testing/databases.js';
import { call } from '../testing/end-users.js';
import { startTestServer, type TestServer } from '../testing/harness.js';
import { startWebhookReceiver, type WebhookReceiver } from '../testing/webhook-receiver.js';

/**
 * Issue 21: "written to an outbox in the same transaction as the change". Two observable halves:
 * the event row exists the moment the change's answer arrives (no audit batch to wait for), and a
 * change whose event cannot be written does not happen (a trigger refuses outbox rows).
 */

const T = '/tenants/default';
const DAY = 86_400;
const ENV = { KEYMINT_WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true' };

/** A test server that may deliver to private networks and a local receiver, both closed after `body`. */
async function withServerAndReceiver(body: (server: TestServer, receiver: WebhookReceiver) => Promise<void>): Promise<void> {
  const receiver = await startWebhookReceiver();
  const server = await startTestServer({ env: ENV });
  try {
    await body(server, receiver);
  } finally {
    await server.close();
    await receiver.close();
  }
}

/** Outbox rows of an event type, read straight from the table: no audit flush in between. */
async function outbox(db: Db, type: string): Promise<{ payload: string }[]> {
  return db.selectFrom('webhook_deliveries').select('payload').where('event_type', '=', type).execute();
}

/** From now on every insert into the outbox fails, as a full disk or a lost connection would mid-transaction. */
async function refuseOutboxRows(db: Db): Promise<void> {
  if (TEST_DATABASE === 'postgres') {
    await sql.raw(`create function refuse_outbox() returns trigger language plpgsql as $$ begin raise exception 'outbox refused'; end $$`).execute(db);
    await sql.raw('create trigger refuse_outbox before insert on webhook_deliveries for each row execute function refuse_outbox()').execute(db);
  } else {
    await sql.raw(`create trigger refuse_outbox before insert on webhook_deliveries begin select raise(abort, 'outbox refused'); end`).execute(db);
  }
}

async function allowOutboxRows(db: Db): Promise<void> {
  await sql.raw(TEST_DATABASE === 'postgres' ? 'drop trigger refuse_outbox on webhook_deliveries' : 'drop trigger refuse_outbox').execute(db);
}

/** A tenant admin (so its sign-in events belong to tenant default) and a webhook subscribed to everything. */
async function setUp(server: TestServer, receiver: WebhookReceiver): Promise<{ admin: AdminClient; tenantId: string }> {
  const { keymint } = server.server;
  const tenant = await keymint.tenants.get('default');
  await keymint.webhooks.create(tenant.id, { url: receiver.url }, SYSTEM);
  const account = await createAdmin(server, 'tenant-owner@example.com', 'owner', 'default');
  return { admin: await AdminClient.signIn(server, account.email, account.password), tenantId: tenant.id };
}

/** Signs the user up and in again: two open sessions. */
async function userWithTwoSessions(server: TestServer, email: string): Promise<string> {
  const signedUp = await call(`${server.issuer}/auth/signup`, { email, password: `${email}-password` });
  assert.equal(signedUp.status, 201, JSON.stringify(signedUp.body));
  const signedIn = await call(`${server.issuer}/auth/signin`, { email, password: `${email}-password` });
  assert.equal(signedIn.status, 200, JSON.stringify(signedIn.body));
  const user = await server.server.keymint.db.selectFrom('end_users').select('id').where('email_normalized', '=', email).executeTakeFirstOrThrow();
  return user.id;
}

async function liveSessions(db: Db, userId: string): Promise<number> {
  return (await db.selectFrom('user_sessions').select('id').where('user_id', '=', userId).where('revoked_at', 'is', null).execute()).length;
}

test('outbox in the change\'s transaction: settings, session revocation, admin sign-in/out, leaked credentials, app token revocation and tenant creation have their event row when the HTTP answer arrives', { timeout: 120_000 }, async () => {
  await withServerAndReceiver(async (server, receiver) => {
    const { db } = server.server.keymint;
    const { admin } = await setUp(server, receiver);
    assert.equal((await outbox(db, 'admin.signed_in')).length, 1, 'the sign-in answer came after its event was committed');

    assert.equal((await admin.call('PATCH', `${T}/settings`, { default_token_lifetime: 1200 })).status, 200);
    const settings = await outbox(db, 'tenant.settings.updated');
    assert.equal(settings.length, 1);
    assert.deepEqual(JSON.parse(settings[0]!.payload).data.detail, { default_token_lifetime: 1200 });

    assert.equal((await admin.call('PATCH', `${T}/end-user-settings`, { refresh_reuse_grace: 5 })).status, 200);
    assert.equal((await outbox(db, 'user.settings.updated')).length, 1);

    const userId = await userWithTwoSessions(server, 'ann@example.com');
    const everywhere = await admin.call('DELETE', `${T}/users/${userId}/sessions`);
    assert.equal(everywhere.status, 200);
    const revokedAll = await outbox(db, 'user.sessions_revoked');
    assert.equal(revokedAll.length, 1);
    assert.deepEqual(JSON.parse(revokedAll[0]!.payload).data.detail, { sessions: 2 });
    assert.equal(await liveSessions(db, userId), 0);

    const bobId = await userWithTwoSessions(server, 'bob@example.com');
    const [one] = await db.selectFrom('user_sessions').select('id').where('user_id', '=', bobId).execute();
    assert.equal((await admin.call('DELETE', `${T}/users/${bobId}/sessions/${one!.id}`)).status, 204);
    assert.equal((await outbox(db, 'user.session_revoked')).length, 1);

    // A leaked API token revoked by anyone who holds it: credential.leaked and api_token.revoked, with the revocation.
    const tenant = await server.server.keymint.tenants.get('default');
    const { token, info } = await server.server.keymint.apiTokens.create(tenant.id, await server.server.keymint.tenants.scopes(tenant.id), { name: 'pasted' }, SYSTEM);
    const revoked = await fetch(`${server.url}/v1/credentials/revoke`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ credentials: [token] }) });
    assert.equal(revoked.status, 202);
    const leaked = await outbox(db, 'credential.leaked');
    assert.equal(leaked.length, 1);
    assert.equal(JSON.parse(leaked[0]!.payload).data.target, info.id);
    assert.equal((await outbox(db, 'api_token.revoked')).length, 1);
    // A leaked end-user refresh token: the session's revocation and credential.leaked together.
    const carol = await call(`${server.issuer}/auth/signup`, { email: 'carol@example.com', password: 'carol-password' });
    await fetch(`${server.url}/v1/credentials/revoke`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ credentials: [carol.body.refresh_token] }) });
    assert.equal((await outbox(db, 'credential.leaked')).length, 2);

    // Every token of an app revoked at once (the CLI's app revoke-tokens): the event with the revocation.
    const app = await server.createApp();
    await server.server.keymint.accessTokens.revokeAllTokens(tenant.id, app.clientId, SYSTEM);
    assert.equal((await outbox(db, 'app.tokens.revoked')).length, 1);
    // A new tenant's entry commits with it (no webhook can be subscribed to a tenant before it exists).
    await server.server.keymint.tenants.create('fresh');
    assert.equal((await db.selectFrom('audit_log').select('id').where('action', '=', 'tenant.created').where('target', '=', 'fresh').execute()).length, 1);

    assert.equal((await admin.call('DELETE', '/session')).status, 204);
    const signedOut = await outbox(db, 'admin.signed_out');
    assert.equal(signedOut.length, 1, 'a tenant admin\'s sign-out is an event of its tenant');
    assert.equal(JSON.parse(signedOut[0]!.payload).data.tenant, 'default');
  });
});

test('outbox in the change\'s transaction: when the event cannot be written, the change does not happen either (settings, sessions, leaks, sign-in)', { timeout: 120_000 }, async () => {
  await withServerAndReceiver(async (server, receiver) => {
    const { keymint } = server.server;
    const { db } = keymint;
    const { admin } = await setUp(server, receiver);
    const tenant = await keymint.tenants.get('default');
    const userId = await userWithTwoSessions(server, 'ann@example.com');
    const { token } = await keymint.apiTokens.create(tenant.id, await keymint.tenants.scopes(tenant.id), { name: 'pasted' }, SYSTEM);
    const before = await admin.call('GET', `${T}/settings`);

    await refuseOutboxRows(db);
    try {
      const patched = await admin.call('PATCH', `${T}/settings`, { default_token_lifetime: 1200 });
      assert.equal(patched.status, 500);
      assert.equal(patched.body.error, 'server_error');
      assert.equal((await db.selectFrom('tenants').select('settings').where('id', '=', tenant.id).executeTakeFirstOrThrow()).settings.includes('1200'), false, 'the settings were not changed');

      assert.equal((await admin.call('DELETE', `${T}/users/${userId}/sessions`)).status, 500);
      assert.equal(await liveSessions(db, userId), 2, 'no session ended: all of them end with their event, or none does');

      const leak = await fetch(`${server.url}/v1/credentials/revoke`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ credentials: [token] }) });
      assert.equal(leak.status, 500);
      assert.equal((await fetch(`${server.issuer}/api/v1/contacts`, { headers: { authorization: `Bearer ${token}` } })).status, 200, 'the token was not revoked without its events');

      const signIn = await new AdminClient(server).call('POST', '/session', { email: 'tenant-owner@example.com', password: 'pw-tenant-owner@example.com-correct horse' });
      assert.equal(signIn.status, 500);
      assert.equal(signIn.headers.get('set-cookie'), null, 'no session without its admin.signed_in event');
    } finally {
      await allowOutboxRows(db);
    }
    // Nothing half-done was left behind: the same calls now succeed, each with its event.
    assert.equal((await admin.call('PATCH', `${T}/settings`, { default_token_lifetime: 1200 })).status, 200);
    assert.notDeepEqual((await admin.call('GET', `${T}/settings`)).body, before.body);
    assert.equal((await admin.call('DELETE', `${T}/users/${userId}/sessions`)).body.revoked, 2);
    assert.equal((await outbox(db, 'user.sessions_revoked')).length, 1);
  });
});

/**
 * One more Keymint instance in its own OS process (SQLite in one process serialises every statement
 * and would hide the race): runs the expiry-warnings job twice at once and prints how many it recorded.
 */
function expiryRunInProcess(env: Record<string, string>): Promise<number> {
  const dist = (path: string) => new URL(path, import.meta.url).href;
  const script = `
    import { loadConfig } from ${JSON.stringify(dist('../config.js'))};
    import { createLogger } from ${JSON.stringify(dist('../log.js'))};
    import { openKeymint } from ${JSON.stringify(dist('../keymint.js'))};
    const keymint = await openKeymint(loadConfig({ env: process.env, cwd: process.env.KEYMINT_DATA_DIR }), { log: createLogger('warn', process.stderr) });
    try {
      const counts = await Promise.all([keymint.expiryWarnings.run(), keymint.expiryWarnings.run()]);
      process.stdout.write(String(counts[0] + counts[1]));
    } finally {
      await keymint.close();
    }`;
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['--input-type=module', '-e', script], { env: { ...process.env, ...env } }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${error.message}\n${stderr}`));
      else resolve(Number(stdout));
    });
  });
}

test('expiry warnings: two instances racing emit each warning exactly once, its mark and its outbox row in one transaction', { timeout: 120_000 }, async () => {
  await withServerAndReceiver(async (server, receiver) => {
    const { keymint } = server.server;
    const { db } = keymint;
    const tenant = await keymint.tenants.get('default');
    await keymint.webhooks.create(tenant.id, { url: receiver.url, events: ['credential.*'] }, SYSTEM);
    const scopes = await keymint.tenants.scopes(tenant.id);
    const tokens = [];
    for (const name of ['a', 'b', 'c', 'd', 'e']) tokens.push(await keymint.apiTokens.create(tenant.id, scopes, { name, expiresInSeconds: 5 * DAY }, SYSTEM));

    // A warning whose event cannot be written is not marked sent: a later run still emits it.
    await refuseOutboxRows(db);
    try {
      await assert.rejects(keymint.expiryWarnings.run(), /outbox refused/);
      assert.equal((await db.selectFrom('expiry_warnings').select('credential_id').execute()).length, 0, 'no mark without its event');
    } finally {
      await allowOutboxRows(db);
    }

    // Two more instances, each in its own process and each running the job twice at once. No
    // audit flush anywhere: what run() recorded is committed, outbox rows included, when it returns.
    const counts = await Promise.all([expiryRunInProcess(server.env), expiryRunInProcess(server.env)]);
    assert.equal(counts[0]! + counts[1]!, tokens.length, `each warning recorded by exactly one run (${counts.join(', ')})`);
    const rows = await outbox(db, 'credential.expiring');
    assert.deepEqual(rows.map((row) => JSON.parse(row.payload).data.target).sort(), tokens.map((t) => t.info.id).sort(), 'one event per credential, none twice');
    assert.equal((await db.selectFrom('expiry_warnings').select('credential_id').execute()).length, tokens.length);

    assert.equal(await keymint.expiryWarnings.run(), 0, 'a later round emits nothing again');
    assert.equal((await outbox(db, 'credential.expiring')).length, tokens.length);
  });
});

test('outbox in the change\'s transaction: a password change (new password, other sessions ended, both events) and a staged signing key are whole or not at all', { timeout: 120_000 }, async () => {
  await withServerAndReceiver(async (server, receiver) => {
    const { keymint } = server.server;
    const { db } = keymint;
    const { tenantId } = await setUp(server, receiver);
    const signedUp = await call(`${server.issuer}/auth/signup`, { email: 'dan@example.com', password: 'dan-password-1' });
    await call(`${server.issuer}/auth/signin`, { email: 'dan@example.com', password: 'dan-password-1' });
    const userId = (await db.selectFrom('end_users').select('id').where('email_normalized', '=', 'dan@example.com').executeTakeFirstOrThrow()).id;
    const change = (next: string) => call(`${server.issuer}/auth/password/change`, { current_password: 'dan-password-1', new_password: next }, { authorization: `Bearer ${signedUp.body.access_token}` });

    await refuseOutboxRows(db);
    try {
      assert.equal((await change('dan-password-2')).status, 500);
    } finally {
      await allowOutboxRows(db);
    }
    assert.equal(await liveSessions(db, userId), 2, 'no session ended');
    assert.equal((await call(`${server.issuer}/auth/signin`, { email: 'dan@example.com', password: 'dan-password-1' })).status, 200, 'the old password still works');

    assert.equal((await change('dan-password-2')).status, 204);
    assert.equal((await outbox(db, 'user.password_changed')).length, 1, 'the answer came after its event was committed');
    assert.equal((await outbox(db, 'user.sessions_revoked')).length, 1);
    assert.equal(await liveSessions(db, userId), 1, 'only the session that changed it is left');

    await keymint.keys.adoptAlgorithm(tenantId, 'RS256');
    assert.equal((await outbox(db, 'key.withdrawn')).length, 1, 'the ES256 key waiting to sign was withdrawn, with its event');
    assert.equal((await outbox(db, 'key.staged')).length, 1, 'the RS256 key was staged, with its event');
  });
});
