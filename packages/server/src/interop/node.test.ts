import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import express from 'express';
import { auth, requiredScopes } from 'express-oauth2-jwt-bearer';
import jsonwebtoken from 'jsonwebtoken';
import jwksRsa from 'jwks-rsa';
import * as oauth from 'oauth4webapi';
import * as openid from 'openid-client';
import { ClientCredentials } from 'simple-oauth2';
import { startTestServer, type TestServer } from '../testing/harness.js';
import { fetchToken } from '../testing/tokens.js';
import { interopApps, keymintSees } from './tools.js';

/**
 * Issue 15 item 7: Node libraries nobody here wrote, against a real Keymint server: openid-client,
 * oauth4webapi, simple-oauth2 (clients), express-oauth2-jwt-bearer and jwks-rsa + jsonwebtoken
 * (resource servers verifying Keymint JWTs through the published JWKS).
 */
let server: TestServer;
let apps: Awaited<ReturnType<typeof interopApps>>;
const http = { execute: [openid.allowInsecureRequests] };

async function apiStatus(token: string): Promise<number> {
  return (await fetch(`${server.issuer}/api/v1/contacts`, { headers: { authorization: `Bearer ${token}` } })).status;
}

describe('interop: Node clients and resource-server libraries against a real Keymint server', () => {
  before(async () => {
    server = await startTestServer();
    apps = await interopApps(server);
  });
  after(() => server.close());

  test('openid-client: OIDC discovery, RFC 6749 §4.4 with ClientSecretBasic and ClientSecretPost, RFC 7662 introspection, RFC 7009 revocation of a JWT and an opaque token', async () => {
    const { jwt, opaque, introspector } = apps;
    const issuer = new URL(server.issuer);
    const basic = await openid.discovery(issuer, jwt.clientId, undefined, openid.ClientSecretBasic(jwt.clientSecret), http);
    const post = await openid.discovery(issuer, jwt.clientId, undefined, openid.ClientSecretPost(jwt.clientSecret), http);
    assert.equal(basic.serverMetadata().issuer, server.issuer);
    const resourceServer = await openid.discovery(issuer, introspector.clientId, undefined, openid.ClientSecretBasic(introspector.clientSecret), http);
    const opaqueApp = await openid.discovery(issuer, opaque.clientId, undefined, openid.ClientSecretPost(opaque.clientSecret), http);

    const tokens = [];
    for (const config of [basic, post]) {
      const granted = await openid.clientCredentialsGrant(config, { scope: 'contacts_read' });
      assert.equal(granted.token_type, 'bearer');
      assert.equal(granted.scope, 'contacts_read');
      tokens.push(granted.access_token);
    }
    const opaqueToken = (await openid.clientCredentialsGrant(opaqueApp)).access_token;
    assert.match(opaqueToken, /^kma_/);

    for (const token of [...tokens, opaqueToken]) assert.equal((await openid.tokenIntrospection(resourceServer, token)).active, true);
    await openid.tokenRevocation(post, tokens[1]!);
    await openid.tokenRevocation(opaqueApp, opaqueToken);
    assert.deepEqual({ ...(await openid.tokenIntrospection(resourceServer, tokens[1]!)) }, { active: false });
    assert.deepEqual({ ...(await openid.tokenIntrospection(resourceServer, opaqueToken)) }, { active: false });
    assert.equal((await openid.tokenIntrospection(resourceServer, tokens[0]!)).active, true, 'only the revoked token stopped');
    assert.deepEqual([await apiStatus(tokens[0]!), await apiStatus(tokens[1]!), await apiStatus(opaqueToken)], [200, 401, 401]);
    assert.equal(await server.server.keymint.db.selectFrom('opaque_tokens').select('token_hash').where('client_id', '=', opaque.clientId).execute().then((rows) => rows.length), 0, 'the opaque token row is gone');
  });

  test('oauth4webapi: RFC 8414 discovery at the §3 location, RFC 6749 §4.4 with ClientSecretBasic and ClientSecretPost, RFC 7009 revocation then RFC 7662 introspection', async () => {
    const { jwt, introspector } = apps;
    const issuer = new URL(server.issuer);
    const as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, { algorithm: 'oauth2', [oauth.allowInsecureRequests]: true }));
    const client = { client_id: jwt.clientId };
    const granted: string[] = [];
    for (const clientAuth of [oauth.ClientSecretBasic(jwt.clientSecret), oauth.ClientSecretPost(jwt.clientSecret)]) {
      const response = await oauth.clientCredentialsGrantRequest(as, client, clientAuth, new URLSearchParams({ scope: 'contacts_read' }), { [oauth.allowInsecureRequests]: true });
      const result = await oauth.processClientCredentialsResponse(as, client, response);
      assert.equal(result.token_type, 'bearer');
      granted.push(result.access_token);
    }
    const revoked = await oauth.revocationRequest(as, client, oauth.ClientSecretBasic(jwt.clientSecret), granted[0]!, { [oauth.allowInsecureRequests]: true });
    await oauth.processRevocationResponse(revoked);
    const rs = { client_id: introspector.clientId };
    const described = async (token: string) => oauth.processIntrospectionResponse(as, rs, await oauth.introspectionRequest(as, rs, oauth.ClientSecretBasic(introspector.clientSecret), token, { [oauth.allowInsecureRequests]: true }));
    assert.equal((await described(granted[0]!)).active, false);
    assert.equal((await described(granted[1]!)).active, true);
  });

  test('simple-oauth2: RFC 6749 §4.4 with authorizationMethod header (Basic, §2.3.1 form-encoded) and body', async () => {
    const { jwt, introspector } = apps;
    for (const authorizationMethod of ['header', 'body'] as const) {
      const client = new ClientCredentials({
        client: { id: jwt.clientId, secret: jwt.clientSecret },
        auth: { tokenHost: server.url, tokenPath: '/t/default/oauth/token' },
        options: { authorizationMethod },
      });
      const accessToken = await client.getToken({ scope: 'contacts_read' });
      assert.equal(accessToken.token.token_type, 'Bearer', authorizationMethod);
      assert.equal(accessToken.expired(), false);
      const token = accessToken.token.access_token as string;
      assert.equal((await keymintSees(server, introspector, token)).client_id, jwt.clientId);
      assert.equal(await apiStatus(token), 200);
    }
    const wrong = new ClientCredentials({ client: { id: jwt.clientId, secret: 'kms_wrong' }, auth: { tokenHost: server.url, tokenPath: '/t/default/oauth/token' } });
    await assert.rejects(wrong.getToken({}), (error: { output?: { statusCode?: number }; data?: { payload?: { error?: string } } }) => error.output?.statusCode === 401 && error.data?.payload?.error === 'invalid_client');
  });

  test('express-oauth2-jwt-bearer: discovery by issuerBaseURL, ES256 via the JWKS, typ at+jwt, iss, aud and scope (RFC 9068 §4); another tenant\'s token is refused', async () => {
    const api = express();
    api.use(auth({ issuerBaseURL: server.issuer, audience: `${server.issuer}/api`, tokenSigningAlg: 'ES256' }));
    api.get('/read', requiredScopes('contacts_read'), (req, res) => void res.json({ client_id: req.auth?.payload.client_id }));
    api.get('/write', requiredScopes('contacts_write'), (_req, res) => void res.json({}));
    // The library's errors carry their RFC 6750 status and challenge; answer them without Express's stderr trace.
    api.use((error: { status?: number; headers?: Record<string, string> }, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
      res.status(error.status ?? 500).set(error.headers ?? {}).end();
    });
    const listener = api.listen(0, '127.0.0.1');
    await new Promise((resolve) => listener.once('listening', resolve));
    const base = `http://127.0.0.1:${(listener.address() as AddressInfo).port}`;
    try {
      const token = await fetchToken(server.issuer, apps.jwt.clientId, apps.jwt.clientSecret);
      const call = async (path: string, bearer: string) => fetch(`${base}${path}`, { headers: { authorization: `Bearer ${bearer}` } });
      const ok = await call('/read', token);
      assert.equal(ok.status, 200);
      assert.deepEqual(await ok.json(), { client_id: apps.jwt.clientId });
      assert.equal((await call('/write', token)).status, 403, 'insufficient_scope');
      const { keymint } = server.server;
      if (!(await keymint.tenants.findBySlug('express-foreign'))) await keymint.tenants.create('express-foreign');
      const foreignApp = await server.createApp({ tenant: 'express-foreign' });
      assert.equal((await call('/read', await fetchToken(`${server.url}/t/express-foreign`, foreignApp.clientId, foreignApp.clientSecret))).status, 401);
    } finally {
      await new Promise((resolve) => listener.close(resolve));
    }
  });

  test('jwks-rsa + jsonwebtoken: the key for the token\'s kid from jwks_uri verifies it (ES256, iss, aud); a flipped signature bit is refused', async () => {
    const metadata = (await (await fetch(`${server.issuer}/.well-known/oauth-authorization-server`)).json()) as { jwks_uri: string };
    const jwks = jwksRsa({ jwksUri: metadata.jwks_uri, cache: true, rateLimit: true });
    const token = await fetchToken(server.issuer, apps.jwt.clientId, apps.jwt.clientSecret);
    const verify = async (candidate: string) => {
      const decoded = jsonwebtoken.decode(candidate, { complete: true });
      const key = await jwks.getSigningKey(decoded?.header.kid);
      return jsonwebtoken.verify(candidate, key.getPublicKey(), { algorithms: ['ES256'], issuer: server.issuer, audience: `${server.issuer}/api` }) as Record<string, unknown>;
    };
    const claims = await verify(token);
    assert.equal(claims.client_id, apps.jwt.clientId);
    assert.equal(claims.scope, 'contacts_read');
    const [header, payload, signature] = token.split('.') as [string, string, string];
    const flipped = `${header}.${payload}.${signature.slice(0, 5)}${signature[5] === 'A' ? 'B' : 'A'}${signature.slice(6)}`;
    await assert.rejects(verify(flipped), /invalid signature/);
  });
});
