import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { randomKey, randomLowerAlnum } from '../crypto/random.js';
import { prepareTestStorage, startTestServer } from '../testing/harness.js';
import { signRequest } from './signature.js';

/** Two servers on one database (two nodes behind a load balancer), with the given replay store. */
async function twoNodes(env: Record<string, string>) {
  const storage = await prepareTestStorage();
  const shared = { KEYMINT_MASTER_KEY: randomKey(32).toString('base64url'), ...env };
  const a = await startTestServer({ ...storage, env: shared });
  const b = await startTestServer({ ...storage, env: shared });
  return {
    a,
    b,
    async close() {
      await a.close();
      await b.close();
      await storage.cleanup();
    },
  };
}

function signedBody(clientId: string, secret: string, audience: string) {
  const timestamp = String(Math.floor(Date.now() / 1000));
  const value = randomLowerAlnum(32);
  return JSON.stringify({ client_id: clientId, audience, timestamp, signature_value: value, signature: signRequest(secret, value, timestamp) });
}

async function postJson(url: string, body: string): Promise<number> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  await response.body?.cancel();
  return response.status;
}

const PREFIX = `keymint-test-${randomLowerAlnum(10)}:`;

for (const [store, env] of [['database', { KEYMINT_REPLAY_STORE: 'database' }], ['redis', { KEYMINT_REDIS_URL: 'redis://127.0.0.1:6379', KEYMINT_REDIS_PREFIX: PREFIX }]] as const) {
  test(`signed request across nodes (${store} replay store): a value spent on one node is refused on the other`, async () => {
    const nodes = await twoNodes(env);
    const redis = store === 'redis' ? new Redis('redis://127.0.0.1:6379') : null;
    try {
      const app = await nodes.a.createApp({ authMethods: ['signed_request'] });
      // Node b sees the new app through the shared database (the change feed polls every 50 ms).
      const audience = `${nodes.a.issuer}/api`;
      const body = signedBody(app.clientId, app.clientSecret, audience);
      assert.equal(await postJson(`${nodes.a.issuer}/v3/tokens`, body), 200);
      // Node b issues under its own public URL, but the signed body names node a's audience; use a fresh one for b.
      assert.equal(await postJson(`${nodes.b.issuer}/v3/tokens`, body.replace(audience, `${nodes.b.issuer}/api`)), 401, 'replayed on the other node');
      assert.equal(await postJson(`${nodes.b.issuer}/v3/tokens`, signedBody(app.clientId, app.clientSecret, `${nodes.b.issuer}/api`)), 200);
      if (redis) {
        // Issue 14: replay keys carry KEYMINT_REDIS_PREFIX like every other Keymint key.
        const keys = await redis.keys(`${PREFIX}*`);
        assert.equal(keys.filter((key) => key.startsWith(`${PREFIX}replay:${app.clientId}:`)).length, 2);
        assert.deepEqual(await redis.keys(`keymint:replay:${app.clientId}:*`), []);
      }
    } finally {
      await nodes.close();
      if (redis) {
        const keys = await redis.keys(`${PREFIX}*`);
        if (keys.length > 0) await redis.del(...keys);
        await redis.quit();
      }
    }
  });
}
