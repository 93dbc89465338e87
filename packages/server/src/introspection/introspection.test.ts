import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as oauth from 'oauth4webapi';
import { CLOCK_LEEWAY_SECONDS } from '@keymint/sdk/node';
import { basic, postForm, startTestServer, TestClock } from '../testing/harness.js';
import { fetchToken, introspect } from '../testing/tokens.js';

test('RFC 7662 §2.2: active JWT and opaque tokens are described; an oauth4webapi client reads the answer', async () => {
  const server = await startTestServer();
  try {
    const jwtApp = await server.createApp({ scopes: ['contacts_read', 'contacts_write'] });
    const opaqueApp = await server.createApp({ tokenFormat: 'opaque' });
    const resourceServer = await server.createApp({ name: 'resource server', scopes: [] });

    const as = await oauth.processDiscoveryResponse(new URL(server.issuer), await oauth.discoveryRequest(new URL(server.issuer), { [oauth.allowInsecureRequests]: true, algorithm: 'oauth2' }));
    const client = { client_id: resourceServer.clientId };
    const auth = oauth.ClientSecretBasic(resourceServer.clientSecret);

    const jwt = await fetchToken(server.issuer, jwtApp.clientId, jwtApp.clientSecret, { scope: 'contacts_read contacts_write' });
    const response = await oauth.introspectionRequest(as, client, auth, jwt, { [oauth.allowInsecureRequests]: true });
    const described = await oauth.processIntrospectionResponse(as, client, response);
    const claims = JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString());
    assert.deepEqual(described, {
      active: true,
      scope: 'contacts_read contacts_write',
      client_id: jwtApp.clientId,
      token_type: 'Bearer',
      exp: claims.exp,
      iat: claims.iat,
      sub: jwtApp.clientId,
      aud: `${server.issuer}/api`,
      iss: server.issuer,
      jti: claims.jti,
    });

    const opaque = await fetchToken(server.issuer, opaqueApp.clientId, opaqueApp.clientSecret);
    assert.match(opaque, /^kma_[0-9A-Za-z]{38}$/);
    const answer = await introspect(server.issuer, resourceServer.clientId, resourceServer.clientSecret, opaque);
    assert.equal(answer.status, 200);
    assert.equal(answer.headers.get('cache-control'), 'no-store');
    assert.equal(answer.headers.get('pragma'), 'no-cache');
    assert.equal(answer.body.active, true);
    assert.equal(answer.body.client_id, opaqueApp.clientId);
    assert.equal(answer.body.scope, 'contacts_read');
    assert.equal(answer.body.token_type, 'Bearer');
    assert.equal(answer.body.exp - answer.body.iat, 7200);
    assert.equal(answer.body.aud, `${server.issuer}/api`);
    assert.equal(typeof answer.body.jti, 'string');

    // Stored only hashed.
    const rows = await server.server.keymint.db.selectFrom('opaque_tokens').selectAll().execute();
    assert.ok(!JSON.stringify(rows).includes(opaque.slice(4, 30)));
  } finally {
    await server.close();
  }
});

test('RFC 7662 §2.2: garbage, unknown, tampered, expired, API-token, another tenant\'s tokens → exactly {"active":false}', async () => {
  const clock = new TestClock();
  const server = await startTestServer({ clock });
  try {
    const { keymint } = server.server;
    const caller = await server.createApp({ name: 'caller', scopes: [] });
    const jwtApp = await server.createApp({ tokenLifetime: 60 });
    const opaqueApp = await server.createApp({ tokenFormat: 'opaque', tokenLifetime: 60 });
    await keymint.tenants.create('other');
    const foreignJwtApp = await server.createApp({ tenant: 'other' });
    const foreignOpaqueApp = await server.createApp({ tenant: 'other', tokenFormat: 'opaque' });
    const otherIssuer = `${server.url}/t/other`;

    const jwt = await fetchToken(server.issuer, jwtApp.clientId, jwtApp.clientSecret);
    const opaque = await fetchToken(server.issuer, opaqueApp.clientId, opaqueApp.clientSecret);
    const [header, payload, signature] = jwt.split('.') as [string, string, string];
    const flipped = signature.slice(0, 10) + (signature[10] === 'A' ? 'B' : 'A') + signature.slice(11);
    const apiToken = (await keymint.apiTokens.create((await keymint.tenants.get('default')).id, await keymint.tenants.scopes((await keymint.tenants.get('default')).id), { name: 't' }, { actor: 'cli' })).token;

    const inactive: Record<string, string> = {
      garbage: 'not-a-token',
      'unknown kma_ with a valid checksum': 'kma_' + 'x'.repeat(38),
      'tampered signature': `${header}.${payload}.${flipped}`,
      'alg none': `${Buffer.from('{"alg":"none","typ":"at+jwt"}').toString('base64url')}.${payload}.`,
      'huge': 'a'.repeat(100_00),
      'API token (not an access token)': apiToken,
      "another tenant's JWT": await fetchToken(otherIssuer, foreignJwtApp.clientId, foreignJwtApp.clientSecret),
      "another tenant's opaque token": await fetchToken(otherIssuer, foreignOpaqueApp.clientId, foreignOpaqueApp.clientSecret),
    };
    for (const [what, token] of Object.entries(inactive)) {
      const answer = await introspect(server.issuer, caller.clientId, caller.clientSecret, token);
      assert.equal(answer.status, 200, what);
      assert.deepEqual(answer.body, { active: false }, what);
    }

    for (const token of [jwt, opaque]) assert.equal((await introspect(server.issuer, caller.clientId, caller.clientSecret, token)).body.active, true);
    // Past exp and the shared clock leeway (a JWT stays active for CLOCK_LEEWAY_SECONDS after exp, as at the resource API).
    clock.advance(61_000 + CLOCK_LEEWAY_SECONDS * 1000);
    for (const token of [jwt, opaque]) assert.deepEqual((await introspect(server.issuer, caller.clientId, caller.clientSecret, token)).body, { active: false }, 'expired');
  } finally {
    await server.close();
  }
});

test('RFC 7662 §2.1 / SECURITY-CHECKLIST: introspection needs client authentication, one token, a form body', async () => {
  const server = await startTestServer();
  try {
    const caller = await server.createApp({ scopes: [] });
    const url = `${server.issuer}/oauth/introspect`;
    const auth = { authorization: basic(caller.clientId, caller.clientSecret) };

    const none = await postForm(url, { token: 'x' });
    assert.equal(none.status, 400);
    assert.equal(none.body.error, 'invalid_request');

    const wrong = await postForm(url, { token: 'x' }, { authorization: basic(caller.clientId, 'kms_wrong') });
    assert.equal(wrong.status, 401);
    assert.equal(wrong.body.error, 'invalid_client');
    assert.match(wrong.headers.get('www-authenticate') ?? '', /^Basic realm=/);
    assert.equal(wrong.headers.get('cache-control'), 'no-store');

    const missing = await postForm(url, {}, auth);
    assert.equal(missing.status, 400);
    assert.equal(missing.body.error, 'invalid_request');

    const twice = await postForm(url, 'token=a&token=b', auth);
    assert.equal(twice.status, 400);
    assert.equal(twice.body.error, 'invalid_request');

    const json = await fetch(url, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: '{"token":"x"}' });
    assert.equal(json.status, 400);
    assert.equal(((await json.json()) as { error: string }).error, 'invalid_request');

    const post = await postForm(url, { token: 'x', client_id: caller.clientId, client_secret: caller.clientSecret });
    assert.deepEqual(post.body, { active: false }, 'client_secret_post works too');
  } finally {
    await server.close();
  }
});
