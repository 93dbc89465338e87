import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import * as oauth from 'oauth4webapi';
import { basic, startTestServer } from '../testing/harness.js';
import { fetchToken, introspect } from '../testing/tokens.js';

async function introspectAsJwt(url: string, clientId: string, clientSecret: string, token: string, accept: string) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { authorization: basic(clientId, clientSecret), 'content-type': 'application/x-www-form-urlencoded', accept },
    body: new URLSearchParams({ token }),
  });
  return { status: response.status, type: response.headers.get('content-type'), text: await response.text() };
}

test('RFC 9701 §5: Accept: application/token-introspection+jwt → the RFC 7662 answer in a JWT signed with the tenant key, addressed to the caller', async () => {
  const server = await startTestServer();
  try {
    const app = await server.createApp({ scopes: ['contacts_read'] });
    const resourceServer = await server.createApp({ name: 'resource server', scopes: [] });
    const token = await fetchToken(server.issuer, app.clientId, app.clientSecret);
    const endpoint = `${server.issuer}/oauth/introspect`;
    const jwks = createRemoteJWKSet(new URL(`${server.issuer}/.well-known/jwks.json`));
    const plain = await introspect(server.issuer, resourceServer.clientId, resourceServer.clientSecret, token);

    const signed = await introspectAsJwt(endpoint, resourceServer.clientId, resourceServer.clientSecret, token, 'application/token-introspection+jwt');
    assert.equal(signed.status, 200);
    assert.equal(signed.type, 'application/token-introspection+jwt');
    const { payload, protectedHeader } = await jwtVerify(signed.text, jwks, {
      issuer: server.issuer, audience: resourceServer.clientId, typ: 'token-introspection+jwt', algorithms: ['ES256'],
    });
    assert.equal(protectedHeader.typ, 'token-introspection+jwt');
    assert.deepEqual(Object.keys(payload).sort(), ['aud', 'iat', 'iss', 'token_introspection'], '§5: no sub or exp beside the answer');
    assert.ok(Math.abs((payload.iat as number) - Date.now() / 1000) < 5);
    assert.deepEqual(payload.token_introspection, plain.body, 'the same answer as the JSON one');

    // Inactive tokens too: the claim is exactly {"active": false}.
    const inactive = await introspectAsJwt(endpoint, resourceServer.clientId, resourceServer.clientSecret, 'kma_nothing', 'application/json;q=0.5, application/token-introspection+jwt');
    assert.deepEqual((await jwtVerify(inactive.text, jwks, { audience: resourceServer.clientId })).payload.token_introspection, { active: false });

    // Another caller: another audience, so one resource server's answer cannot pass as another's.
    const other = await server.createApp({ name: 'other resource server', scopes: [] });
    const theirs = await introspectAsJwt(endpoint, other.clientId, other.clientSecret, token, 'application/token-introspection+jwt');
    await assert.rejects(jwtVerify(theirs.text, jwks, { audience: resourceServer.clientId }), { code: 'ERR_JWT_CLAIM_VALIDATION_FAILED' });

    // No Accept, JSON, or the JWT type refused with q=0: the plain RFC 7662 JSON.
    for (const accept of ['*/*', 'application/json', 'application/token-introspection+jwt;q=0']) {
      const answer = await introspectAsJwt(endpoint, resourceServer.clientId, resourceServer.clientSecret, token, accept);
      assert.match(answer.type ?? '', /^application\/json/, accept);
      assert.deepEqual(JSON.parse(answer.text), plain.body, accept);
    }
    // A failed client authentication stays an RFC 6749 JSON error, never a signed document.
    const refused = await introspectAsJwt(endpoint, resourceServer.clientId, 'wrong', token, 'application/token-introspection+jwt');
    assert.equal(refused.status, 401);
    assert.equal(JSON.parse(refused.text).error, 'invalid_client');
  } finally {
    await server.close();
  }
});

test('RFC 9701 with oauth4webapi: metadata advertises introspection_signing_alg_values_supported, the client validates the JWT answer (an RS256 tenant)', async () => {
  const server = await startTestServer();
  try {
    await server.server.keymint.tenants.create('rsa', 'rsa', undefined, { signingAlg: 'RS256' });
    const issuer = `${server.url}/t/rsa`;
    const app = await server.createApp({ tenant: 'rsa' });
    const resourceServer = await server.createApp({ tenant: 'rsa', name: 'resource server', scopes: [] });
    const as = await oauth.processDiscoveryResponse(new URL(issuer), await oauth.discoveryRequest(new URL(issuer), { [oauth.allowInsecureRequests]: true, algorithm: 'oauth2' }));
    assert.deepEqual(as.introspection_signing_alg_values_supported, ['RS256']);
    const client = { client_id: resourceServer.clientId };
    const token = await fetchToken(issuer, app.clientId, app.clientSecret);
    const response = await oauth.introspectionRequest(as, client, oauth.ClientSecretBasic(resourceServer.clientSecret), token, { [oauth.allowInsecureRequests]: true, requestJwtResponse: true });
    assert.equal(response.headers.get('content-type'), 'application/token-introspection+jwt');
    assert.equal(decodeProtectedHeader(await response.clone().text()).alg, 'RS256');
    const described = await oauth.processIntrospectionResponse(as, client, response);
    assert.equal(described.active, true);
    assert.equal(described.client_id, app.clientId);
    await oauth.validateApplicationLevelSignature(as, response, { [oauth.allowInsecureRequests]: true });
  } finally {
    await server.close();
  }
});
