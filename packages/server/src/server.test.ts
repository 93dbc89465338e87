import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TEST_DATABASE } from './testing/databases.js';
import { prepareTestStorage, startTestServer } from './testing/harness.js';

test('first start bootstraps tenant default with a signing key; a second start changes nothing', async () => {
  const storage = await prepareTestStorage();
  const { dataDir } = storage;
  const first = await startTestServer(storage);
  const tenantsBefore = await first.server.keymint.tenants.list();
  const tenant = tenantsBefore[0]!;
  const keysBefore = await first.server.keymint.keys.list(tenant.id);
  const jwksBefore = await (await fetch(`${first.issuer}/.well-known/jwks.json`)).json();
  const masterKey = readFileSync(join(dataDir, 'master.key'), 'utf8');
  assert.match(first.server.banner, /master key .*master\.key \(created now: back it up\)/);
  assert.match(first.server.banner, /tenant default .*\(created now\)/);
  await first.close();

  const second = await startTestServer(storage);
  try {
    assert.deepEqual(await second.server.keymint.tenants.list(), tenantsBefore);
    assert.deepEqual(await second.server.keymint.keys.list(tenant.id), keysBefore);
    assert.deepEqual(keysBefore.map((k) => k.state).sort(), ['current', 'next']);
    for (const key of keysBefore) assert.equal(key.alg, 'ES256');
    assert.deepEqual(await (await fetch(`${second.issuer}/.well-known/jwks.json`)).json(), jwksBefore);
    assert.equal(readFileSync(join(dataDir, 'master.key'), 'utf8'), masterKey);
    assert.doesNotMatch(second.server.banner, /created now/);
  } finally {
    await second.close();
    await storage.cleanup();
  }
});

test('the startup banner names the URL, the database and the issuer', async () => {
  const server = await startTestServer();
  try {
    assert.match(server.server.banner, new RegExp(`^Keymint is listening on ${server.url}`));
    const database = TEST_DATABASE === 'postgres' ? 'postgres://postgres@127\\.0\\.0\\.1:5432/keymint_test_' : `sqlite:${server.dataDir}/keymint.db`;
    assert.match(server.server.banner, new RegExp(`database +${database}`));
    assert.match(server.server.banner, new RegExp(`tenant default +issuer ${server.issuer}`));
    assert.match(server.server.banner, /master key +KEYMINT_MASTER_KEY/);
  } finally {
    await server.close();
  }
});

test('private signing keys are stored sealed, never as PEM or JWK private parts', async () => {
  const server = await startTestServer();
  try {
    const rows = await server.server.keymint.db.selectFrom('signing_keys').selectAll().execute();
    for (const row of rows) {
      // v2.<id of the master key that sealed it>.<iv>.<ciphertext>.<tag>
      assert.match(row.private_key_sealed, new RegExp(`^v2\\.${server.server.keymint.keyring.current.id}\\.`));
      assert.doesNotMatch(row.private_key_sealed, /PRIVATE KEY/);
      assert.equal((JSON.parse(row.public_jwk) as { d?: string }).d, undefined);
    }
    const secrets = await server.server.keymint.db.selectFrom('app_secrets').selectAll().execute();
    const app = await server.createApp();
    const stored = await server.server.keymint.db.selectFrom('app_secrets').selectAll().execute();
    assert.equal(stored.length, secrets.length + 1);
    for (const row of stored) assert.ok(!JSON.stringify(row).includes(app.clientSecret), 'no plaintext client secret in the database');
    if (TEST_DATABASE === 'sqlite') assert.ok(!readFileSync(join(server.dataDir, 'keymint.db')).includes(app.clientSecret));
  } finally {
    await server.close();
  }
});

test('/healthz and /readyz answer; unknown routes get a JSON 404', async () => {
  const server = await startTestServer();
  try {
    assert.deepEqual(await (await fetch(`${server.url}/healthz`)).json(), { status: 'ok' });
    assert.equal((await fetch(`${server.url}/readyz`)).status, 200);
    const missing = await fetch(`${server.url}/nope?secret=x`);
    assert.equal(missing.status, 404);
    assert.deepEqual(await missing.json(), { error: 'not_found', error_description: 'no route for GET /nope' });
    const openapi = (await (await fetch(`${server.url}/openapi.json`)).json()) as { paths: Record<string, unknown> };
    assert.ok(openapi.paths['/t/{tenant}/oauth/token'], 'the token endpoint is documented');
  } finally {
    await server.close();
  }
});

test('request ids: a sane X-Request-Id from a proxy is kept in the log, anything else is replaced', async () => {
  const server = await startTestServer();
  try {
    await fetch(`${server.url}/healthz`, { headers: { 'x-request-id': 'lb-1234.abc' } });
    await fetch(`${server.url}/healthz`, { headers: { 'x-request-id': 'evil"{}' + 'x'.repeat(300) } });
    const ids = server.logs().split('\n').filter(Boolean).map((line) => (JSON.parse(line) as { reqId?: string }).reqId).filter(Boolean);
    assert.ok(ids.includes('lb-1234.abc'));
    assert.ok(ids.every((id) => /^[\w.:-]{1,128}$/.test(id!)), 'every logged id is a plain token');
  } finally {
    await server.close();
  }
});
