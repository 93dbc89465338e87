import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Redis } from 'ioredis';
import { randomKey, randomLowerAlnum } from '../crypto/random.js';
import { basic, postForm, prepareTestStorage, startTestServer } from '../testing/harness.js';

const REDIS_URL = 'redis://127.0.0.1:6379';

async function attempt(issuer: string, clientId: string, secret: string): Promise<number> {
  return (await postForm(`${issuer}/oauth/token`, { grant_type: 'client_credentials' }, { authorization: basic(clientId, secret) })).status;
}

async function twoNodes(env: Record<string, string>) {
  const storage = await prepareTestStorage();
  const shared = { KEYMINT_MASTER_KEY: randomKey(32).toString('base64url'), KEYMINT_AUTH_FAILURES_PER_CLIENT: '3', KEYMINT_AUTH_FAILURE_WINDOW: '30', ...env };
  const a = await startTestServer({ ...storage, env: shared });
  const b = await startTestServer({ ...storage, env: shared });
  return { a, b, close: async () => { await a.close(); await b.close(); await storage.cleanup(); } };
}

test('SECURITY-CHECKLIST: with KEYMINT_REDIS_URL the failed-authentication budget is one budget across nodes', async () => {
  const prefix = `keymint-test-${randomLowerAlnum(10)}:`;
  const nodes = await twoNodes({ KEYMINT_REDIS_URL: REDIS_URL, KEYMINT_REDIS_PREFIX: prefix });
  const redis = new Redis(REDIS_URL);
  try {
    const app = await nodes.a.createApp();
    // Two failures on node a, one on node b: the budget of three is spent across both.
    assert.equal(await attempt(nodes.a.issuer, app.clientId, 'kms_wrong'), 401);
    assert.equal(await attempt(nodes.a.issuer, app.clientId, 'kms_wrong'), 401);
    assert.equal(await attempt(nodes.b.issuer, app.clientId, 'kms_wrong'), 401);
    assert.equal(await attempt(nodes.b.issuer, app.clientId, 'kms_wrong'), 429, 'node b counts node a\'s failures');
    assert.equal(await attempt(nodes.a.issuer, app.clientId, 'kms_wrong'), 429);
    // The right secret is never locked out.
    assert.equal(await attempt(nodes.b.issuer, app.clientId, app.clientSecret), 200);
    // The counters are in Redis under the configured prefix, with nothing undefined in any key.
    const keys = await redis.keys(`${prefix}*`);
    assert.ok(keys.length > 0);
    for (const key of keys) assert.match(key, new RegExp(`^${prefix}attempts:client\\.failures\\.(client|address):[\\w-]{43}$`));
  } finally {
    await nodes.close();
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    await redis.quit();
  }
});

test('without Redis the failed-authentication budget is one budget across nodes through the shared database', async () => {
  const nodes = await twoNodes({});
  try {
    const app = await nodes.a.createApp();
    for (let i = 0; i < 3; i++) assert.equal(await attempt(nodes.a.issuer, app.clientId, 'kms_wrong'), 401);
    assert.equal(await attempt(nodes.b.issuer, app.clientId, 'kms_wrong'), 429, 'node b counts node a\'s failures');
    assert.equal(await attempt(nodes.b.issuer, app.clientId, app.clientSecret), 200);
    const rows = await nodes.a.server.keymint.db.selectFrom('attempt_counters').selectAll().execute();
    assert.ok(rows.length > 0, 'the counters are rows of attempt_counters');
  } finally {
    await nodes.close();
  }
});
