import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import * as oauth from 'oauth4webapi';
import * as openid from 'openid-client';
import { base64url, exportJWK, generateKeyPair, importJWK, SignJWT, type CryptoKey, type JWK, type JWTPayload } from 'jose';
import { createClient } from '@keymint/sdk/node';
import { basic, postForm, startTestServer, TestClock, type TestServer } from '../testing/harness.js';
import { burst, TOPOLOGIES } from '../testing/topologies.js';
import { CLIENT_ASSERTION_TYPE } from './private-key-jwt.js';

// RFC 7523 §2.2 and §3, RFC 7521 §4.2, OpenID Connect Core §9: private_key_jwt client authentication.

let server: TestServer;
const clock = new TestClock();
let tokenUrl: string;

interface KeyPair { privateKey: CryptoKey; publicJwk: JWK; kid: string; alg: string }

async function keyPair(alg: string, kid: string): Promise<KeyPair> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true, ...(alg === 'EdDSA' ? { crv: 'Ed25519' } : {}) });
  return { privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid }, kid, alg };
}

async function createKeyApp(target: TestServer, keys: JWK[], name = 'pk app'): Promise<string> {
  const { keymint } = target.server;
  const tenant = await keymint.tenants.get('default');
  const { app, secret } = await keymint.apps.create(tenant.id, await keymint.tenants.scopes(tenant.id), {
    name, scopes: ['contacts_read'], authMethods: ['private_key_jwt'], jwks: { keys },
  });
  assert.equal(secret, null, 'a private_key_jwt app is issued no secret');
  return app.clientId;
}

/** A hand-made assertion: sensible claims for `clientId`, each overridable (undefined removes it). */
async function assertion(
  key: KeyPair, clientId: string,
  claims: Record<string, unknown> = {}, header: Record<string, unknown> = {},
): Promise<string> {
  const now = Math.floor(clock.now() / 1000);
  const payload: Record<string, unknown> = { iss: clientId, sub: clientId, aud: server.issuer, iat: now, exp: now + 60, jti: randomUUID(), ...claims };
  for (const [name, value] of Object.entries(payload)) if (value === undefined) delete payload[name];
  const alg = (header.alg as string | undefined) ?? key.alg;
  return new SignJWT(payload as JWTPayload).setProtectedHeader({ alg, kid: key.kid, ...header }).sign(key.privateKey);
}

function withAssertion(jwt: string, extra: Record<string, string> = {}): Record<string, string> {
  return { grant_type: 'client_credentials', client_assertion_type: CLIENT_ASSERTION_TYPE, client_assertion: jwt, ...extra };
}

function assertInvalidClient(response: { status: number; body: any }, what: string): void {
  assert.equal(response.status, 401, `${what}: ${JSON.stringify(response.body)}`);
  assert.equal(response.body.error, 'invalid_client', what);
}

/** An unsigned JWS (RFC 7519 §6.1). */
function unsecured(payload: Record<string, unknown>): string {
  const part = (value: object) => base64url.encode(JSON.stringify(value));
  return `${part({ alg: 'none', typ: 'JWT' })}.${part(payload)}.`;
}

let es256: KeyPair;
let clientId: string;

before(async () => {
  // Many refusals from one address below: the budget itself is tested on its own server.
  server = await startTestServer({ clock, env: { KEYMINT_AUTH_FAILURES_PER_CLIENT: '1000', KEYMINT_AUTH_FAILURES_PER_IP: '1000' } });
  tokenUrl = `${server.issuer}/oauth/token`;
  es256 = await keyPair('ES256', 'key-1');
  clientId = await createKeyApp(server, [es256.publicJwk]);
});
after(() => server.close());

describe('private_key_jwt with the clients integrators use', () => {
  test('oauth4webapi: RFC 8414 discovery lists private_key_jwt and its algorithms; PrivateKeyJwt gets a token', async () => {
    const issuer = new URL(server.issuer);
    const as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, { algorithm: 'oauth2', [oauth.allowInsecureRequests]: true }));
    assert.ok(as.token_endpoint_auth_methods_supported?.includes('private_key_jwt'));
    assert.deepEqual(as.token_endpoint_auth_signing_alg_values_supported, ['ES256', 'ES384', 'EdDSA', 'RS256', 'PS256']);
    assert.ok(as.introspection_endpoint_auth_methods_supported?.includes('private_key_jwt'));
    assert.ok(as.revocation_endpoint_auth_methods_supported?.includes('private_key_jwt'));
    const client = { client_id: clientId };
    const response = await oauth.clientCredentialsGrantRequest(as, client, oauth.PrivateKeyJwt({ key: es256.privateKey, kid: es256.kid }), new URLSearchParams({ scope: 'contacts_read' }), {
      [oauth.allowInsecureRequests]: true,
    });
    const result = await oauth.processClientCredentialsResponse(as, client, response);
    assert.equal(result.scope, 'contacts_read');
  });

  test('openid-client: OIDC discovery, PrivateKeyJwt for the token, then RFC 7662 introspection and RFC 7009 revocation authenticated the same way', async () => {
    const config = await openid.discovery(new URL(server.issuer), clientId, {}, openid.PrivateKeyJwt(es256.privateKey), { execute: [openid.allowInsecureRequests] });
    const tokens = await openid.clientCredentialsGrant(config, { scope: 'contacts_read' });
    const introspection = await openid.tokenIntrospection(config, tokens.access_token);
    assert.equal(introspection.active, true);
    assert.equal(introspection.client_id, clientId);
    await openid.tokenRevocation(config, tokens.access_token);
    assert.equal((await openid.tokenIntrospection(config, tokens.access_token)).active, false);
  });

  test('the Node SDK client: a private JWK with kid, or a CryptoKey without, builds a fresh assertion for every token request', async () => {
    const privateJwk = { ...(await exportJWK(es256.privateKey)), kid: es256.kid };
    const client = createClient({ issuer: server.issuer, clientId, privateKey: { key: privateJwk }, scopes: ['contacts_read'] });
    const first = await client.getToken();
    client.invalidate();
    const second = await client.getToken();
    assert.notEqual(first, second, 'a second token: the second assertion was not a replay');
    const contacts = await client.fetch(`${server.issuer}/api/v1/contacts`);
    assert.equal(contacts.status, 200);
    const noKid = createClient({ issuer: server.issuer, clientId, privateKey: { key: es256.privateKey } });
    assert.ok(await noKid.getToken());
  });

  test('every allowed algorithm verifies with its registered key (ES384, EdDSA, RS256, PS256), with and without kid', async () => {
    const keys = await Promise.all([keyPair('ES384', 'es384'), keyPair('EdDSA', 'ed'), keyPair('RS256', 'rsa')]);
    const id = await createKeyApp(server, keys.map((k) => k.publicJwk), 'many algs');
    for (const key of keys) {
      assert.equal((await postForm(tokenUrl, withAssertion(await assertion(key, id)))).status, 200, key.kid);
      // No kid: each key of the header's algorithm is tried.
      assert.equal((await postForm(tokenUrl, withAssertion(await assertion(key, id, {}, { kid: undefined })))).status, 200, `${key.kid} without kid`);
    }
    // WebCrypto binds a key to one algorithm: the same RSA private key, imported for PS256.
    const rsa = keys[2]!;
    const ps256 = { ...rsa, alg: 'PS256', privateKey: await importJWK(await exportJWK(rsa.privateKey), 'PS256') as CryptoKey };
    assert.equal((await postForm(tokenUrl, withAssertion(await assertion(ps256, id, {}, { alg: 'PS256' })))).status, 200, 'PS256 with the RSA key');
  });
});

describe('RFC 7523 §3 claims: aud is the issuer or the token endpoint URL, and each assertion is used once', () => {
  test('aud may be the issuer, either token endpoint URL, or an array holding one; both token paths accept it', async () => {
    for (const aud of [server.issuer, tokenUrl, `${server.issuer}/connect/token`, ['https://elsewhere.example', tokenUrl]]) {
      assert.equal((await postForm(tokenUrl, withAssertion(await assertion(es256, clientId, { aud })))).status, 200, JSON.stringify(aud));
    }
    assert.equal((await postForm(`${server.issuer}/connect/token`, withAssertion(await assertion(es256, clientId)))).status, 200);
  });

  test('client_id in the body may accompany the assertion (RFC 7521 §4.2) and must name the same client', async () => {
    assert.equal((await postForm(tokenUrl, withAssertion(await assertion(es256, clientId), { client_id: clientId }))).status, 200);
    const other = await createKeyApp(server, [(await keyPair('ES256', 'other')).publicJwk], 'other');
    assertInvalidClient(await postForm(tokenUrl, withAssertion(await assertion(es256, clientId), { client_id: other })), 'client_id of another app');
  });

  test('a replayed jti is refused (RFC 7523 §3 item 7)', async () => {
    const jwt = await assertion(es256, clientId);
    assert.equal((await postForm(tokenUrl, withAssertion(jwt))).status, 200);
    assertInvalidClient(await postForm(tokenUrl, withAssertion(jwt)), 'the same assertion again');
    assertInvalidClient(await postForm(`${server.issuer}/connect/token`, withAssertion(jwt)), 'the same assertion at the other path');
  });

  test('a burst of one assertion in one process: exactly one token', async () => {
    const jwt = await assertion(es256, clientId);
    const statuses = (await burst(20, () => postForm(tokenUrl, withAssertion(jwt)))).map((r) => r.status);
    assert.equal(statuses.filter((s) => s === 200).length, 1, statuses.join(','));
    assert.equal(statuses.filter((s) => s === 401).length, 19);
  });

  test('every bad assertion is one invalid_client (401)', async () => {
    const now = Math.floor(clock.now() / 1000);
    const attacker = await keyPair('ES256', 'key-1');
    const otherKey = await keyPair('ES256', 'someone-else');
    const otherApp = await createKeyApp(server, [otherKey.publicJwk], 'another app');
    const cases: [string, string][] = [
      ['wrong iss', await assertion(es256, clientId, { iss: otherApp })],
      ['wrong sub', await assertion(es256, clientId, { sub: otherApp })],
      ['wrong aud', await assertion(es256, clientId, { aud: 'https://elsewhere.example' })],
      ['aud of the introspection endpoint only', await assertion(es256, clientId, { aud: `${server.issuer}/oauth/introspect` })],
      ['no aud', await assertion(es256, clientId, { aud: undefined })],
      ['expired', await assertion(es256, clientId, { iat: now - 400, exp: now - 60 })],
      ['exp too far', await assertion(es256, clientId, { exp: now + 3600 })],
      ['no exp', await assertion(es256, clientId, { exp: undefined })],
      ['iat in the future', await assertion(es256, clientId, { iat: now + 120 })],
      ['nbf in the future', await assertion(es256, clientId, { nbf: now + 120 })],
      ['no jti', await assertion(es256, clientId, { jti: undefined })],
      ['alg none', unsecured({ iss: clientId, sub: clientId, aud: server.issuer, exp: now + 60, jti: randomUUID() })],
      ['HS256 with the public key as secret', await new SignJWT({ iss: clientId, sub: clientId, aud: server.issuer, exp: now + 60, jti: randomUUID() })
        .setProtectedHeader({ alg: 'HS256', kid: 'key-1' }).sign(new TextEncoder().encode(JSON.stringify(es256.publicJwk)))],
      ['unknown kid', await assertion(es256, clientId, {}, { kid: 'nope' })],
      ['key of another app', await assertion(otherKey, clientId, {}, { kid: 'key-1' })],
      ['an attacker key with the registered kid', await assertion(attacker, clientId)],
      ['an attacker key embedded as jwk', await assertion(attacker, clientId, {}, { jwk: attacker.publicJwk, kid: undefined })],
      ['a registered key\'s signature with a jku header (keys in the header are refused, never fetched)', await assertion(es256, clientId, {}, { jku: 'https://attacker.example/jwks' })],
      ['not a JWT', 'not.a.jwt'],
    ];
    for (const [what, jwt] of cases) assertInvalidClient(await postForm(tokenUrl, withAssertion(jwt)), what);
  });

  test('a private_key_jwt app cannot use a secret, and a secret app cannot use an assertion', async () => {
    assertInvalidClient(await postForm(tokenUrl, { grant_type: 'client_credentials', client_id: clientId, client_secret: 'kms_guess' }), 'secret for a key app');
    assertInvalidClient(await postForm(tokenUrl, { grant_type: 'client_credentials' }, { authorization: basic(clientId, 'kms_guess') }), 'Basic for a key app');
    const secretApp = await server.createApp();
    assertInvalidClient(await postForm(tokenUrl, withAssertion(await assertion(es256, secretApp.clientId))), 'assertion for a secret app');
  });

  test('secret and assertion together, or Basic with an assertion, is 400 invalid_request (RFC 6749 §2.3: one method)', async () => {
    const both = await postForm(tokenUrl, withAssertion(await assertion(es256, clientId), { client_secret: 'x' }));
    assert.equal(both.status, 400);
    assert.equal(both.body.error, 'invalid_request');
    const basicToo = await postForm(tokenUrl, withAssertion(await assertion(es256, clientId)), { authorization: basic(clientId, 'x') });
    assert.equal(basicToo.status, 400);
    const wrongType = await postForm(tokenUrl, { grant_type: 'client_credentials', client_assertion_type: 'urn:example', client_assertion: await assertion(es256, clientId) });
    assert.equal(wrongType.status, 400);
    assert.match(wrongType.body.error_description, /client_assertion_type must be/);
  });
});

describe('failed assertions spend the client-authentication budget (oauth/auth-failures.ts)', () => {
  let limited: TestServer;
  before(async () => {
    limited = await startTestServer({ env: { KEYMINT_AUTH_FAILURES_PER_CLIENT: '3' } });
  });
  after(() => limited.close());

  test('three bad assertions are 401, the fourth 429; the right key still succeeds', async () => {
    const key = await keyPair('ES256', 'k');
    const id = await createKeyApp(limited, [key.publicJwk]);
    const url = `${limited.issuer}/oauth/token`;
    const now = Math.floor(Date.now() / 1000);
    const expired = () => new SignJWT({ iss: id, sub: id, aud: limited.issuer, exp: now - 120, jti: randomUUID() }).setProtectedHeader({ alg: 'ES256', kid: 'k' }).sign(key.privateKey);
    for (let i = 0; i < 3; i++) assertInvalidClient(await postForm(url, withAssertion(await expired())), `failure ${i + 1}`);
    assert.equal((await postForm(url, withAssertion(await expired()))).status, 429);
    const good = await new SignJWT({ iss: id, sub: id, aud: limited.issuer, exp: now + 60, jti: randomUUID() }).setProtectedHeader({ alg: 'ES256', kid: 'k' }).sign(key.privateKey);
    assert.equal((await postForm(url, withAssertion(good))).status, 200);
  });
});

for (const [name, start] of TOPOLOGIES.filter(([topology]) => topology !== 'one process')) {
  describe(`one assertion sent at once to ${name}: the jti is claimed in the shared replay store`, () => {
    test('exactly one token', async () => {
      const deployment = await start({});
      try {
        const key = await keyPair('ES256', 'burst');
        const { clientId: id } = await deployment.createKeyApp({ keys: [key.publicJwk] });
        const now = Math.floor(Date.now() / 1000);
        const issuer = `${deployment.base(0)}/t/default`;
        const jwt = await new SignJWT({ iss: id, sub: id, aud: issuer, exp: now + 120, jti: randomUUID() }).setProtectedHeader({ alg: 'ES256', kid: 'burst' }).sign(key.privateKey);
        // Fewer than the 20 failures a client may have per window, so every loser is told 401.
        const responses = await burst(16, (i) => postForm(`${deployment.base(i)}/t/default/oauth/token`, withAssertion(jwt)));
        const statuses = responses.map((r) => r.status);
        assert.equal(statuses.filter((s) => s === 200).length, 1, statuses.join(','));
        assert.equal(statuses.filter((s) => s === 401).length, 15, statuses.join(','));
      } finally {
        await deployment.close();
      }
    });
  });
}
