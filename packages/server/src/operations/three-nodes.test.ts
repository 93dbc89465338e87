import { test } from 'node:test';
import { within } from '../testing/wait.js';
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { randomKey } from '../crypto/random.js';
import { basic, postForm, prepareTestStorage, startTestServer, TestClock, type TestServer } from '../testing/harness.js';
import { TEST_DATABASE } from '../testing/databases.js';

/**
 * Three Keymint nodes on one database, as behind a load balancer: one public URL (so one issuer),
 * each node reached on its own loopback port. On PostgreSQL the change-log poll is set to 5 s so
 * that seeing a change within 1 s proves LISTEN/NOTIFY carried it; SQLite has no NOTIFY and keeps
 * the default poll (250 ms).
 */
async function threeNodes(clock: TestClock) {
  const storage = await prepareTestStorage();
  const env = {
    KEYMINT_MASTER_KEY: randomKey(32).toString('base64url'),
    KEYMINT_PUBLIC_URL: 'https://auth.example.test',
    KEYMINT_CHANGE_POLL_MS: TEST_DATABASE === 'postgres' ? '5000' : '250',
  };
  const nodes: TestServer[] = [];
  for (let i = 0; i < 3; i++) nodes.push(await startTestServer({ ...storage, env, clock }));
  const base = (node: TestServer) => `http://127.0.0.1:${(node.server.app.server.address() as AddressInfo).port}/t/default`;
  return {
    nodes,
    base,
    async close() {
      for (const node of nodes) await node.close();
      await storage.cleanup();
    },
  };
}

async function token(base: string, clientId: string, secret: string): Promise<{ status: number; token?: string }> {
  const response = await postForm(`${base}/oauth/token`, { grant_type: 'client_credentials' }, { authorization: basic(clientId, secret) });
  return { status: response.status, token: response.body?.access_token };
}

async function contacts(base: string, accessToken: string): Promise<number> {
  const response = await fetch(`${base}/api/v1/contacts`, { headers: { authorization: `Bearer ${accessToken}` } });
  await response.arrayBuffer();
  return response.status;
}

test('three nodes: an app created on node 1 gets a token on node 2 that node 3 accepts; a revocation or a disable on node 1 is refused on nodes 2 and 3 within 1 s', async () => {
  const cluster = await threeNodes(new TestClock());
  const [n1, n2, n3] = cluster.nodes as [TestServer, TestServer, TestServer];
  const [b1, b2, b3] = [cluster.base(n1), cluster.base(n2), cluster.base(n3)];
  try {
    const app = await n1.createApp({ scopes: ['contacts_read'] });
    const issued = await token(b2, app.clientId, app.clientSecret);
    assert.equal(issued.status, 200, 'node 2 knows the app created on node 1');
    assert.equal(await contacts(b3, issued.token!), 200, 'node 3 accepts the token node 2 issued');
    assert.equal(await contacts(b2, issued.token!), 200);

    // RFC 7009 revocation on node 1: nodes 2 and 3 refuse the token within a second.
    const revoked = await postForm(`${b1}/oauth/revoke`, { token: issued.token! }, { authorization: basic(app.clientId, app.clientSecret) });
    assert.equal(revoked.status, 200);
    assert.equal(await contacts(b1, issued.token!), 401);
    const seen2 = await within(1_000, 'revocation on node 2', async () => (await contacts(b2, issued.token!)) === 401);
    const seen3 = await within(1_000, 'revocation on node 3', async () => (await contacts(b3, issued.token!)) === 401);
    assert.ok(seen2 < 1_000 && seen3 < 1_000);

    // Disabling the app on node 1: no more tokens on nodes 2 and 3, and its live token is refused.
    const live = await token(b3, app.clientId, app.clientSecret);
    assert.equal(live.status, 200);
    assert.equal(await contacts(b2, live.token!), 200);
    await n1.server.keymint.apps.disable((await n1.server.keymint.tenants.get('default')).id, app.clientId);
    await within(1_000, 'disabled app on node 2', async () => (await token(b2, app.clientId, app.clientSecret)).status === 401);
    await within(1_000, 'disabled app on node 3', async () => (await token(b3, app.clientId, app.clientSecret)).status === 401);
    await within(1_000, 'disabled app token on node 2', async () => (await contacts(b2, live.token!)) === 401);
    await within(1_000, 'disabled app token on node 3', async () => (await contacts(b3, live.token!)) === 401);
  } finally {
    await cluster.close();
  }
});

test('three nodes: rotating the signing key while a bounded load runs against all three fails no request', async () => {
  const clock = new TestClock();
  const cluster = await threeNodes(clock);
  const bases = cluster.nodes.map(cluster.base);
  const n1 = cluster.nodes[0]!;
  try {
    const app = await n1.createApp({ scopes: ['contacts_read'] });
    const tenant = await n1.server.keymint.tenants.get('default');
    const before = (await n1.server.keymint.keys.list(tenant.id)).find((k) => k.state === 'current')!.kid;
    const failures: string[] = [];
    let requests = 0;
    const deadline = Date.now() + 2_500;
    // Each worker gets a token from one node and uses it on the next: signing and verifying cross nodes.
    const worker = async (offset: number) => {
      for (let i = offset; Date.now() < deadline; i++) {
        const issuer = bases[i % 3]!;
        const verifier = bases[(i + 1) % 3]!;
        const issued = await token(issuer, app.clientId, app.clientSecret);
        requests += 1;
        if (issued.status !== 200) {
          failures.push(`token on ${issuer}: ${issued.status}`);
          continue;
        }
        const status = await contacts(verifier, issued.token!);
        requests += 1;
        if (status !== 200) failures.push(`contacts on ${verifier}: ${status}`);
      }
    };
    const load = Promise.all([0, 1, 2, 3].map(worker));
    await new Promise((resolve) => setTimeout(resolve, 700));
    // The staged next key has been published long enough (JWKS max-age + two polls) once the clock moves.
    clock.advance(n1.server.keymint.config.jwksMaxAgeSeconds * 1000 + 2 * n1.server.keymint.config.changePollMs + 1_000);
    const rotation = await n1.server.keymint.keys.rotate(tenant.id);
    assert.ok(rotation.promoted, 'the next key was promoted');
    await load;
    assert.deepEqual(failures, [], `${failures.length} of ${requests} requests failed`);
    assert.ok(requests > 50, `a real load ran (${requests} requests)`);
    // Every node now signs with the new key.
    for (const base of bases) {
      const issued = await token(base, app.clientId, app.clientSecret);
      const header = JSON.parse(Buffer.from(issued.token!.split('.')[0]!, 'base64url').toString());
      assert.notEqual(header.kid, before, `${base} still signs with the old key`);
    }
  } finally {
    await cluster.close();
  }
});
