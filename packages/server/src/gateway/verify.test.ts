import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { keymintCli } from '../testing/cli.js';
import { createDpopProof, generateDpopKey } from '@keymint/sdk/node';
import { basic, startTestServer, type TestServer } from '../testing/harness.js';
import { burst } from '../testing/topologies.js';
import { fetchToken, revoke } from '../testing/tokens.js';

/**
 * Issue 20 item 4: `POST {issuer}/v1/keys/verify` — authenticated like introspection, for kmk_,
 * kma_ and JWT keys, answering each documented code, spending only on VALID, exact under a burst.
 */

let server: TestServer;
let caller: { clientId: string; clientSecret: string };

before(async () => {
  server = await startTestServer();
  caller = await server.createApp({ name: 'gateway' });
});
after(() => server.close());

async function verify(body: unknown, authorization: string | null = basic(caller.clientId, caller.clientSecret)): Promise<{ status: number; headers: Headers; body: any }> {
  const response = await fetch(`${server.issuer}/v1/keys/verify`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
    body: JSON.stringify(body),
  });
  return { status: response.status, headers: response.headers, body: await response.json() };
}

describe('verify API', { timeout: 120_000 }, () => {
  test('a DPoP-bound JWT (RFC 9449 §6): VALID with cnf.jkt, so the gateway accepts it only with a proof by that key', async () => {
    const app = await server.createApp({ name: 'bound', scopes: ['contacts_read'] });
    const key = await generateDpopKey();
    const tokenUrl = `${server.issuer}/oauth/token`;
    const response = await fetch(tokenUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic(app.clientId, app.clientSecret), dpop: await createDpopProof(key, { method: 'POST', url: tokenUrl }) },
      body: 'grant_type=client_credentials',
    });
    const issued = await response.json() as { access_token: string; token_type: string };
    assert.equal(issued.token_type, 'DPoP');
    const answer = await verify({ key: issued.access_token });
    assert.equal(answer.body.code, 'VALID');
    assert.deepEqual(answer.body.cnf, { jkt: key.jkt });
    const unbound = await verify({ key: await fetchToken(server.issuer, app.clientId, app.clientSecret) });
    assert.equal(unbound.body.cnf, undefined, 'a Bearer token carries no cnf');
  });


  test('a kmk_ key: VALID with every documented field; INSUFFICIENT_SCOPE and a too-large cost spend nothing; USAGE_EXCEEDED once the quota is spent', async () => {
    const created = await keymintCli(server, 'token', 'create', '--name', 'partner', '--scopes', 'contacts_read', '--quota', '3', '--rate-limit', '100/1m');
    const first = await verify({ key: created.token });
    assert.equal(first.status, 200);
    assert.equal(first.headers.get('cache-control'), 'no-store');
    const { ratelimit, ...rest } = first.body;
    assert.deepEqual(rest, { valid: true, code: 'VALID', remaining: 2, reset: null, scopes: ['contacts_read'], token_id: created.info.id, expires_at: null });
    assert.equal(ratelimit.limit, 100);
    assert.equal(ratelimit.remaining, 99);
    assert.ok(ratelimit.reset > Date.now() && ratelimit.reset <= Date.now() + 60_000);

    const scoped = await verify({ key: created.token, scopes: ['contacts_read', 'contacts_write'] });
    assert.deepEqual(scoped.body, { valid: false, code: 'INSUFFICIENT_SCOPE', remaining: null, reset: null, ratelimit: null, scopes: ['contacts_read'], token_id: created.info.id, expires_at: null });
    const costly = await verify({ key: created.token, cost: 3 });
    assert.equal(costly.body.code, 'USAGE_EXCEEDED');
    assert.equal(costly.body.remaining, 2, 'a refused cost spends nothing');
    assert.equal((await verify({ key: created.token, cost: 2, scopes: ['contacts_read'] })).body.remaining, 0);
    const spent = await verify({ key: created.token });
    assert.equal(spent.body.valid, false);
    assert.equal(spent.body.code, 'USAGE_EXCEEDED');
  });

  test('NOT_FOUND for unknown, malformed and another tenant\'s keys; EXPIRED; a JWT and a kma_ token carry client_id, expires_at and their app\'s limits; REVOKED after RFC 7009', async () => {
    assert.equal((await verify({ key: 'kmk_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' })).body.code, 'NOT_FOUND');
    assert.equal((await verify({ key: 'not a key' })).body.code, 'NOT_FOUND');
    await server.server.keymint.tenants.create('other');
    const elsewhere = await keymintCli(server, '--tenant', 'other', 'token', 'create', '--name', 'theirs');
    assert.deepEqual((await verify({ key: elsewhere.token })).body, { valid: false, code: 'NOT_FOUND', remaining: null, reset: null, ratelimit: null, scopes: [], expires_at: null });

    const shortLived = await keymintCli(server, 'token', 'create', '--name', 'short', '--scopes', 'contacts_read', '--expires-in', '1s');
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    assert.equal((await verify({ key: shortLived.token })).body.code, 'EXPIRED');

    const app = await server.createApp({ name: 'limited app', limits: { quota: 10 } });
    const jwt = await fetchToken(server.issuer, app.clientId, app.clientSecret);
    const answer = (await verify({ key: jwt, scopes: ['contacts_read'] })).body;
    assert.equal(answer.code, 'VALID');
    assert.equal(answer.client_id, app.clientId);
    assert.equal(answer.remaining, 9, 'the app\'s quota');
    const exp = JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString()).exp as number;
    assert.equal(answer.expires_at, exp * 1000);
    assert.equal((await revoke(server.issuer, app.clientId, app.clientSecret, jwt)).status, 200);
    assert.equal((await verify({ key: jwt })).body.code, 'REVOKED');

    const opaqueApp = await server.createApp({ name: 'opaque', tokenFormat: 'opaque' });
    const opaque = await fetchToken(server.issuer, opaqueApp.clientId, opaqueApp.clientSecret);
    const described = (await verify({ key: opaque })).body;
    assert.equal(described.code, 'VALID');
    assert.equal(described.client_id, opaqueApp.clientId);
    assert.equal(described.remaining, null, 'no quota');
  });

  test('authenticated like introspection: no credentials → 400, wrong ones → 401 invalid_client; bad bodies → 400 invalid_request, never 5xx', async () => {
    const created = await keymintCli(server, 'token', 'create', '--name', 'auth', '--scopes', 'contacts_read', '--quota', '5');
    // As at introspection: no credentials at all is a malformed request, wrong ones invalid_client.
    const anonymous = await verify({ key: created.token }, null);
    assert.equal(anonymous.status, 400);
    assert.equal(anonymous.body.error, 'invalid_request');
    const wrong = await verify({ key: created.token }, basic(caller.clientId, 'kms_wrong'));
    assert.equal(wrong.status, 401);
    assert.equal(wrong.headers.get('www-authenticate')?.startsWith('Basic'), true);
    for (const body of [{}, { key: created.token, cost: 0 }, { key: created.token, extra: 1 }, { key: 5 }, { key: created.token, scopes: 'contacts_read' }]) {
      const refused = await verify(body);
      assert.equal(refused.status, 400, JSON.stringify(body));
      assert.equal(refused.body.error, 'invalid_request');
    }
    const form = await fetch(`${server.issuer}/v1/keys/verify`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic(caller.clientId, caller.clientSecret) }, body: `key=${created.token}` });
    assert.equal(form.status, 400);
    assert.equal((await verify({ key: created.token })).body.remaining, 4, 'nothing above spent a use');
  });

  test('60 concurrent verifications of a key with 25 uses → exactly 25 VALID, 35 USAGE_EXCEEDED', async () => {
    const created = await keymintCli(server, 'token', 'create', '--name', 'burst', '--scopes', 'contacts_read', '--quota', '25');
    const answers = await burst(60, () => verify({ key: created.token, scopes: ['contacts_read'] }));
    assert.equal(answers.filter((a) => a.body.code === 'VALID').length, 25);
    assert.equal(answers.filter((a) => a.body.code === 'USAGE_EXCEEDED').length, 35);
    assert.deepEqual([...new Set(answers.filter((a) => a.body.valid).map((a) => a.body.remaining))].length, 25, 'each VALID saw a different count');
  });
});
