import assert from 'node:assert/strict';
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { AdminClient, createAdmin } from '../admin/testing.js';
import { keymintCli, keymintCliText } from '../testing/cli.js';
import { basic, postForm, startTestServer, type TestServer } from '../testing/harness.js';
import { CLIENT_ASSERTION_TYPE } from '../oauth/private-key-jwt.js';

// Apps registered with public keys for private_key_jwt (RFC 7523 §2.2, RFC 7591 `jwks`): the
// admin API and the CLI, JWKS validation, key rotation and the no-secret rule.

const T = '/tenants/default';
let server: TestServer;
let admin: AdminClient;

before(async () => {
  server = await startTestServer();
  const { email, password } = await createAdmin(server, 'owner@example.com');
  admin = await AdminClient.signIn(server, email, password);
});
after(() => server.close());

async function key(kid: string): Promise<{ privateKey: CryptoKey; publicJwk: JWK; privateJwk: JWK }> {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  return { privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid }, privateJwk: { ...(await exportJWK(privateKey)), kid } };
}

async function tokenWith(clientId: string, privateKey: CryptoKey, kid: string): Promise<number> {
  const now = Math.floor(Date.now() / 1000);
  const jwt = await new SignJWT({ iss: clientId, sub: clientId, aud: server.issuer, exp: now + 60, jti: randomUUID() }).setProtectedHeader({ alg: 'ES256', kid }).sign(privateKey);
  return (await postForm(`${server.issuer}/oauth/token`, { grant_type: 'client_credentials', client_assertion_type: CLIENT_ASSERTION_TYPE, client_assertion: jwt })).status;
}

describe('admin API: private_key_jwt apps', () => {
  test('create with auth_methods [private_key_jwt] and jwks: no secret; keys listed by kid and RFC 7638 thumbprint', async () => {
    const k1 = await key('k1');
    const created = await admin.call('POST', `${T}/apps`, { name: 'keyed', scopes: ['contacts_read'], auth_methods: ['private_key_jwt'], jwks: { keys: [k1.publicJwk] } });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal(created.body.secret, null);
    assert.deepEqual(created.body.app.auth_methods, ['private_key_jwt']);
    const clientId = created.body.app.client_id;
    const listed = await admin.call('GET', `${T}/apps/${clientId}/keys`);
    assert.equal(listed.body.keys.length, 1);
    assert.equal(listed.body.keys[0].kid, 'k1');
    assert.match(listed.body.keys[0].thumbprint, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(listed.body.keys[0].kty, 'EC');
    assert.equal(await tokenWith(clientId, k1.privateKey, 'k1'), 200);
    assert.deepEqual((await admin.call('GET', `${T}/apps/${clientId}/secrets`)).body.secrets, []);
  });

  test('JWKS validation: private members, symmetric keys, bad alg, duplicate kids, too many keys, and method mismatches are 400 naming the problem', async () => {
    const k = await key('dup');
    const smallRsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ format: 'jwk' });
    const cases: [string, unknown, RegExp][] = [
      ['private key', { auth_methods: ['private_key_jwt'], jwks: { keys: [k.privateJwk] } }, /private member\(s\) d/],
      ['symmetric key', { auth_methods: ['private_key_jwt'], jwks: { keys: [{ kty: 'oct', k: 'c2VjcmV0' }] } }, /private member\(s\) k/],
      ['HS256 alg', { auth_methods: ['private_key_jwt'], jwks: { keys: [{ ...k.publicJwk, alg: 'HS256' }] } }, /alg must be one of/],
      ['duplicate kid', { auth_methods: ['private_key_jwt'], jwks: { keys: [k.publicJwk, (await key('dup')).publicJwk] } }, /distinct kid/],
      ['small RSA key', { auth_methods: ['private_key_jwt'], jwks: { keys: [smallRsa] } }, /at least 2048 bits/],
      ['no jwks', { auth_methods: ['private_key_jwt'] }, /needs a JWKS/],
      ['jwks for a secret app', { jwks: { keys: [k.publicJwk] } }, /only for apps whose auth method is private_key_jwt/],
      ['private_key_jwt with a secret method', { auth_methods: ['private_key_jwt', 'client_secret_basic'], jwks: { keys: [k.publicJwk] } }, /cannot be combined/],
    ];
    for (const [what, body, message] of cases) {
      const response = await admin.call('POST', `${T}/apps`, { name: what, ...(body as object) });
      assert.equal(response.status, 400, what);
      assert.match(response.body.error_description, message, what);
    }
    const eleven = await Promise.all(Array.from({ length: 11 }, (_, i) => key(`k${i}`)));
    const tooMany = await admin.call('POST', `${T}/apps`, { name: 'many', auth_methods: ['private_key_jwt'], jwks: { keys: eleven.map((x) => x.publicJwk) } });
    assert.equal(tooMany.status, 400);
  });

  test('secret routes refuse a private_key_jwt app with 409, naming the keys instead', async () => {
    const created = await admin.call('POST', `${T}/apps`, { name: 'no secrets', auth_methods: ['private_key_jwt'], jwks: { keys: [(await key('a')).publicJwk] } });
    const clientId = created.body.app.client_id;
    for (const path of ['secrets', 'secrets/regenerate']) {
      const refused = await admin.call('POST', `${T}/apps/${clientId}/${path}`, {});
      assert.equal(refused.status, 409, path);
      assert.match(refused.body.error_description, /private_key_jwt and holds no secret/);
    }
  });

  test('rotation: add the new key, both work, remove the old one; the last key cannot be removed', async () => {
    const [old, next] = [await key('old'), await key('next')];
    const created = await admin.call('POST', `${T}/apps`, { name: 'rotating', auth_methods: ['private_key_jwt'], jwks: { keys: [old.publicJwk] } });
    const clientId = created.body.app.client_id;
    const added = await admin.call('POST', `${T}/apps/${clientId}/keys`, { jwks: { keys: [next.publicJwk] } });
    assert.equal(added.status, 201);
    assert.deepEqual(added.body.keys.map((k: any) => k.kid).sort(), ['next', 'old']);
    assert.equal((await admin.call('POST', `${T}/apps/${clientId}/keys`, { jwks: { keys: [next.publicJwk] } })).status, 400, 'the same kid again');
    assert.equal(await tokenWith(clientId, old.privateKey, 'old'), 200);
    assert.equal(await tokenWith(clientId, next.privateKey, 'next'), 200);
    const removed = await admin.call('DELETE', `${T}/apps/${clientId}/keys/old`);
    assert.deepEqual(removed.body.keys.map((k: any) => k.kid), ['next']);
    assert.equal(await tokenWith(clientId, old.privateKey, 'old'), 401, 'a removed key stops working at once');
    assert.equal(await tokenWith(clientId, next.privateKey, 'next'), 200);
    assert.equal((await admin.call('DELETE', `${T}/apps/${clientId}/keys/next`)).status, 409);
    assert.equal((await admin.call('DELETE', `${T}/apps/${clientId}/keys/nope`)).status, 404);
  });

  test('switching a secret app to private_key_jwt revokes its secrets; switching back asks for a new secret', async () => {
    const created = await admin.call('POST', `${T}/apps`, { name: 'switching', scopes: ['contacts_read'] });
    const clientId = created.body.app.client_id;
    const secret = created.body.secret.client_secret;
    const k = await key('s1');
    assert.equal((await admin.call('PATCH', `${T}/apps/${clientId}`, { auth_methods: ['private_key_jwt'] })).status, 400, 'no keys, none sent');
    const switched = await admin.call('PATCH', `${T}/apps/${clientId}`, { auth_methods: ['private_key_jwt'], jwks: { keys: [k.publicJwk] } });
    assert.equal(switched.status, 200);
    assert.equal((await postForm(`${server.issuer}/oauth/token`, { grant_type: 'client_credentials' }, { authorization: basic(clientId, secret) })).status, 401);
    assert.ok((await admin.call('GET', `${T}/apps/${clientId}/secrets`)).body.secrets.every((s: any) => s.status === 'revoked'));
    assert.equal(await tokenWith(clientId, k.privateKey, 's1'), 200);
    const back = await admin.call('PATCH', `${T}/apps/${clientId}`, { auth_methods: ['client_secret_basic'] });
    assert.equal(back.body.new_secret_required, true);
    assert.equal(await tokenWith(clientId, k.privateKey, 's1'), 401);
    assert.deepEqual((await admin.call('GET', `${T}/apps/${clientId}/keys`)).body.keys, []);
  });
});

describe('CLI: keymint app create --auth-methods private_key_jwt --jwks FILE, keymint app keys …', () => {
  test('create prints no secret; keys add, list and remove; secret add is refused in one line', async () => {
    const [first, second] = [await key('cli-1'), await key('cli-2')];
    const firstFile = join(server.dataDir, 'first.jwks.json');
    const secondFile = join(server.dataDir, 'second.jwks.json');
    writeFileSync(firstFile, JSON.stringify({ keys: [first.publicJwk] }));
    writeFileSync(secondFile, JSON.stringify({ keys: [second.publicJwk] }));
    const created = await keymintCli(server, 'app', 'create', '--name', 'cli keyed', '--scopes', 'contacts_read', '--auth-methods', 'private_key_jwt', '--jwks', firstFile);
    assert.equal(created.client_secret, null);
    assert.deepEqual(created.keys.map((k: any) => k.kid), ['cli-1']);
    const clientId = created.client_id;
    assert.equal(await tokenWith(clientId, first.privateKey, 'cli-1'), 200);

    assert.deepEqual((await keymintCli(server, 'app', 'keys', 'add', clientId, secondFile)).keys.map((k: any) => k.kid).sort(), ['cli-1', 'cli-2']);
    assert.equal((await keymintCli(server, 'app', 'keys', 'list', clientId)).keys.length, 2);
    assert.deepEqual((await keymintCli(server, 'app', 'keys', 'remove', clientId, 'cli-1')).keys.map((k: any) => k.kid), ['cli-2']);
    assert.equal(await tokenWith(clientId, second.privateKey, 'cli-2'), 200);

    const refused = await keymintCliText(server, 'app', 'secret', 'add', clientId);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /holds no secret/);
    const leaked = join(server.dataDir, 'private.jwks.json');
    writeFileSync(leaked, JSON.stringify({ keys: [first.privateJwk] }));
    const privateRefused = await keymintCliText(server, 'app', 'create', '--name', 'leak', '--auth-methods', 'private_key_jwt', '--jwks', leaked);
    assert.equal(privateRefused.code, 1);
    assert.match(privateRefused.stderr, /private member\(s\) d/);
  });
});
