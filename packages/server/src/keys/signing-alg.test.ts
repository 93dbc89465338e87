import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { createVerifier } from '@keymint/sdk/node';
import { AdminClient, createAdmin } from '../admin/testing.js';
import { SIGNING_ALGORITHMS } from '../crypto/algorithms.js';
import { keymintCli, keymintCliText } from '../testing/cli.js';
import { startTestServer } from '../testing/harness.js';
import { fetchToken } from '../testing/tokens.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function metadataAlgs(issuer: string): Promise<unknown[]> {
  const metadata = (await (await fetch(`${issuer}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
  return [metadata.id_token_signing_alg_values_supported, metadata.introspection_signing_alg_values_supported];
}

test('signing algorithm per tenant: RS256, ES256 and EdDSA tenants issue tokens that jose and the SDK verifier accept, and their metadata says which', { timeout: 60_000 }, async () => {
  const server = await startTestServer();
  try {
    const { keymint } = server.server;
    for (const alg of SIGNING_ALGORITHMS) {
      const slug = `t-${alg.toLowerCase()}`;
      await keymint.tenants.create(slug, slug, undefined, { signingAlg: alg });
      const issuer = `${server.url}/t/${slug}`;
      const app = await server.createApp({ tenant: slug });
      const token = await fetchToken(issuer, app.clientId, app.clientSecret);
      assert.equal(decodeProtectedHeader(token).alg, alg);
      const jwks = createRemoteJWKSet(new URL(`${issuer}/.well-known/jwks.json`));
      const { payload } = await jwtVerify(token, jwks, { issuer, audience: `${issuer}/api`, typ: 'at+jwt', algorithms: [alg] });
      assert.equal(payload.client_id, app.clientId);
      const verifier = createVerifier({ issuer, audience: `${issuer}/api`, revocationPollMs: false });
      try {
        assert.equal((await verifier.verify(token)).client_id, app.clientId, `${alg}: the SDK verifier accepts it by default`);
      } finally {
        verifier.close();
      }
      assert.deepEqual(await metadataAlgs(issuer), [[alg], [alg]]);
      assert.equal((await fetch(`${issuer}/api/v1/contacts`, { headers: { authorization: `Bearer ${token}` } })).status, 200, `${alg}: the Contacts API accepts it`);
    }
    assert.deepEqual(await metadataAlgs(server.issuer), [['ES256'], ['ES256']], 'the default stays ES256');
    await assert.rejects(keymint.tenants.create('bad', 'bad', undefined, { signingAlg: 'HS256' }), { code: 'invalid_request' });
    await assert.rejects(keymint.tenants.updateSettings('default', { signingAlg: 'none' }), { code: 'invalid_request' });
  } finally {
    await server.close();
  }
});

test('changing the algorithm: a key of the new one is published ahead, then signs; the old key stays in the JWKS for the tokens it signed; audited', { timeout: 60_000 }, async () => {
  // A 1 s JWKS max-age (the publish-ahead time) and a 1 s maintenance period keep the waits short.
  const server = await startTestServer({ env: { KEYMINT_JWKS_MAX_AGE: '1', KEYMINT_KEY_CHECK_INTERVAL: '1' } });
  try {
    const { keymint } = server.server;
    const tenant = await keymint.tenants.get('default');
    const app = await server.createApp();
    const before = await fetchToken(server.issuer, app.clientId, app.clientSecret);
    const [oldKid] = (await keymint.keys.list(tenant.id)).filter((k) => k.state === 'current').map((k) => k.kid);

    // EdDSA, then RS256 before the EdDSA key ever signed: that key is withdrawn, never promoted.
    await keymint.tenants.updateSettings('default', { signingAlg: 'EdDSA' }, { actor: 'cli' });
    const settled = await keymint.tenants.updateSettings('default', { signingAlg: 'RS256' }, { actor: 'cli' });
    assert.equal(settled.settings.signingAlg, 'RS256');
    const staged = await keymint.keys.list(tenant.id);
    assert.deepEqual(staged.map((k) => [k.alg, k.state]).sort(), [['ES256', 'current'], ['RS256', 'next']], 'one next key, of the new algorithm');
    const jwks = (await (await fetch(`${server.issuer}/.well-known/jwks.json`)).json()) as { keys: { kty: string }[] };
    assert.deepEqual(jwks.keys.map((k) => k.kty).sort(), ['EC', 'RSA'], 'published before it signs');
    assert.equal(decodeProtectedHeader(await fetchToken(server.issuer, app.clientId, app.clientSecret)).alg, 'ES256', 'not yet signing: verifiers may not have it');

    const deadline = Date.now() + 15_000;
    let after = '';
    while (Date.now() < deadline) {
      after = await fetchToken(server.issuer, app.clientId, app.clientSecret);
      if (decodeProtectedHeader(after).alg === 'RS256') break;
      await sleep(200);
    }
    assert.equal(decodeProtectedHeader(after).alg, 'RS256', 'the new key signs after the publish-ahead time');
    const remote = createRemoteJWKSet(new URL(`${server.issuer}/.well-known/jwks.json`));
    await jwtVerify(before, remote, { issuer: server.issuer, algorithms: ['ES256'] });
    await jwtVerify(after, remote, { issuer: server.issuer, algorithms: ['RS256'] });
    const keys = await keymint.keys.list(tenant.id);
    assert.equal(keys.find((k) => k.kid === oldKid)?.state, 'retired', 'the old key stays published until its tokens expire');
    assert.ok(keys.filter((k) => k.state === 'next').every((k) => k.alg === 'RS256'), 'its successor is of the new algorithm too');
    assert.deepEqual(await metadataAlgs(server.issuer), [['RS256'], ['RS256']]);

    const audit = await keymint.audit.list(tenant.id);
    const changes = audit.filter((e) => e.action === 'tenant.settings_updated').map((e) => e.detail);
    assert.deepEqual(changes.reverse(), [{ signing_alg: 'EdDSA' }, { signing_alg: 'RS256' }]);
    assert.equal(audit.filter((e) => e.action === 'signing_key.withdrawn').length, 2, 'the ES256 next key, then the EdDSA one');
    assert.ok(audit.some((e) => e.action === 'signing_key.rotated' && e.actor === 'system'));
  } finally {
    await server.close();
  }
});

test('maintenance finishes an algorithm change whose key step never ran (the process stopped after storing the setting)', async () => {
  const server = await startTestServer();
  try {
    const { keymint } = server.server;
    const tenant = await keymint.tenants.get('default');
    await keymint.db.updateTable('tenants').set({ settings: JSON.stringify({ ...tenant.settings, signingAlg: 'EdDSA' }) }).where('id', '=', tenant.id).execute();
    await keymint.keys.maintain(tenant.id);
    const next = (await keymint.keys.list(tenant.id)).filter((k) => k.state === 'next');
    assert.deepEqual(next.map((k) => k.alg), ['EdDSA']);
    assert.ok(next[0]!.activatedAt !== null, 'scheduled to sign after publish-ahead');
  } finally {
    await server.close();
  }
});

test('keymint tenant create --signing-alg and tenant settings --signing-alg; the admin API settings carry signing_alg', { timeout: 60_000 }, async () => {
  const server = await startTestServer();
  try {
    const created = await keymintCli(server, 'tenant', 'create', 'legacy', '--signing-alg', 'RS256');
    assert.equal(created.tenant, 'legacy');
    const token = await fetchToken(`${server.url}/t/legacy`, ...(await server.createApp({ tenant: 'legacy' }).then((a) => [a.clientId, a.clientSecret] as const)));
    assert.equal(decodeProtectedHeader(token).alg, 'RS256');
    const refused = await keymintCliText(server, 'tenant', 'create', 'other', '--signing-alg', 'HS256');
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /RS256, ES256, EdDSA/);

    const changed = await keymintCli(server, 'tenant', 'settings', 'legacy', '--signing-alg', 'EdDSA');
    assert.equal(changed.signing_alg, 'EdDSA');

    const { email, password } = await createAdmin(server, 'owner@example.com');
    const admin = await AdminClient.signIn(server, email, password);
    assert.equal((await admin.call('GET', '/tenants/legacy/settings')).body.signing_alg, 'EdDSA');
    const patched = await admin.call('PATCH', '/tenants/default/settings', { signing_alg: 'RS256' });
    assert.equal(patched.status, 200);
    assert.equal(patched.body.signing_alg, 'RS256');
    assert.equal((await admin.call('PATCH', '/tenants/default/settings', { signing_alg: 'HS256' })).status, 400);
    const viaApi = await admin.call('POST', '/tenants', { slug: 'viaapi', signing_alg: 'EdDSA' });
    assert.equal(viaApi.status, 201);
    const keys = await server.server.keymint.keys.list((await server.server.keymint.tenants.get('viaapi')).id);
    assert.ok(keys.every((k) => k.alg === 'EdDSA'));
  } finally {
    await server.close();
  }
});
