import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Db } from '../store/database.js';
import { TEST_DATABASE } from '../testing/databases.js';
import { prepareTestStorage, startTestServer, TestClock } from '../testing/harness.js';
import { randomKey } from '../crypto/random.js';
import { within } from '../testing/wait.js';

const DAY = 86_400;
const CLI = { actor: 'cli' } as const;

async function warnings(db: Db): Promise<{ target: string; detail: Record<string, unknown> }[]> {
  const rows = await db.selectFrom('audit_log').select(['target', 'detail']).where('action', '=', 'credential.expiring').orderBy('id').execute();
  return rows.map((row) => ({ target: row.target!, detail: JSON.parse(row.detail!) as Record<string, unknown> }));
}

test('Expiry warnings: credential.expiring once per credential and threshold (30, 7, 1 days), even when two nodes run the job at once, twice each', async () => {
  const clock = new TestClock();
  const storage = await prepareTestStorage();
  const env = { KEYMINT_MASTER_KEY: randomKey(32).toString('base64url') };
  const a = await startTestServer({ ...storage, clock, env });
  const b = await startTestServer({ ...storage, clock, env });
  try {
    const { keymint } = a.server;
    const tenant = await keymint.tenants.get('default');
    const app = await a.createApp();
    const in40 = await keymint.apps.addSecret(tenant.id, app.clientId, 40 * DAY, CLI);
    const revoked = await keymint.apps.addSecret(tenant.id, app.clientId, 3 * DAY, CLI);
    await keymint.apps.revokeSecret(tenant.id, app.clientId, revoked.secretId, CLI);
    const apiToken = await keymint.apiTokens.create(tenant.id, await keymint.tenants.scopes(tenant.id), { name: 'short', expiresInSeconds: 5 * DAY }, CLI);
    await keymint.admins.createAccount({ email: 'owner@example.com', password: 'correct horse battery' }, CLI);
    const owner = { email: 'owner@example.com', role: 'owner' as const, tenantId: null, via: 'session' as const };
    const adminToken = await keymint.admins.createToken(owner, { name: 'script', expires_in: 20 * DAY }, CLI);

    // Both nodes, twice each, at the same moment. On SQLite these two in-process nodes take turns:
    // a claim and its event are one write transaction, and a second in-process SQLite connection
    // waiting for the lock would block the one thread the first needs to commit (busy_timeout, then
    // SQLITE_BUSY). Separate processes race for real in webhooks/in-transaction.test.ts.
    const runEverywhere = async () => {
      const nodes = [a, b, a, b];
      if (TEST_DATABASE === 'postgres') await Promise.all(nodes.map((node) => node.server.keymint.expiryWarnings.run()));
      else for (const node of nodes) await node.server.keymint.expiryWarnings.run();
      await Promise.all([a.server.keymint.audit.flush(), b.server.keymint.audit.flush()]);
    };
    await runEverywhere();
    // Inside 7 days (the API token, first seen at 5: only the tightest threshold) and 30 (the admin token).
    assert.deepEqual(await warnings(keymint.db).then((w) => w.map((x) => x.detail).sort((x, y) => String(x.kind).localeCompare(String(y.kind)))), [
      { kind: 'admin_token', id: adminToken.info.id, expires_at: adminToken.info.expiresAt, days_left: 20 },
      { kind: 'api_token', id: apiToken.info.id, expires_at: apiToken.info.expiresAt, days_left: 5 },
    ]);
    await runEverywhere();
    assert.equal((await warnings(keymint.db)).length, 2, 'a second round records nothing new');

    // 4.5 days later: the API token is inside 1 day, the admin token still inside 30 (said once already).
    clock.advance(4.5 * DAY * 1000);
    await runEverywhere();
    const afterDays = await warnings(keymint.db);
    assert.equal(afterDays.length, 3);
    assert.deepEqual(afterDays[2]!.detail, { kind: 'api_token', id: apiToken.info.id, expires_at: apiToken.info.expiresAt, days_left: 1 });

    // 10.5 days from the start: the 40-day secret is inside 30; the revoked secret never warned.
    clock.advance(6 * DAY * 1000);
    await runEverywhere();
    const last = await warnings(keymint.db);
    assert.equal(last.length, 4);
    assert.deepEqual(last[3], { target: in40.secretId, detail: { kind: 'client_secret', id: in40.secretId, expires_at: in40.expiresAt, days_left: 30 } });
    assert.ok(!last.some((w) => w.target === revoked.secretId));
    const rows = await keymint.db.selectFrom('audit_log').select(['tenant_id', 'actor']).where('action', '=', 'credential.expiring').execute();
    assert.deepEqual(rows.map((r) => r.tenant_id).sort(), [null, tenant.id, tenant.id, tenant.id].sort(), 'each warning names its tenant (a global admin token: none)');
    assert.ok(rows.every((r) => r.actor === 'system'));

    // A year on, every credential has expired: the purge forgets the warnings, and nothing is announced again.
    assert.equal((await keymint.purgeExpired()).expiryWarnings, 0, 'warnings are kept while their credential may still warn');
    clock.advance(367 * DAY * 1000);
    assert.equal((await keymint.purgeExpired()).expiryWarnings, 4);
    await runEverywhere();
    assert.equal((await warnings(keymint.db)).length, 4);
  } finally {
    await b.close();
    await a.close();
    await storage.cleanup();
  }
});

test('Expiry warnings: a server checks on its own every KEYMINT_EXPIRY_CHECK_INTERVAL seconds', async () => {
  const server = await startTestServer({ env: { KEYMINT_EXPIRY_CHECK_INTERVAL: '1' } });
  try {
    const { keymint } = server.server;
    const tenant = await keymint.tenants.get('default');
    const { info } = await keymint.apiTokens.create(tenant.id, await keymint.tenants.scopes(tenant.id), { name: 'soon', expiresInSeconds: 3 * DAY }, CLI);
    await within(10_000, 'the job recorded the warning', async () => (await warnings(keymint.db)).some((w) => w.target === info.id));
  } finally {
    await server.close();
  }
});

test('Expiry warnings: KEYMINT_EXPIRY_WARNING_DAYS chooses the thresholds; none turns them off', async () => {
  const clock = new TestClock();
  for (const [setting, expected] of [['14', 1], ['none', 0]] as const) {
    const server = await startTestServer({ clock, env: { KEYMINT_EXPIRY_WARNING_DAYS: setting } });
    try {
      const { keymint } = server.server;
      const tenant = await keymint.tenants.get('default');
      await keymint.apiTokens.create(tenant.id, await keymint.tenants.scopes(tenant.id), { name: 'a', expiresInSeconds: 10 * DAY }, CLI);
      await keymint.apiTokens.create(tenant.id, await keymint.tenants.scopes(tenant.id), { name: 'b', expiresInSeconds: 20 * DAY }, CLI);
      assert.equal(await keymint.expiryWarnings.run(), expected, setting);
    } finally {
      await server.close();
    }
  }
});
