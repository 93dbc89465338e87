import assert from 'node:assert/strict';
import { test } from 'node:test';
import { constructServices } from '../services.js';
import { basic, postForm, startTestServer, type TestServer } from '../testing/harness.js';
import { QueryCounter } from '../testing/query-counter.js';
import { fetchToken } from '../testing/tokens.js';
import { postJsonFrom, tally } from '../testing/http-from.js';
import { audited, burst, TOPOLOGIES } from '../testing/topologies.js';

/** POSTs to the public revoke endpoint; what a caller can observe: status, body, cache headers. */
async function revokePublicly(server: TestServer, credentials: unknown) {
  const response = await fetch(`${server.url}/v1/credentials/revoke`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ credentials }) });
  return { status: response.status, body: await response.text(), cacheControl: response.headers.get('cache-control'), type: response.headers.get('content-type') };
}

/** Flips one character of the random part, keeping the prefix and length: a typo or a guess. */
function mistype(token: string): string {
  return token.slice(0, 10) + (token[10] === 'a' ? 'b' : 'a') + token.slice(11);
}

test('Public revoke (/v1/credentials/revoke): live, already revoked and made-up credentials get the same answer; the live one dies', async () => {
  const server = await startTestServer({ env: { KEYMINT_PUBLIC_REVOKE_PER_MINUTE: '100' } });
  try {
    const { keymint } = server.server;
    const app = await server.createApp();
    const tenant = await keymint.tenants.get('default');
    const apiToken = (await keymint.apiTokens.create(tenant.id, await keymint.tenants.scopes(tenant.id), { name: 'pasted' }, { actor: 'cli' })).token;

    const live = await revokePublicly(server, [app.clientSecret]);
    const dead = await revokePublicly(server, [app.clientSecret]);
    const madeUp = await revokePublicly(server, [mistype(apiToken)]);
    const notOurs = await revokePublicly(server, ['hello world']);
    assert.deepEqual(live, { status: 202, body: '{"status":"accepted"}', cacheControl: 'no-store', type: 'application/json; charset=utf-8' });
    for (const other of [dead, madeUp, notOurs]) assert.deepEqual(other, live);

    const token = await postForm(`${server.issuer}/oauth/token`, { grant_type: 'client_credentials' }, { authorization: basic(app.clientId, app.clientSecret) });
    assert.equal(token.status, 401, 'the publicly revoked secret no longer authenticates');
    // The mistyped API token cost its real twin nothing.
    assert.equal((await fetch(`${server.issuer}/api/v1/contacts`, { headers: { authorization: `Bearer ${apiToken}` } })).status, 200);

    const leaked = await keymint.audit.query({ tenantId: tenant.id, action: 'credential.leaked' });
    assert.equal(leaked.length, 1);
    assert.deepEqual(leaked[0]!.detail, { type: 'client_secret', source: 'public_revoke' });
    assert.equal(leaked[0]!.actorId, 'public_revoke');
    assert.equal(leaked[0]!.target, app.secretId);

    // Bad shapes are 4xx JSON, never 5xx.
    for (const body of [{}, { credentials: [] }, { credentials: 'kms_x' }, { credentials: [1] }, { credentials: Array.from({ length: 101 }, () => 'kms_x') }, { credentials: ['kms_x'], extra: 1 }]) {
      const answer = await fetch(`${server.url}/v1/credentials/revoke`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      assert.equal(answer.status, 400, JSON.stringify(body).slice(0, 60));
      assert.equal(((await answer.json()) as { error: string }).error, 'invalid_request');
    }
    const form = await fetch(`${server.url}/v1/credentials/revoke`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `credentials=${app.clientSecret}` });
    assert.equal(form.status, 400, 'only JSON is read: no cross-site form can post here');
  } finally {
    await server.close();
  }
});

test('Public revoke: values that fail the prefix or checksum are refused before any database lookup', async () => {
  const server = await startTestServer();
  try {
    const { keymint } = server.server;
    const app = await server.createApp();
    const counter = new QueryCounter();
    // The same services over the real database, with every executed query counted.
    const counted = constructServices({ config: keymint.config, db: keymint.db.withPlugin(counter), keyring: keymint.keyring, log: keymint.log, now: keymint.now, onFeedError: () => {} });
    const madeUp = ['kms_', 'kmk_', 'kma_', 'kmr_', 'kmo_'].map((prefix) => mistype(prefix + app.clientSecret.slice(4)));
    counter.count = 0;
    const verdicts = await counted.leaks.revoke([...madeUp, { credential: 'nothing like a token' }].map((c) => (typeof c === 'string' ? { credential: c } : c)), 'public_revoke', { actor: 'system' });
    assert.ok(verdicts.every((v) => !v.revoked));
    assert.equal(counter.count, 0, 'no query for a value whose checksum is wrong');
    // The control: the real secret is looked up (and revoked).
    const [real] = await counted.leaks.revoke([{ credential: app.clientSecret }], 'public_revoke', { actor: 'system' });
    assert.ok(real!.revoked);
    assert.ok(counter.count > 0);
  } finally {
    await server.close();
  }
});

const BURST_ENV = { KEYMINT_PUBLIC_REVOKE_PER_MINUTE: '4' };

for (const [name, deploy] of TOPOLOGIES) {
  test(`Public revoke under a concurrent burst (${name}): 4 requests a minute per address, the secret revoked once and audited once`, { timeout: 240_000 }, async () => {
    const deployment = await deploy(BURST_ENV);
    try {
      const app = await deployment.createApp();
      const other = await deployment.createApp();
      // Thirty people paste the same leaked secret at once, from one address.
      const answers = await burst(30, (i) => postJsonFrom('127.0.0.1', `${deployment.base(i)}/v1/credentials/revoke`, { credentials: [app.clientSecret] }));
      assert.deepEqual(tally(answers), { 202: 4, 429: 26 });
      assert.ok(answers.filter((a) => a.status === 429).every((a) => Number(a.headers['retry-after']) >= 1));
      // Another address has its own budget.
      assert.equal((await postJsonFrom('127.0.0.2', `${deployment.base(1)}/v1/credentials/revoke`, { credentials: [app.clientSecret] })).status, 202);

      const secretId = (await deployment.db.selectFrom('app_secrets').innerJoin('apps', 'apps.id', 'app_secrets.app_id').select('app_secrets.id').where('apps.client_id', '=', app.clientId).executeTakeFirstOrThrow()).id;
      assert.equal(await audited(deployment.db, 'credential.leaked', secretId, 1), 1, 'four admitted requests at once: one revocation, one entry');
      assert.equal(await audited(deployment.db, 'app.secret_revoked', app.clientId, 1), 1);
      for (let i = 0; i < 2; i++) {
        const token = await postForm(`${deployment.base(i)}/t/default/oauth/token`, { grant_type: 'client_credentials' }, { authorization: basic(app.clientId, app.clientSecret) });
        assert.equal(token.status, 401, `node ${i} refuses the revoked secret`);
      }
      await fetchToken(`${deployment.base(0)}/t/default`, other.clientId, other.clientSecret);
    } finally {
      await deployment.close();
    }
  });
}
