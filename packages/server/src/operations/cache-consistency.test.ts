import { test } from 'node:test';
import { within } from '../testing/wait.js';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { basic, postForm, startTestServer } from '../testing/harness.js';
import { TEST_DATABASE } from '../testing/databases.js';

async function tokenStatus(issuer: string, clientId: string, secret: string): Promise<number> {
  return (await postForm(`${issuer}/oauth/token`, { grant_type: 'client_credentials' }, { authorization: basic(clientId, secret) })).status;
}

test('the periodic full cache refresh catches a change the feed never announced (KEYMINT_CACHE_REFRESH)', async () => {
  const server = await startTestServer({ env: { KEYMINT_CACHE_REFRESH: '1', KEYMINT_CHANGE_POLL_MS: '60000' } });
  try {
    const app = await server.createApp();
    assert.equal(await tokenStatus(server.issuer, app.clientId, app.clientSecret), 200);
    // A write that bypassed the change log (a restore, a manual fix): only the refresh can see it.
    await server.server.keymint.db.updateTable('apps').set({ status: 'disabled' }).where('client_id', '=', app.clientId).execute();
    // (The feed polls once a minute here, so without the refresh the cached app would keep working.)
    await within(3_000, 'refresh dropped the cached app', async () => (await tokenStatus(server.issuer, app.clientId, app.clientSecret)) === 401);
  } finally {
    await server.close();
  }
});

test('PostgreSQL: the LISTEN connection reconnects after it is killed, and changes are again seen at once', { skip: TEST_DATABASE !== 'postgres' ? 'PostgreSQL run only' : false }, async () => {
  const a = await startTestServer({ env: { KEYMINT_CHANGE_POLL_MS: '10000' } });
  const dbUrl = a.env.KEYMINT_DATABASE_URL!;
  const b = await startTestServer({ databaseUrl: dbUrl, env: { KEYMINT_CHANGE_POLL_MS: '10000', KEYMINT_MASTER_KEY: a.env.KEYMINT_MASTER_KEY! } });
  try {
    const app = await a.createApp();
    await within(2_000, 'node b sees the app', async () => (await tokenStatus(b.issuer, app.clientId, app.clientSecret)) === 200);
    // Kill every LISTEN connection (as a failover or an administrator would).
    const killed = await sql<{ pid: number }>`select pg_terminate_backend(pid) as pid from pg_stat_activity where datname = current_database() and query ilike 'listen%'`.execute(a.server.keymint.db);
    assert.ok(killed.rows.length >= 2, 'both nodes were listening');
    await within(3_000, 'node b listening again', async () => b.server.keymint.listening() === true);
    await a.server.keymint.apps.disable((await a.server.keymint.tenants.get('default')).id, app.clientId);
    await within(1_000, 'node b sees the disable through NOTIFY', async () => (await tokenStatus(b.issuer, app.clientId, app.clientSecret)) === 401);
  } finally {
    await b.close();
    await a.close();
  }
});
