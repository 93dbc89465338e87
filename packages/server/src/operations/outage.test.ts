import { test } from 'node:test';
import assert from 'node:assert/strict';
import { basic, postForm, startTestServer } from '../testing/harness.js';
import { createPostgresDatabase, TEST_DATABASE } from '../testing/databases.js';
import { startBlackholeProxy } from '../testing/blackhole-proxy.js';
import { postgresBinDir, startPrivatePostgres } from '../testing/private-postgres.js';

const skip = TEST_DATABASE !== 'postgres' ? 'PostgreSQL run only' : postgresBinDir() === null ? 'no PostgreSQL server binaries' : false;

async function status(url: string, init: RequestInit = {}): Promise<{ status: number; retryAfter: string | null }> {
  const response = await fetch(url, init);
  await response.arrayBuffer();
  return { status: response.status, retryAfter: response.headers.get('retry-after') };
}

/**
 * The database stops under load (a private PostgreSQL of this test's own, see
 * testing/private-postgres.ts) and comes back. Expected: no 500 at any time; /readyz fails while
 * it is down; what needs the database is 503 with Retry-After; tokens for apps in cache are still
 * issued for KEYMINT_OUTAGE_GRACE seconds and then 503 too; all recovers without a restart.
 */
test('database outage: 503 + Retry-After while down (never 500), cached apps keep getting tokens for the grace period, full recovery after', { skip }, async () => {
  const postgres = await startPrivatePostgres();
  const server = await startTestServer({ databaseUrl: postgres.url, env: { KEYMINT_OUTAGE_GRACE: '4', KEYMINT_CHANGE_POLL_MS: '100' } });
  try {
    const app = await server.createApp({ scopes: ['contacts_read', 'contacts_write'] });
    const tokenRequest = () => status(`${server.issuer}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic(app.clientId, app.clientSecret) },
      body: 'grant_type=client_credentials&scope=contacts_read%20contacts_write',
    });
    const issued = await postForm(`${server.issuer}/oauth/token`, { grant_type: 'client_credentials', scope: 'contacts_read contacts_write' }, { authorization: basic(app.clientId, app.clientSecret) });
    assert.equal(issued.status, 200);
    const bearer = { authorization: `Bearer ${issued.body.access_token}`, 'content-type': 'application/json' };
    // A write always needs the database.
    const writeContact = () => status(`${server.issuer}/api/v1/contacts`, { method: 'POST', headers: bearer, body: JSON.stringify({ email: `x${Math.random()}@example.com` }) });
    assert.equal((await writeContact()).status, 201);
    assert.equal((await status(`${server.url}/readyz`)).status, 200);
    // App B is used once before the outage (last-used written) and once during it.
    const { keymint } = server.server;
    const tenantId = (await keymint.tenants.get('default')).id;
    const appB = await server.createApp();
    // The feed re-delivers each app's creation and drops its cache entry once: let that pass
    // before warming the cache the outage will be served from.
    await new Promise((resolve) => setTimeout(resolve, 500));
    const tokenB = () => postForm(`${server.issuer}/oauth/token`, { grant_type: 'client_credentials' }, { authorization: basic(appB.clientId, appB.clientSecret) });
    assert.equal((await tokenB()).status, 200);
    await keymint.apps.flushLastUsed();
    const usedBefore = (await keymint.apps.listSecrets(tenantId, appB.clientId))[0]!.lastUsedAt!;

    const seen: Array<{ phase: string; what: string; status: number; retryAfter: string | null }> = [];
    let phase = 'up';
    let running = true;
    const load = (async () => {
      while (running) {
        for (const [what, call] of [['token', tokenRequest], ['write', writeContact], ['readyz', () => status(`${server.url}/readyz`)]] as const) {
          const result = await call();
          seen.push({ phase, what, ...result });
        }
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    })();
    await new Promise((resolve) => setTimeout(resolve, 300));

    phase = 'stopping';
    // The grace counts from the last successful poll, just before this.
    const downAt = Date.now();
    await postgres.stop();
    phase = 'down';
    // Within the grace: tokens for the cached app still come; the write is 503 with Retry-After.
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.ok(Date.now() - downAt < 3_000, 'still well within the grace (the stop was quick)');
    assert.equal((await tokenRequest()).status, 200, 'a cached app still gets tokens within the grace period');
    await new Promise((resolve) => setTimeout(resolve, 5));
    const duringB = await tokenB();
    assert.equal(duringB.status, 200, JSON.stringify(duringB.body));
    await assert.rejects(keymint.apps.flushLastUsed(), 'the last-used batch cannot be written now');
    const write = await writeContact();
    assert.equal(write.status, 503);
    assert.ok(Number(write.retryAfter) > 0, 'Retry-After on 503');
    assert.equal((await status(`${server.url}/readyz`)).status, 503);
    // Past the grace every request is refused: caches that cannot see revocations are not trusted.
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, 4_600 - (Date.now() - downAt))));
    phase = 'past grace';
    const late = await tokenRequest();
    assert.equal(late.status, 503, 'past KEYMINT_OUTAGE_GRACE tokens are refused');
    assert.ok(Number(late.retryAfter) > 0);

    phase = 'starting';
    await postgres.start();
    phase = 'recovering';
    const upAt = Date.now();
    while ((await status(`${server.url}/readyz`)).status !== 200) {
      assert.ok(Date.now() - upAt < 15_000, 'ready again within 15 s of the database returning');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    // The feed's next successful poll ends the outage state.
    while ((await tokenRequest()).status !== 200) {
      assert.ok(Date.now() - upAt < 15_000, 'tokens again within 15 s');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    phase = 'recovered';
    await new Promise((resolve) => setTimeout(resolve, 500));
    running = false;
    await load;

    const fiveHundreds = seen.filter((r) => r.status >= 500 && r.status !== 503);
    assert.deepEqual(fiveHundreds, [], 'no 5xx but 503');
    const unavailableWhileUp = seen.filter((r) => r.status === 503 && (r.phase === 'up' || r.phase === 'recovered'));
    assert.deepEqual(unavailableWhileUp, [], '503 only while the database is down or coming back');
    assert.ok(seen.filter((r) => r.status === 503).every((r) => Number(r.retryAfter) > 0), 'every 503 has Retry-After');
    const after = seen.filter((r) => r.phase === 'recovered');
    assert.ok(after.length >= 3 && after.every((r) => r.status === 200 || r.status === 201), 'everything works after recovery');
    assert.equal((await writeContact()).status, 201);
    // The batch that failed during the outage was kept and is written now.
    await keymint.apps.flushLastUsed();
    const usedAfter = (await keymint.apps.listSecrets(tenantId, appB.clientId))[0]!.lastUsedAt!;
    assert.ok(usedAfter > usedBefore, 'the use during the outage was recorded after recovery');
    assert.doesNotMatch(server.logs(), /"statusCode":500/);
  } finally {
    await server.close();
    postgres.destroy();
  }
});

test('network partition (packets dropped, nothing refused): a hung database counts as down — grace, then 503; recovery when the path returns', { skip: TEST_DATABASE !== 'postgres' ? 'PostgreSQL run only' : false }, async () => {
  const database = await createPostgresDatabase();
  const proxy = await startBlackholeProxy(Number(new URL(database.url).port || 5432));
  const viaProxy = new URL(database.url);
  viaProxy.port = String(proxy.port);
  const server = await startTestServer({ databaseUrl: viaProxy.href, env: { KEYMINT_OUTAGE_GRACE: '6', KEYMINT_CHANGE_POLL_MS: '100' } });
  try {
    const app = await server.createApp();
    await new Promise((resolve) => setTimeout(resolve, 500));
    const token = () => postForm(`${server.issuer}/oauth/token`, { grant_type: 'client_credentials' }, { authorization: basic(app.clientId, app.clientSecret) });
    assert.equal((await token()).status, 200);
    proxy.blackhole();
    const cutAt = Date.now();
    assert.equal((await token()).status, 200, 'cached app served within the grace');
    assert.equal((await status(`${server.url}/readyz`)).status, 503, 'readiness gives up after its 2 s timeout');
    // The hung poll is noticed (after 5 s) and past the 6 s grace tokens are refused.
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, 6_500 - (Date.now() - cutAt))));
    const refused = await token();
    assert.equal(refused.status, 503);
    assert.ok(Number(refused.headers.get('retry-after')) > 0);
    proxy.restore();
    const restoredAt = Date.now();
    while ((await token()).status !== 200) {
      assert.ok(Date.now() - restoredAt < 15_000, 'tokens again within 15 s of the path returning');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.equal((await status(`${server.url}/readyz`)).status, 200);
  } finally {
    await server.close();
    await proxy.close();
    await database.drop();
  }
});
