import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { calculateJwkThumbprint, decodeJwt, exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';
import * as oauth from 'oauth4webapi';
import * as openid from 'openid-client';
import type { AddressInfo } from 'node:net';
import Fastify from 'fastify';
import { accessTokenHash, createClient, createDpopProof, createDpopVerifier, createVerifier, fastifyAuth, generateDpopKey, type DpopKey } from '@keymint/sdk/node';
import { AdminClient, createAdmin } from '../admin/testing.js';
import { keymintCli, keymintCliText } from '../testing/cli.js';
import { basic, startTestServer, type TestServer } from '../testing/harness.js';
import { within } from '../testing/wait.js';
import { introspect } from '../testing/tokens.js';

/**
 * RFC 9449 DPoP end to end against a real server: real clients (oauth4webapi, openid-client, the
 * Node SDK) get bound tokens and use them at the Contacts API; hand-made proofs show each refusal.
 */
let server: TestServer;
const insecure = { [oauth.allowInsecureRequests]: true };
const contacts = () => `${server.issuer}/api/v1/contacts`;
const tokenEndpoint = () => `${server.issuer}/oauth/token`;

async function tokenRequest(app: { clientId: string; clientSecret: string }, headers: Record<string, string> = {}, url = tokenEndpoint()): Promise<{ status: number; headers: Headers; body: Record<string, unknown> }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { authorization: basic(app.clientId, app.clientSecret), 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: 'grant_type=client_credentials&scope=contacts_read',
  });
  return { status: response.status, headers: response.headers, body: (await response.json()) as Record<string, unknown> };
}

async function boundToken(app: { clientId: string; clientSecret: string }, key: DpopKey): Promise<string> {
  const granted = await tokenRequest(app, { dpop: await createDpopProof(key, { method: 'POST', url: tokenEndpoint() }) });
  assert.equal(granted.status, 200, JSON.stringify(granted.body));
  assert.equal(granted.body.token_type, 'DPoP');
  return granted.body.access_token as string;
}

async function callContacts(authorization: string, proof?: string, url = contacts()): Promise<{ status: number; challenge: string; body: Record<string, unknown> }> {
  const response = await fetch(url, { headers: { authorization, ...(proof === undefined ? {} : { dpop: proof }) } });
  return { status: response.status, challenge: response.headers.get('www-authenticate') ?? '', body: (await response.json()) as Record<string, unknown> };
}

/** A proof for the Contacts API built by hand, so each refusal case changes one thing. */
async function handMade(key: DpopKey, token: string, overrides: { header?: Record<string, unknown>; claims?: Record<string, unknown>; signWith?: Parameters<SignJWT['sign']>[0] } = {}): Promise<string> {
  const claims = { jti: randomUUID(), htm: 'GET', htu: contacts(), iat: Math.floor(Date.now() / 1000), ath: accessTokenHash(token), ...overrides.claims };
  return new SignJWT(claims).setProtectedHeader({ alg: key.alg, typ: 'dpop+jwt', jwk: key.publicJwk, ...overrides.header } as never).sign(overrides.signWith ?? key.privateKey);
}

function refusedProof(result: { status: number; challenge: string; body: Record<string, unknown> }, what: string): void {
  assert.equal(result.status, 401, what);
  assert.equal(result.body.error, 'invalid_dpop_proof', what);
  assert.match(result.challenge, /^DPoP realm="[^"]+", error="invalid_dpop_proof", error_description="[^"]+", algs="ES256 ES384 EdDSA Ed25519 RS256 PS256", resource_metadata="[^"]+"$/, what);
}

describe('DPoP (RFC 9449) at the token endpoint and the Contacts API', () => {
  before(async () => {
    server = await startTestServer();
  });
  after(() => server.close());

  test('RFC 9449 §5 with oauth4webapi: a DPoP() handle gets token_type DPoP and a JWT with cnf.jkt = the key thumbprint; §7.1 the API takes it with proofs', async () => {
    const app = await server.createApp({ scopes: ['contacts_read'] });
    const as = await oauth.processDiscoveryResponse(new URL(server.issuer), await oauth.discoveryRequest(new URL(server.issuer), { ...insecure, algorithm: 'oauth2' }));
    assert.deepEqual(as.dpop_signing_alg_values_supported, ['ES256', 'ES384', 'EdDSA', 'Ed25519', 'RS256', 'PS256']);
    const client = { client_id: app.clientId };
    const keyPair = await oauth.generateKeyPair('ES256');
    const DPoP = oauth.DPoP({}, keyPair);
    const granted = await oauth.processClientCredentialsResponse(as, client, await oauth.clientCredentialsGrantRequest(
      as, client, oauth.ClientSecretBasic(app.clientSecret), new URLSearchParams({ scope: 'contacts_read' }), { ...insecure, DPoP },
    ));
    assert.equal(granted.token_type, 'dpop');
    const jkt = await calculateJwkThumbprint(await exportJWK(keyPair.publicKey));
    assert.deepEqual(decodeJwt(granted.access_token).cnf, { jkt });
    for (let i = 0; i < 2; i += 1) {
      const listed = await oauth.protectedResourceRequest(granted.access_token, 'GET', new URL(contacts()), undefined, undefined, { ...insecure, DPoP });
      assert.equal(listed.status, 200, 'each call carries a fresh proof');
    }
    // RFC 9449 §7.1: a bound token is never a Bearer token.
    const asBearer = await callContacts(`Bearer ${granted.access_token}`);
    assert.equal(asBearer.status, 401);
    assert.match(asBearer.challenge, /^DPoP realm="[^"]+", error="invalid_token", error_description="this token is DPoP-bound[^"]*", algs="[^"]+", resource_metadata="[^"]+"$/);
  });

  test('RFC 9449 with openid-client: getDPoPHandle for clientCredentialsGrant and fetchProtectedResource', async () => {
    const app = await server.createApp({ scopes: ['contacts_read'] });
    const config = await openid.discovery(new URL(server.issuer), app.clientId, undefined, openid.ClientSecretPost(app.clientSecret), { execute: [openid.allowInsecureRequests] });
    const DPoP = openid.getDPoPHandle(config, await openid.randomDPoPKeyPair('EdDSA'));
    const granted = await openid.clientCredentialsGrant(config, { scope: 'contacts_read' }, { DPoP });
    assert.equal(granted.token_type, 'dpop');
    const listed = await openid.fetchProtectedResource(config, granted.access_token, new URL(contacts()), 'GET', undefined, undefined, { DPoP });
    assert.equal(listed.status, 200);
  });

  test('RFC 9449 §6.2: an opaque kma_ token is bound too; introspection says token_type DPoP and cnf.jkt; the API holds it to its key', async () => {
    const app = await server.createApp({ scopes: ['contacts_read'], tokenFormat: 'opaque' });
    const key = await generateDpopKey('ES256');
    const token = await boundToken(app, key);
    assert.match(token, /^kma_/);
    const described = (await introspect(server.issuer, app.clientId, app.clientSecret, token)).body;
    assert.equal(described.token_type, 'DPoP');
    assert.deepEqual(described.cnf, { jkt: key.jkt });
    assert.equal((await callContacts(`DPoP ${token}`, await createDpopProof(key, { method: 'GET', url: contacts(), accessToken: token }))).status, 200);
    assert.equal((await callContacts(`Bearer ${token}`)).status, 401);
    const other = await generateDpopKey('ES256');
    refusedProof(await callContacts(`DPoP ${token}`, await createDpopProof(other, { method: 'GET', url: contacts(), accessToken: token })), 'opaque token, another key');
    // An unbound token keeps working as Bearer, and is refused under the DPoP scheme.
    const plain = await tokenRequest(app);
    assert.equal(plain.body.token_type, 'Bearer');
    assert.equal((await introspect(server.issuer, app.clientId, app.clientSecret, plain.body.access_token as string)).body.cnf, undefined);
    assert.equal((await callContacts(`Bearer ${plain.body.access_token as string}`)).status, 200);
  });

  test('RFC 9449 §7.1: every proof refusal at the API is 401 invalid_dpop_proof with a DPoP challenge', async () => {
    const app = await server.createApp({ scopes: ['contacts_read'] });
    const key = await generateDpopKey('ES256');
    const token = await boundToken(app, key);
    const dpop = `DPoP ${token}`;
    const { privateKey: extractable } = await generateKeyPair('ES256', { extractable: true });
    const privateJwk: JWK = await exportJWK(extractable);
    const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const cases: [string, string | undefined][] = [
      ['no proof', undefined],
      ['wrong htu', await handMade(key, token, { claims: { htu: `${server.issuer}/api/v1/contacts/other` } })],
      ['wrong htm', await handMade(key, token, { claims: { htm: 'POST' } })],
      ['stale iat', await handMade(key, token, { claims: { iat: Math.floor(Date.now() / 1000) - 600 } })],
      ['wrong ath', await handMade(key, token, { claims: { ath: accessTokenHash(`${token}x`) } })],
      ['no ath', await handMade(key, token, { claims: { ath: undefined } })],
      ['a key other than the bound one', await handMade(await generateDpopKey('ES256'), token)],
      ['alg none', `${encode({ alg: 'none', typ: 'dpop+jwt', jwk: key.publicJwk })}.${encode({ jti: randomUUID(), htm: 'GET', htu: contacts(), iat: Math.floor(Date.now() / 1000), ath: accessTokenHash(token) })}.`],
      ['HS256', await handMade(key, token, { header: { alg: 'HS256', jwk: { kty: 'oct', k: 'c2VjcmV0' } }, signWith: new TextEncoder().encode('secret') })],
      ['a private key in the header', await handMade({ ...key, privateKey: extractable, publicJwk: privateJwk }, token)],
      ['missing typ', await handMade(key, token, { header: { typ: undefined } })],
    ];
    for (const [what, proof] of cases) refusedProof(await callContacts(dpop, proof), what);
    // The good proof works once; replayed, it is refused.
    const proof = await createDpopProof(key, { method: 'GET', url: contacts(), accessToken: token });
    assert.equal((await callContacts(dpop, proof)).status, 200);
    refusedProof(await callContacts(dpop, proof), 'replayed jti');
  });

  test('RFC 9449 §5: a bad proof at the token endpoint is 400 invalid_dpop_proof, and no token is issued', async () => {
    const app = await server.createApp({ scopes: ['contacts_read'] });
    const key = await generateDpopKey('ES256');
    for (const [what, proof] of [
      ['wrong htu', await createDpopProof(key, { method: 'POST', url: `${server.issuer}/oauth/introspect` })],
      ['wrong htm', await createDpopProof(key, { method: 'GET', url: tokenEndpoint() })],
    ] as const) {
      const refused = await tokenRequest(app, { dpop: proof });
      assert.equal(refused.status, 400, what);
      assert.equal(refused.body.error, 'invalid_dpop_proof', what);
    }
    // The IdentityServer path checks its own URL.
    const connect = `${server.issuer}/connect/token`;
    assert.equal((await tokenRequest(app, { dpop: await createDpopProof(key, { method: 'POST', url: connect }) }, connect)).status, 200);
  });

  test('require_dpop: such an app gets no token without a proof (400 invalid_dpop_proof), and a bound one with it', async () => {
    const app = await server.createApp({ scopes: ['contacts_read'], requireDpop: true });
    const refused = await tokenRequest(app);
    assert.equal(refused.status, 400);
    assert.equal(refused.body.error, 'invalid_dpop_proof');
    assert.equal((await tokenRequest(app, { dpop: await createDpopProof(await generateDpopKey(), { method: 'POST', url: tokenEndpoint() }) })).body.token_type, 'DPoP');
  });

  test('require_dpop through every entry point: keymint app create --require-dpop, keymint app dpop, the admin API field', async () => {
    const created = await keymintCli(server, 'app', 'create', '--name', 'dpop only', '--scopes', 'contacts_read', '--require-dpop');
    assert.equal(created.require_dpop, true);
    const app = { clientId: created.client_id as string, clientSecret: created.client_secret as string };
    await within(10_000, 'the server sees the CLI-made app', async () => (await tokenRequest(app)).body.error === 'invalid_dpop_proof');
    assert.equal((await keymintCli(server, 'app', 'dpop', app.clientId, 'optional')).require_dpop, false);
    await within(10_000, 'DPoP optional after `keymint app dpop … optional`', async () => (await tokenRequest(app)).status === 200);
    assert.equal((await keymintCliText(server, 'app', 'dpop', app.clientId, 'sometimes')).code, 1);

    const admin = await AdminClient.signIn(server, ...Object.values(await createAdmin(server, 'dpop-owner@example.com')) as [string, string]);
    const patched = await admin.call('PATCH', `/tenants/default/apps/${app.clientId}`, { require_dpop: true });
    assert.equal(patched.status, 200, JSON.stringify(patched.body));
    assert.equal(patched.body.app.require_dpop, true);
    await within(10_000, 'DPoP required after the admin API PATCH', async () => (await tokenRequest(app)).body.error === 'invalid_dpop_proof');
    const made = await admin.call('POST', '/tenants/default/apps', { name: 'dpop api', scopes: ['contacts_read'], require_dpop: true });
    assert.equal(made.status, 201);
    assert.equal(made.body.app.require_dpop, true);
    assert.equal((await admin.call('GET', '/tenants/default/apps')).body.apps.find((a: { client_id: string }) => a.client_id === made.body.app.client_id).require_dpop, true);
  });

  test('the profiles bind too: /v3/tokens (the SDK client, auth signed_request) and /v1/auth/token; a require_dpop app gets nothing from either without a proof', async () => {
    const signed = await server.createApp({ scopes: ['contacts_read'], authMethods: ['signed_request'] });
    const client = createClient({ issuer: server.issuer, clientId: signed.clientId, clientSecret: signed.clientSecret, auth: 'signed_request', scopes: ['contacts_read'], dpop: true });
    assert.equal((await client.fetch(contacts())).status, 200);
    assert.ok(decodeJwt(await client.getToken()).cnf);

    const strict = await server.createApp({ scopes: ['contacts_read'], authMethods: ['signed_request', 'client_secret_post'], requireDpop: true });
    const unbound = createClient({ issuer: server.issuer, clientId: strict.clientId, clientSecret: strict.clientSecret, auth: 'signed_request' });
    await assert.rejects(unbound.getToken(), (error: unknown) => (error as { error?: string }).error === 'invalid_dpop_proof');
    const envelope = `${server.issuer}/v1/auth/token`;
    const form = new URLSearchParams({ client_id: strict.clientId, client_secret: strict.clientSecret }).toString();
    const refused = await fetch(envelope, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form });
    assert.equal(refused.status, 400);
    assert.match(((await refused.json()) as { error: { message: string } }).error.message, /requires DPoP/);
    const bound = await fetch(envelope, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', dpop: await createDpopProof(await generateDpopKey(), { method: 'POST', url: envelope }) },
      body: form,
    });
    assert.equal(((await bound.json()) as { data: { token_type: string } }).data.token_type, 'DPoP');
  });

  test('CORS: a browser on an allowed origin may send the DPoP header to the token endpoint and read DPoP-Nonce', async () => {
    const preflight = await fetch(tokenEndpoint(), { method: 'OPTIONS', headers: { origin: server.url, 'access-control-request-method': 'POST', 'access-control-request-headers': 'dpop' } });
    assert.equal(preflight.status, 204);
    assert.match(preflight.headers.get('access-control-allow-headers') ?? '', /\bdpop\b/);
    const app = await server.createApp({ scopes: ['contacts_read'] });
    const answer = await tokenRequest(app, { origin: server.url });
    assert.match(answer.headers.get('access-control-expose-headers') ?? '', /DPoP-Nonce/);
  });

    test('the SDK Fastify middleware with dpop: a bound token with its proof passes; as Bearer, or with a replayed or foreign proof, 401 with a DPoP challenge', async () => {
    const api = Fastify();
    let base = '';
    await api.register(fastifyAuth, {
      verifier: createVerifier({ issuer: server.issuer, audience: `${server.issuer}/api`, revocationPollMs: false }),
      dpop: { verifier: createDpopVerifier(), requestUrl: (request) => `${base}${request.url ?? '/'}` },
    });
    api.get('/reports', { preHandler: (api as unknown as { requireScopes(...s: string[]): never }).requireScopes('contacts_read') }, async () => ({ ok: true }));
    await api.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(api.server.address() as AddressInfo).port}`;
    try {
      const app = await server.createApp({ scopes: ['contacts_read'] });
      const key = await generateDpopKey('ES256');
      const token = await boundToken(app, key);
      const url = `${base}/reports`;
      const proof = await createDpopProof(key, { method: 'GET', url, accessToken: token });
      assert.equal((await callContacts(`DPoP ${token}`, proof, url)).status, 200);
      const replayed = await callContacts(`DPoP ${token}`, proof, url);
      assert.equal(replayed.status, 401);
      assert.match(replayed.challenge, /^DPoP realm="api", error="invalid_dpop_proof", error_description="the DPoP proof has been used before", algs="[^"]+"$/);
      const foreign = await callContacts(`DPoP ${token}`, await createDpopProof(await generateDpopKey(), { method: 'GET', url, accessToken: token }), url);
      assert.equal(foreign.body.error, 'invalid_dpop_proof');
      const asBearer = await callContacts(`Bearer ${token}`, undefined, url);
      assert.equal(asBearer.status, 401);
      assert.match(asBearer.challenge, /^DPoP realm="api", error="invalid_token"/);
    } finally {
      await api.close();
    }
  });

    test('the Node SDK client: dpop: true binds its tokens and proves each API call', async () => {
    const app = await server.createApp({ scopes: ['contacts_read'] });
    const client = createClient({ issuer: server.issuer, clientId: app.clientId, clientSecret: app.clientSecret, scopes: ['contacts_read'], dpop: true });
    for (let i = 0; i < 2; i += 1) assert.equal((await client.fetch(contacts())).status, 200);
    assert.ok(decodeJwt(await client.getToken()).cnf);
  });

  test('RFC 9728: the Contacts API metadata lists dpop_signing_alg_values_supported; a 401 without credentials offers Bearer and DPoP', async () => {
    const metadata = await (await fetch(`${server.url}/.well-known/oauth-protected-resource/t/default/api`)).json() as Record<string, unknown>;
    assert.deepEqual(metadata.dpop_signing_alg_values_supported, ['ES256', 'ES384', 'EdDSA', 'Ed25519', 'RS256', 'PS256']);
    const none = await fetch(contacts());
    assert.match(none.headers.get('www-authenticate') ?? '', /^Bearer realm="[^"]+", resource_metadata="[^"]+", DPoP realm="[^"]+", algs="[^"]+", resource_metadata="[^"]+"$/);
  });
});

describe('DPoP server nonces (RFC 9449 §8, KEYMINT_DPOP_NONCE=on)', () => {
  let nonceServer: TestServer;
  before(async () => {
    nonceServer = await startTestServer({ env: { KEYMINT_DPOP_NONCE: 'on' } });
  });
  after(() => nonceServer.close());

  test('a proof without the nonce gets 400 use_dpop_nonce and a DPoP-Nonce header; oauth4webapi and the SDK retry with it', async () => {
    const app = await nonceServer.createApp({ scopes: ['contacts_read'] });
    const url = `${nonceServer.issuer}/oauth/token`;
    const key = await generateDpopKey();
    const first = await fetch(url, {
      method: 'POST',
      headers: { authorization: basic(app.clientId, app.clientSecret), 'content-type': 'application/x-www-form-urlencoded', dpop: await createDpopProof(key, { method: 'POST', url }) },
      body: 'grant_type=client_credentials',
    });
    assert.equal(first.status, 400);
    assert.equal(((await first.json()) as { error: string }).error, 'use_dpop_nonce');
    const nonce = first.headers.get('dpop-nonce');
    assert.ok(nonce);

    const as = await oauth.processDiscoveryResponse(new URL(nonceServer.issuer), await oauth.discoveryRequest(new URL(nonceServer.issuer), { ...insecure, algorithm: 'oauth2' }));
    const client = { client_id: app.clientId };
    const DPoP = oauth.DPoP({}, await oauth.generateKeyPair('ES256'));
    const grant = () => oauth.clientCredentialsGrantRequest(as, client, oauth.ClientSecretBasic(app.clientSecret), new URLSearchParams(), { ...insecure, DPoP });
    let granted: oauth.TokenEndpointResponse;
    try {
      granted = await oauth.processClientCredentialsResponse(as, client, await grant());
      assert.fail('the first request has no nonce');
    } catch (error) {
      assert.ok(oauth.isDPoPNonceError(error));
      granted = await oauth.processClientCredentialsResponse(as, client, await grant());
    }
    assert.equal(granted.token_type, 'dpop');

    const sdk = createClient({ issuer: nonceServer.issuer, clientId: app.clientId, clientSecret: app.clientSecret, dpop: true });
    assert.equal((await sdk.fetch(`${nonceServer.issuer}/api/v1/contacts`)).status, 200);
  });

  test('the Node SDK client retries a resource\'s 401 use_dpop_nonce once (§9): an API on another origin whose verifier demands nonces', async () => {
    const api = Fastify();
    let base = '';
    const nonce = { current: () => 'api-nonce-1', accepts: (value: string) => value === 'api-nonce-1' };
    await api.register(fastifyAuth, {
      verifier: createVerifier({ issuer: nonceServer.issuer, audience: `${nonceServer.issuer}/api`, revocationPollMs: false }),
      dpop: { verifier: createDpopVerifier({ nonce }), requestUrl: (request) => `${base}${request.url ?? '/'}` },
    });
    api.get('/reports', { preHandler: (api as unknown as { requireScopes(...s: string[]): never }).requireScopes('contacts_read') }, async () => ({ ok: true }));
    await api.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(api.server.address() as AddressInfo).port}`;
    try {
      const app = await nonceServer.createApp({ scopes: ['contacts_read'] });
      const seen: string[] = [];
      const recording = async (input: string | URL | Request, init?: RequestInit) => {
        const response = await fetch(input, init);
        if (String(input).startsWith(base)) seen.push(`${response.status} ${response.headers.get('dpop-nonce') ?? ''}`);
        return response;
      };
      const sdk = createClient({ issuer: nonceServer.issuer, clientId: app.clientId, clientSecret: app.clientSecret, scopes: ['contacts_read'], dpop: true, fetch: recording });
      assert.equal((await sdk.fetch(`${base}/reports`)).status, 200);
      assert.deepEqual(seen, ['401 api-nonce-1', '200 '], 'one 401 asking for the nonce, one retry with it');
    } finally {
      await api.close();
    }
  });

  test('the Contacts API demands the nonce too (§9): 401 DPoP error="use_dpop_nonce" with DPoP-Nonce; oauth4webapi sees isDPoPNonceError and its retry, like the SDK\'s, gets 200', async () => {
    const app = await nonceServer.createApp({ scopes: ['contacts_read'] });
    const url = `${nonceServer.issuer}/api/v1/contacts`;
    const tokenUrl = `${nonceServer.issuer}/oauth/token`;
    const key = await generateDpopKey();
    const form = { authorization: basic(app.clientId, app.clientSecret), 'content-type': 'application/x-www-form-urlencoded' };
    const asked = await fetch(tokenUrl, { method: 'POST', headers: { ...form, dpop: await createDpopProof(key, { method: 'POST', url: tokenUrl }) }, body: 'grant_type=client_credentials' });
    const nonce = asked.headers.get('dpop-nonce')!;
    const granted = await fetch(tokenUrl, { method: 'POST', headers: { ...form, dpop: await createDpopProof(key, { method: 'POST', url: tokenUrl, nonce }) }, body: 'grant_type=client_credentials' });
    const token = ((await granted.json()) as { access_token: string }).access_token;

    const without = await fetch(url, { headers: { authorization: `DPoP ${token}`, dpop: await createDpopProof(key, { method: 'GET', url, accessToken: token }) } });
    assert.equal(without.status, 401);
    assert.match(without.headers.get('www-authenticate') ?? '', /^DPoP realm="[^"]+", error="use_dpop_nonce", error_description="[^"]+", algs="[^"]+", resource_metadata="[^"]+"$/);
    assert.equal(((await without.json()) as { error: string }).error, 'use_dpop_nonce');
    const resourceNonce = without.headers.get('dpop-nonce');
    assert.ok(resourceNonce);
    const stale = await fetch(url, { headers: { authorization: `DPoP ${token}`, dpop: await createDpopProof(key, { method: 'GET', url, accessToken: token, nonce: 'x.not-a-nonce' }) } });
    assert.equal(stale.status, 401, 'a made-up nonce is refused');
    const withNonce = await fetch(url, { headers: { authorization: `DPoP ${token}`, dpop: await createDpopProof(key, { method: 'GET', url, accessToken: token, nonce: resourceNonce }) } });
    assert.equal(withNonce.status, 200);

    // oauth4webapi: the first resource request has no nonce; the error says so, the handle keeps the nonce.
    const as = await oauth.processDiscoveryResponse(new URL(nonceServer.issuer), await oauth.discoveryRequest(new URL(nonceServer.issuer), { ...insecure, algorithm: 'oauth2' }));
    const client = { client_id: app.clientId };
    const keyPair = await oauth.generateKeyPair('ES256');
    const DPoP = oauth.DPoP({}, keyPair);
    const grant = () => oauth.clientCredentialsGrantRequest(as, client, oauth.ClientSecretBasic(app.clientSecret), new URLSearchParams({ scope: 'contacts_read' }), { ...insecure, DPoP });
    let tokens: oauth.TokenEndpointResponse;
    try {
      tokens = await oauth.processClientCredentialsResponse(as, client, await grant());
    } catch (error) {
      assert.ok(oauth.isDPoPNonceError(error));
      tokens = await oauth.processClientCredentialsResponse(as, client, await grant());
    }
    // A fresh handle on the same key: it has not cached the token endpoint's nonce (same origin).
    const atResource = oauth.DPoP({}, keyPair);
    const resource = () => oauth.protectedResourceRequest(tokens.access_token, 'GET', new URL(url), undefined, undefined, { ...insecure, DPoP: atResource });
    let listed: Response;
    try {
      listed = await resource();
      assert.fail('the Contacts API asks for its nonce first');
    } catch (error) {
      assert.ok(oauth.isDPoPNonceError(error), String(error));
      listed = await resource();
    }
    assert.equal(listed.status, 200);
  });
});
