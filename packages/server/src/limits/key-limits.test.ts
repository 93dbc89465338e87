import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { basic, postForm, startTestServer } from '../testing/harness.js';
import { keymintCli } from '../testing/cli.js';
import { freePort } from '../testing/net.js';
import { tally } from '../testing/http-from.js';
import { burst, TOPOLOGIES } from '../testing/topologies.js';
import { within } from '../testing/wait.js';

/**
 * Issue 20: per-key rate limits and quotas on the Contacts API, exact under a concurrent burst
 * against one process, `serve --workers 2` and two nodes sharing the database and Redis (the
 * successes are counted, not estimated), with real (short) windows for expiry and refills.
 * Runs on SQLite and (KEYMINT_TEST_DATABASE=postgres) PostgreSQL.
 */

interface Answer {
  status: number;
  headers: Headers;
  body: { error?: string; error_description?: string };
}

async function contacts(base: string, bearer: string): Promise<Answer> {
  const response = await fetch(`${base}/t/default/api/v1/contacts`, { headers: { authorization: `Bearer ${bearer}` } });
  return { status: response.status, headers: response.headers, body: await response.json() as Answer['body'] };
}

async function jwtOf(base: string, app: { clientId: string; clientSecret: string }): Promise<string> {
  const response = await postForm(`${base}/t/default/oauth/token`, { grant_type: 'client_credentials' }, { authorization: basic(app.clientId, app.clientSecret) });
  assert.equal(response.status, 200);
  return response.body.access_token;
}

for (const [name, start] of TOPOLOGIES) {
  describe(`per-key limits under a concurrent burst: ${name}`, { timeout: 240_000 }, () => {
    test('a kmk_ token with 50 uses answers exactly 50 of 120 concurrent requests; 30/1h answers exactly 30 of 80; an app\'s quota of 40 is shared by its tokens', async () => {
      const deployment = await start({});
      try {
        const quota = await deployment.cli('token', 'create', '--name', 'quota 50', '--scopes', 'contacts_read', '--quota', '50');
        assert.deepEqual(quota.info.limits, { rate_limit: null, quota: 50, quota_refill: null, fail_open: false });
        const answers = await burst(120, (i) => contacts(deployment.base(i), quota.token));
        assert.deepEqual(tally(answers), { 200: 50, 429: 70 });
        assert.ok(answers.filter((a) => a.status === 429).every((a) => a.body.error === 'usage_exceeded'));
        assert.equal((await contacts(deployment.base(1), quota.token)).status, 429, 'spent for good: no refill');

        const rate = await deployment.cli('token', 'create', '--name', 'rate 30', '--scopes', 'contacts_read', '--rate-limit', '30/1h');
        const limited = await burst(80, (i) => contacts(deployment.base(i), rate.token));
        assert.deepEqual(tally(limited), { 200: 30, 429: 50 });
        for (const refused of limited.filter((a) => a.status === 429)) {
          assert.equal(refused.body.error, 'rate_limited');
          const retryAfter = Number(refused.headers.get('retry-after'));
          assert.ok(retryAfter > 3500 && retryAfter <= 3600, `Retry-After ${retryAfter}`);
        }

        // One quota for the app: JWTs issued by either node draw on it together.
        const app = await deployment.createApp();
        await deployment.cli('app', 'limits', app.clientId, '--quota', '40');
        const tokens = [await jwtOf(deployment.base(0), app), await jwtOf(deployment.base(1), app)];
        // The app's new limits reach every node through the change feed (≤ 1 s).
        await new Promise((resolve) => setTimeout(resolve, 1_500));
        const shared = await burst(100, (i) => contacts(deployment.base(i), tokens[i % 2]!));
        assert.deepEqual(tally(shared), { 200: 40, 429: 60 });
      } finally {
        await deployment.close();
      }
    });
  });
}

describe('per-key limits with real time, headers and outages (one process)', { timeout: 120_000 }, () => {
  test('draft-ietf-httpapi-ratelimit-headers-10: RateLimit-Policy and RateLimit on every counted answer; a fixed window of 3/2s refuses the 4th with Retry-After, then opens again', async () => {
    const server = await startTestServer();
    try {
      const { token } = await keymintCli(server, 'token', 'create', '--name', 'windowed', '--scopes', 'contacts_read', '--rate-limit', '3/2s', '--quota', '100');
      const first = await contacts(server.url, token);
      assert.equal(first.status, 200);
      assert.equal(first.headers.get('ratelimit-policy'), '"rate";q=3;w=2, "quota";q=100');
      assert.match(first.headers.get('ratelimit')!, /^"rate";r=2;t=[12], "quota";r=99$/);
      assert.equal((await contacts(server.url, token)).status, 200);
      assert.equal((await contacts(server.url, token)).status, 200);
      const refused = await contacts(server.url, token);
      assert.equal(refused.status, 429);
      assert.equal(refused.body.error, 'rate_limited');
      assert.match(refused.body.error_description!, /rate limit/);
      const retryAfter = Number(refused.headers.get('retry-after'));
      assert.ok(retryAfter >= 1 && retryAfter <= 2, `Retry-After ${retryAfter}`);
      assert.match(refused.headers.get('ratelimit')!, /^"rate";r=0;t=[012]$/);
      await new Promise((resolve) => setTimeout(resolve, retryAfter * 1000 + 50));
      const reopened = await contacts(server.url, token);
      assert.equal(reopened.status, 200, 'a new window after Retry-After');
      assert.match(reopened.headers.get('ratelimit')!, /^"rate";r=2;t=[12], "quota";r=96$/, 'the refused request spent no quota');
    } finally {
      await server.close();
    }
  });

  test('a quota of 2 refilled to 2 every 2 s: the 3rd use is usage_exceeded with Retry-After until the refill; without a refill there is no Retry-After; removing the quota lifts it on the running server', async () => {
    const server = await startTestServer();
    try {
      const refilled = await keymintCli(server, 'token', 'create', '--name', 'refilled', '--scopes', 'contacts_read', '--quota', '2', '--quota-refill', '2/2s');
      assert.equal(refilled.info.limits.quota_refill, '2/2s');
      assert.deepEqual([(await contacts(server.url, refilled.token)).status, (await contacts(server.url, refilled.token)).status], [200, 200]);
      const spent = await contacts(server.url, refilled.token);
      assert.equal(spent.status, 429);
      assert.equal(spent.body.error, 'usage_exceeded');
      const retryAfter = Number(spent.headers.get('retry-after'));
      assert.ok(retryAfter >= 1 && retryAfter <= 2, `Retry-After ${retryAfter}`);
      await new Promise((resolve) => setTimeout(resolve, retryAfter * 1000 + 50));
      assert.equal((await contacts(server.url, refilled.token)).status, 200, 'refilled');

      const once = await keymintCli(server, 'token', 'create', '--name', 'once', '--scopes', 'contacts_read', '--quota', '1');
      assert.equal((await contacts(server.url, once.token)).status, 200);
      const gone = await contacts(server.url, once.token);
      assert.equal(gone.status, 429);
      assert.equal(gone.headers.get('retry-after'), null, 'retrying will not help');
      const changed = await keymintCli(server, 'token', 'limits', once.info.id, '--quota', 'none');
      assert.equal(changed.limits.quota, null);
      await within(2_000, 'the running server sees the quota removed', async () => (await contacts(server.url, once.token)).status === 200);
    } finally {
      await server.close();
    }
  });

  test('Redis unreachable: a key fails closed by default (503 temporarily_unavailable, nothing answered), or open when its limits say so; keys without limits are not affected', async () => {
    const server = await startTestServer({ env: { KEYMINT_REDIS_URL: `redis://127.0.0.1:${await freePort()}` } });
    try {
      const closed = await keymintCli(server, 'token', 'create', '--name', 'closed', '--scopes', 'contacts_read', '--quota', '10');
      const open = await keymintCli(server, 'token', 'create', '--name', 'open', '--scopes', 'contacts_read', '--quota', '10', '--fail-open');
      const free = await keymintCli(server, 'token', 'create', '--name', 'free', '--scopes', 'contacts_read');
      const refused = await contacts(server.url, closed.token);
      assert.equal(refused.status, 503);
      assert.equal(refused.body.error, 'temporarily_unavailable');
      assert.ok(Number(refused.headers.get('retry-after')) >= 1);
      const passed = await contacts(server.url, open.token);
      assert.equal(passed.status, 200);
      assert.equal(passed.headers.get('ratelimit'), null, 'nothing was counted');
      assert.equal((await contacts(server.url, free.token)).status, 200);
      assert.match(server.logs(), /key limit store failed/);
    } finally {
      await server.close();
    }
  });
});
