import { test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import SQLite from 'better-sqlite3';
import { join } from 'node:path';
import { randomKey } from '../crypto/random.js';
import { basic, postForm, prepareTestStorage, startTestServer } from '../testing/harness.js';
import { spawnServe, type ServeProcess, type TestStorage } from '../testing/serve-process.js';

/** Row counts straight from the database every node shares. */
async function count(storage: TestStorage, query: string): Promise<number> {
  if (storage.databaseUrl) {
    const client = new pg.Client({ connectionString: storage.databaseUrl });
    await client.connect();
    try {
      return Number((await client.query(query)).rows[0].n);
    } finally {
      await client.end();
    }
  }
  const db = new SQLite(join(storage.dataDir, 'keymint.db'), { readonly: true });
  try {
    return Number((db.prepare(query).get() as { n: number }).n);
  } finally {
    db.close();
  }
}

/** Three `keymint serve` processes started in the same instant on one empty database. */
async function startTogether(storage: TestStorage, n = 3): Promise<ServeProcess[]> {
  const env = { KEYMINT_MASTER_KEY: randomKey(32).toString('base64url'), KEYMINT_PUBLIC_URL: 'https://auth.example.test' };
  const started = await Promise.allSettled(Array.from({ length: n }, () => spawnServe([], env, { storage })));
  const nodes = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const failed = started.flatMap((s) => (s.status === 'rejected' ? [String(s.reason)] : []));
  if (failed.length > 0) {
    await Promise.all(nodes.map((node) => node.cleanup()));
    assert.fail(`every node comes up: ${failed.join('\n')}`);
  }
  return nodes;
}

const setupToken = (node: ServeProcess): string | null => /admin setup +\S+\?token=(\S+)/.exec(node.output())?.[1] ?? null;

test('DESIGN §first start / SECURITY-CHECKLIST: nodes started at once on an empty database all come up with one tenant default and one key set, repeatedly', { timeout: 240_000 }, async () => {
  for (let round = 0; round < 3; round++) {
    const storage = await prepareTestStorage();
    const nodes = await startTogether(storage);
    try {
      assert.equal(await count(storage, `select count(*) as n from tenants`), 1, 'one tenant');
      assert.equal(await count(storage, `select count(*) as n from signing_keys where state = 'current'`), 1, 'one current key');
      assert.equal(await count(storage, `select count(*) as n from signing_keys where state = 'next'`), 1, 'one published next key');
      // Every node signs with that key: an app made on one gets tokens from all.
      const app = await nodes[0]!.cli('app', 'create', '--name', 'boot', '--scopes', 'contacts_read');
      for (const node of nodes) {
        const issued = await postForm(`${node.issuer}/oauth/token`, { grant_type: 'client_credentials' }, { authorization: basic(app.client_id, app.client_secret) });
        assert.equal(issued.status, 200, node.output());
      }
      const jwks = await Promise.all(nodes.map((node) => fetch(`${node.issuer}/.well-known/jwks.json`).then((r) => r.text())));
      assert.equal(new Set(jwks).size, 1, 'one key set, served alike by every node');
    } finally {
      for (const node of nodes) await node.cleanup();
      await storage.cleanup();
    }
  }
});

test('issue 14 item 6: every printed setup link used at once, twice each, creates exactly one global owner', { timeout: 180_000 }, async () => {
  const storage = await prepareTestStorage();
  const nodes = await startTogether(storage);
  try {
    const links = nodes.map((node) => ({ node, token: setupToken(node) })).filter((l): l is { node: ServeProcess; token: string } => l.token !== null);
    assert.ok(links.length >= 1, 'at least one node printed a link');
    const attempts = links.flatMap((link, i) => [0, 1].map((j) =>
      fetch(`${link.node.url}/admin/v1/setup`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', origin: 'https://auth.example.test' },
        body: JSON.stringify({ token: link.token, email: `owner${i}-${j}@example.com`, password: 'a long enough password' }),
      }).then(async (r) => ({ status: r.status, body: await r.json() as { error?: string } })),
    ));
    const results = await Promise.all(attempts);
    assert.equal(results.filter((r) => r.status === 200).length, 1, JSON.stringify(results));
    assert.ok(results.every((r) => r.status === 200 || (r.status === 400 && r.body.error === 'invalid_request')), JSON.stringify(results));
    assert.equal(await count(storage, `select count(*) as n from admin_accounts`), 1, 'exactly one account exists');
    assert.equal(await count(storage, `select count(*) as n from admin_accounts where role = 'owner' and tenant_id is null`), 1, 'and it is a global owner');
    assert.equal(await count(storage, `select count(*) as n from admin_setup_tokens where account_id is null and used_at is null`), 0, 'no bootstrap link stays usable');
  } finally {
    for (const node of nodes) await node.cleanup();
    await storage.cleanup();
  }
});


test('two servers started at once in one process on one fresh database both come up (the start-up lock is taken in turn, not by a blocked event loop)', { timeout: 120_000 }, async () => {
  const storage = await prepareTestStorage();
  const env = { KEYMINT_MASTER_KEY: randomKey(32).toString('base64url') };
  try {
    const servers = await Promise.all([startTestServer({ ...storage, env }), startTestServer({ ...storage, env })]);
    try {
      for (const server of servers) assert.equal((await fetch(`${server.url}/readyz`)).status, 200);
      assert.equal(await count(storage, `select count(*) as n from signing_keys where state = 'current'`), 1);
    } finally {
      for (const server of servers) await server.close();
    }
  } finally {
    await storage.cleanup();
  }
});
