import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import * as oauth from 'oauth4webapi';
import * as openid from 'openid-client';
import { createRemoteJWKSet, decodeJwt, jwtVerify } from 'jose';
import { basic, postForm, startTestServer, TestClock, type TestServer } from '../testing/harness.js';

let server: TestServer;
const clock = new TestClock();
let tokenUrl: string;

before(async () => {
  server = await startTestServer({ clock });
  tokenUrl = `${server.issuer}/oauth/token`;
});
after(() => server.close());

function assertNoStore(headers: Headers): void {
  assert.equal(headers.get('cache-control'), 'no-store');
  assert.equal(headers.get('pragma'), 'no-cache');
}

describe('client credentials with the clients integrators use', () => {
  test('oauth4webapi: RFC 8414 discovery, client_secret_basic, and a JWT that jose verifies against the JWKS (RFC 9068)', async () => {
    const app = await server.createApp({ scopes: ['contacts_read', 'contacts_write'] });
    const issuer = new URL(server.issuer);
    const as = await oauth.processDiscoveryResponse(
      issuer,
      await oauth.discoveryRequest(issuer, { algorithm: 'oauth2', [oauth.allowInsecureRequests]: true }),
    );
    const client = { client_id: app.clientId };
    const response = await oauth.clientCredentialsGrantRequest(as, client, oauth.ClientSecretBasic(app.clientSecret), new URLSearchParams({ scope: 'contacts_read contacts_write' }), {
      [oauth.allowInsecureRequests]: true,
    });
    const result = await oauth.processClientCredentialsResponse(as, client, response);
    assert.equal(result.token_type, 'bearer');
    assert.equal(result.scope, 'contacts_read contacts_write');
    assert.equal(result.expires_in, 7200);

    const jwks = createRemoteJWKSet(new URL(as.jwks_uri!));
    const { payload, protectedHeader } = await jwtVerify(result.access_token, jwks, {
      issuer: server.issuer,
      audience: `${server.issuer}/api`,
      typ: 'at+jwt',
      algorithms: ['ES256'],
    });
    assert.equal(protectedHeader.alg, 'ES256');
    assert.ok(protectedHeader.kid);
    assert.equal(payload.sub, app.clientId);
    assert.equal(payload.client_id, app.clientId);
    assert.equal(payload.scope, 'contacts_read contacts_write');
    assert.equal(payload.tid, 'default');
    assert.match(String(payload.jti), /^[0-9a-f-]{36}$/);
    assert.equal(payload.exp! - payload.iat!, 7200);
    assert.ok(Math.abs(payload.iat! - Date.now() / 1000) < 5);
  });

  test('openid-client: OIDC discovery and client_secret_post', async () => {
    const app = await server.createApp({ scopes: ['contacts_read'] });
    const config = await openid.discovery(new URL(server.issuer), app.clientId, app.clientSecret, undefined, {
      execute: [openid.allowInsecureRequests],
    });
    const tokens = await openid.clientCredentialsGrant(config, { scope: 'contacts_read' });
    assert.equal(tokens.scope, 'contacts_read');
    const claims = decodeJwt(tokens.access_token);
    assert.equal(claims.iss, config.serverMetadata().issuer);
  });

  test('RFC 8414 §3.3: metadata issuer equals the tokens\' iss byte for byte, at every discovery path', async () => {
    const app = await server.createApp();
    const token = await postForm(tokenUrl, { grant_type: 'client_credentials' }, { authorization: basic(app.clientId, app.clientSecret) });
    const iss = decodeJwt(token.body.access_token).iss;
    const paths = [
      `${server.issuer}/.well-known/oauth-authorization-server`,
      `${server.issuer}/.well-known/openid-configuration`,
      `${server.url}/.well-known/oauth-authorization-server/t/default`,
    ];
    for (const url of paths) {
      const response = await fetch(url);
      assert.equal(response.status, 200, url);
      const metadata = (await response.json()) as Record<string, unknown>;
      assert.equal(metadata.issuer, iss, url);
      assert.equal(metadata.token_endpoint, tokenUrl);
      assert.deepEqual(metadata.grant_types_supported, ['client_credentials', 'refresh_token']);
      assert.deepEqual(metadata.scopes_supported, ['contacts_read', 'contacts_write']);
    }
  });

  test('the IdentityServer path /connect/token is the same endpoint', async () => {
    const app = await server.createApp();
    const response = await postForm(`${server.issuer}/connect/token`, { grant_type: 'client_credentials', client_id: app.clientId, client_secret: app.clientSecret });
    assert.equal(response.status, 200);
    assert.equal(response.body.scope, 'contacts_read');
  });

  test('JWKS: Cache-Control max-age, ETag and 304 on If-None-Match', async () => {
    const response = await fetch(`${server.issuer}/.well-known/jwks.json`);
    assert.equal(response.headers.get('cache-control'), 'public, max-age=300');
    const etag = response.headers.get('etag')!;
    const jwks = (await response.json()) as { keys: Record<string, string>[] };
    assert.equal(jwks.keys.length, 2, 'the current key and the published next key');
    for (const key of jwks.keys) {
      assert.equal(key.crv, 'P-256');
      assert.equal(key.d, undefined, 'never the private part');
    }
    const again = await fetch(`${server.issuer}/.well-known/jwks.json`, { headers: { 'if-none-match': etag } });
    assert.equal(again.status, 304);
  });
});

describe('DESIGN token endpoint rules: scope', () => {
  test('without scope: the app\'s enabled scopes that the catalog marks default', async () => {
    const both = await server.createApp({ scopes: ['contacts_read', 'contacts_write'] });
    const writeOnly = await server.createApp({ scopes: ['contacts_write'] });
    const r1 = await postForm(tokenUrl, { grant_type: 'client_credentials' }, { authorization: basic(both.clientId, both.clientSecret) });
    assert.equal(r1.body.scope, 'contacts_read');
    const r2 = await postForm(tokenUrl, { grant_type: 'client_credentials' }, { authorization: basic(writeOnly.clientId, writeOnly.clientSecret) });
    assert.equal(r2.status, 200);
    assert.equal(r2.body.scope, '');
    assert.equal(decodeJwt(r2.body.access_token).scope, '');
  });

  test('an empty scope parameter is treated as omitted (RFC 6749 §3.1)', async () => {
    const app = await server.createApp({ scopes: ['contacts_read'] });
    const response = await postForm(tokenUrl, { grant_type: 'client_credentials', scope: '' }, { authorization: basic(app.clientId, app.clientSecret) });
    assert.equal(response.body.scope, 'contacts_read');
  });

  test('§5.2 invalid_scope: a scope not enabled on the app, unknown, or malformed', async () => {
    const app = await server.createApp({ scopes: ['contacts_read'] });
    for (const scope of ['contacts_write', 'contacts_read contacts_write', 'admin', 'contacts_read  contacts_read', ' contacts_read', 'a"b']) {
      const response = await postForm(tokenUrl, { grant_type: 'client_credentials', scope }, { authorization: basic(app.clientId, app.clientSecret) });
      assert.equal(response.status, 400, scope);
      assert.equal(response.body.error, 'invalid_scope', scope);
      assertNoStore(response.headers);
    }
  });

  test('a scope asked twice is granted once', async () => {
    const app = await server.createApp({ scopes: ['contacts_read'] });
    const response = await postForm(tokenUrl, { grant_type: 'client_credentials', scope: 'contacts_read contacts_read' }, { authorization: basic(app.clientId, app.clientSecret) });
    assert.equal(response.body.scope, 'contacts_read');
  });
});

describe('DESIGN token endpoint rules: audience (RFC 8707)', () => {
  test('the tenant default audience {issuer}/api is open to every app; others must be on the app\'s list', async () => {
    const app = await server.createApp({ audiences: ['https://billing.example.com'] });
    const auth = { authorization: basic(app.clientId, app.clientSecret) };
    const byDefault = await postForm(tokenUrl, { grant_type: 'client_credentials', audience: `${server.issuer}/api` }, auth);
    assert.equal(decodeJwt(byDefault.body.access_token).aud, `${server.issuer}/api`);
    const listed = await postForm(tokenUrl, { grant_type: 'client_credentials', resource: 'https://billing.example.com' }, auth);
    assert.equal(decodeJwt(listed.body.access_token).aud, 'https://billing.example.com');
    const same = await postForm(tokenUrl, 'grant_type=client_credentials&audience=https%3A%2F%2Fbilling.example.com&resource=https%3A%2F%2Fbilling.example.com', auth);
    assert.equal(same.status, 200, 'audience and resource naming the same target are one target');
  });

  test('§2: an audience the app may not ask for, or two targets at once → 400 invalid_target', async () => {
    const app = await server.createApp({ audiences: ['https://billing.example.com'] });
    const auth = { authorization: basic(app.clientId, app.clientSecret) };
    const bodies = [
      'grant_type=client_credentials&audience=https%3A%2F%2Fevil.example.com',
      'grant_type=client_credentials&resource=https%3A%2F%2Fevil.example.com',
      `grant_type=client_credentials&resource=https%3A%2F%2Fbilling.example.com&resource=${encodeURIComponent(`${server.issuer}/api`)}`,
      'grant_type=client_credentials&audience=https%3A%2F%2Fbilling.example.com&resource=https%3A%2F%2Fother.example.com',
    ];
    for (const body of bodies) {
      const response = await postForm(tokenUrl, body, auth);
      assert.equal(response.status, 400, body);
      assert.equal(response.body.error, 'invalid_target', body);
    }
  });

  test('the app\'s token lifetime sets expires_in and exp', async () => {
    const app = await server.createApp({ tokenLifetime: 600 });
    const response = await postForm(tokenUrl, { grant_type: 'client_credentials' }, { authorization: basic(app.clientId, app.clientSecret) });
    assert.equal(response.body.expires_in, 600);
    const claims = decodeJwt(response.body.access_token);
    assert.equal(claims.exp! - claims.iat!, 600);
  });
});

describe('RFC 6749 §5.2 errors', () => {
  test('success and error responses carry Cache-Control: no-store and Pragma: no-cache (§5.1)', async () => {
    const app = await server.createApp();
    assertNoStore((await postForm(tokenUrl, { grant_type: 'client_credentials' }, { authorization: basic(app.clientId, app.clientSecret) })).headers);
    assertNoStore((await postForm(tokenUrl, { grant_type: 'client_credentials' })).headers);
  });

  test('missing grant_type → invalid_request; unknown grant_type → unsupported_grant_type', async () => {
    const app = await server.createApp();
    const auth = { authorization: basic(app.clientId, app.clientSecret) };
    const missing = await postForm(tokenUrl, {}, auth);
    assert.equal(missing.status, 400);
    assert.equal(missing.body.error, 'invalid_request');
    for (const grantType of ['password', 'authorization_code', 'urn:ietf:params:oauth:grant-type:jwt-bearer', 'x'.repeat(1000)]) {
      const response = await postForm(tokenUrl, { grant_type: grantType }, auth);
      assert.equal(response.status, 400);
      assert.equal(response.body.error, 'unsupported_grant_type');
      assert.ok(response.body.error_description.length < 200, 'the description does not echo unbounded input');
    }
  });

  test('no client authentication at all → 400 invalid_request', async () => {
    const response = await postForm(tokenUrl, { grant_type: 'client_credentials' });
    assert.equal(response.status, 400);
    assert.equal(response.body.error, 'invalid_request');
  });

  test('unknown client and wrong secret are indistinguishable: same 401 body; WWW-Authenticate: Basic only when Basic was used', async () => {
    const app = await server.createApp();
    const wrongSecret = 'kms_' + 'A'.repeat(38);
    const failures = [
      await postForm(tokenUrl, { grant_type: 'client_credentials' }, { authorization: basic('nosuchclient000000000000', wrongSecret) }),
      await postForm(tokenUrl, { grant_type: 'client_credentials' }, { authorization: basic(app.clientId, wrongSecret) }),
      await postForm(tokenUrl, { grant_type: 'client_credentials' }, { authorization: basic(app.clientId, app.clientSecret.slice(0, -1) + (app.clientSecret.endsWith('A') ? 'B' : 'A')) }),
    ];
    for (const response of failures) {
      assert.equal(response.status, 401);
      assert.deepEqual(response.body, failures[0]!.body);
      assert.equal(response.body.error, 'invalid_client');
      assert.equal(response.headers.get('www-authenticate'), `Basic realm="${server.issuer}"`);
      assertNoStore(response.headers);
    }
    const posted = [
      await postForm(tokenUrl, { grant_type: 'client_credentials', client_id: 'nosuchclient', client_secret: wrongSecret }),
      await postForm(tokenUrl, { grant_type: 'client_credentials', client_id: app.clientId, client_secret: wrongSecret }),
    ];
    for (const response of posted) {
      assert.equal(response.status, 401);
      assert.deepEqual(response.body, failures[0]!.body);
      assert.equal(response.headers.get('www-authenticate'), null);
    }
  });

  test('a disabled app, a revoked secret and an expired secret → invalid_client', async () => {
    const { keymint } = server.server;
    const tenant = await keymint.tenants.get('default');
    const disabled = await server.createApp();
    await keymint.apps.disable(tenant.id, disabled.clientId);
    const revoked = await server.createApp();
    await keymint.apps.revokeSecret(tenant.id, revoked.clientId, revoked.secretId);
    const expiring = await server.createApp();
    const shortLived = await keymint.apps.addSecret(tenant.id, expiring.clientId, 60);
    const before = await postForm(tokenUrl, { grant_type: 'client_credentials' }, { authorization: basic(expiring.clientId, shortLived.clientSecret) });
    assert.equal(before.status, 200, 'a secret works until it expires');
    clock.advance(61_000);
    try {
      for (const [clientId, secret] of [
        [disabled.clientId, disabled.clientSecret],
        [revoked.clientId, revoked.clientSecret],
        [expiring.clientId, shortLived.clientSecret],
      ] as const) {
        const response = await postForm(tokenUrl, { grant_type: 'client_credentials' }, { authorization: basic(clientId, secret) });
        assert.equal(response.status, 401, clientId);
        assert.equal(response.body.error, 'invalid_client');
      }
      const stillValid = await postForm(tokenUrl, { grant_type: 'client_credentials' }, { authorization: basic(expiring.clientId, expiring.clientSecret) });
      assert.equal(stillValid.status, 200, 'the app\'s other secret keeps working');
    } finally {
      clock.advance(-61_000);
    }
  });

  test('an auth method the app does not allow → invalid_client', async () => {
    const app = await server.createApp({ authMethods: ['client_secret_post'] });
    const viaBasic = await postForm(tokenUrl, { grant_type: 'client_credentials' }, { authorization: basic(app.clientId, app.clientSecret) });
    assert.equal(viaBasic.status, 401);
    const viaPost = await postForm(tokenUrl, { grant_type: 'client_credentials', client_id: app.clientId, client_secret: app.clientSecret });
    assert.equal(viaPost.status, 200);
  });

  test('another tenant\'s client cannot get a token from this tenant', async () => {
    await server.server.keymint.tenants.create('acme');
    const foreign = await server.createApp({ tenant: 'acme' });
    const here = await postForm(tokenUrl, { grant_type: 'client_credentials' }, { authorization: basic(foreign.clientId, foreign.clientSecret) });
    assert.equal(here.status, 401);
    assert.equal(here.body.error, 'invalid_client');
    const home = await postForm(`${server.url}/t/acme/oauth/token`, { grant_type: 'client_credentials' }, { authorization: basic(foreign.clientId, foreign.clientSecret) });
    assert.equal(home.status, 200);
    assert.equal(decodeJwt(home.body.access_token).iss, `${server.url}/t/acme`);
  });

  test('§2.3.1: a Basic secret that is form-url-encoded (every character %-escaped) authenticates', async () => {
    const app = await server.createApp();
    const escapeAll = (text: string) => [...text].map((c) => `%${c.charCodeAt(0).toString(16).padStart(2, '0')}`).join('');
    const header = `Basic ${Buffer.from(`${escapeAll(app.clientId)}:${escapeAll(app.clientSecret)}`).toString('base64')}`;
    const response = await postForm(tokenUrl, { grant_type: 'client_credentials' }, { authorization: header });
    assert.equal(response.status, 200);
  });

  test('§2.3.1: a Basic secret whose encoding decodes to other characters (":" "+" "%") does not authenticate', async () => {
    const app = await server.createApp();
    for (const mangled of [`${app.clientSecret}:`, `${app.clientSecret}+`, `${app.clientSecret}%25`]) {
      const header = `Basic ${Buffer.from(`${app.clientId}:${mangled}`).toString('base64')}`;
      const response = await postForm(tokenUrl, { grant_type: 'client_credentials' }, { authorization: header });
      assert.equal(response.status, 401, mangled);
    }
  });

  test('malformed requests → 400 invalid_request', async () => {
    const app = await server.createApp();
    const b64 = (text: string) => Buffer.from(text).toString('base64');
    const cases: [string, Record<string, string> | string, Record<string, string>][] = [
      ['Basic and body secret together', { grant_type: 'client_credentials', client_secret: app.clientSecret }, { authorization: basic(app.clientId, app.clientSecret) }],
      ['Basic id differs from body client_id', { grant_type: 'client_credentials', client_id: 'someoneelse' }, { authorization: basic(app.clientId, app.clientSecret) }],
      ['bare Basic', { grant_type: 'client_credentials' }, { authorization: 'Basic' }],
      ['bad base64', { grant_type: 'client_credentials' }, { authorization: 'Basic ***' }],
      ['bad %-encoding', { grant_type: 'client_credentials' }, { authorization: `Basic ${b64(`${app.clientId}:%G1`)}` }],
      ['empty secret', { grant_type: 'client_credentials' }, { authorization: `Basic ${b64(`${app.clientId}:`)}` }],
      ['empty posted secret', { grant_type: 'client_credentials', client_id: app.clientId, client_secret: '' }, {}],
      ['repeated grant_type', 'grant_type=client_credentials&grant_type=client_credentials', { authorization: basic(app.clientId, app.clientSecret) }],
      ['repeated scope', 'grant_type=client_credentials&scope=contacts_read&scope=contacts_read', { authorization: basic(app.clientId, app.clientSecret) }],
      ['repeated client_id', `grant_type=client_credentials&client_id=${app.clientId}&client_id=${app.clientId}&client_secret=${app.clientSecret}`, {}],
    ];
    for (const [name, body, headers] of cases) {
      const response = await postForm(tokenUrl, body, headers);
      assert.equal(response.status, 400, name);
      assert.equal(response.body.error, 'invalid_request', name);
      assertNoStore(response.headers);
    }
  });

  test('§3.2: any content type but application/x-www-form-urlencoded → 400 invalid_request', async () => {
    const app = await server.createApp();
    const bodies: [string | undefined, string | undefined][] = [
      ['application/json', JSON.stringify({ grant_type: 'client_credentials', client_id: app.clientId, client_secret: app.clientSecret })],
      ['text/plain', `grant_type=client_credentials&client_id=${app.clientId}&client_secret=${app.clientSecret}`],
      ['application/xml', '<grant_type>client_credentials</grant_type>'],
      ['multipart/form-data; boundary=x', '--x\r\nContent-Disposition: form-data; name="grant_type"\r\n\r\nclient_credentials\r\n--x--'],
      [undefined, undefined],
    ];
    for (const [type, body] of bodies) {
      const response = await fetch(tokenUrl, { method: 'POST', headers: type ? { 'content-type': type } : {}, body });
      assert.equal(response.status, 400, String(type));
      const json = (await response.json()) as { error: string };
      assert.equal(json.error, 'invalid_request', String(type));
    }
  });

  test('a body over the size limit → 413 with a JSON error, not a hang', async () => {
    const response = await postForm(tokenUrl, `grant_type=client_credentials&pad=${'x'.repeat(70_000)}`);
    assert.equal(response.status, 413);
    assert.equal(response.body.error, 'invalid_request');
  });

  test('an unknown tenant → 404 JSON', async () => {
    const response = await postForm(`${server.url}/t/no-such-tenant/oauth/token`, { grant_type: 'client_credentials' });
    assert.equal(response.status, 404);
    assert.equal(response.body.error, 'not_found');
  });
});

test('junk headers and bodies never produce a 5xx: always a JSON error with error and error_description', async () => {
  const app = await server.createApp();
  const field = fc.oneof(fc.constantFrom('grant_type', 'client_id', 'client_secret', 'scope', 'audience', 'resource', 'refresh_token'), fc.string({ maxLength: 12 }));
  const value = fc.oneof(fc.constantFrom('client_credentials', 'refresh_token', app.clientId, app.clientSecret, 'contacts_read', '', 'kmr_000000000000000000000000000000000000'), fc.string({ maxLength: 40 }), fc.string({ unit: 'binary', maxLength: 20 }));
  const authorization = fc.option(fc.oneof(fc.constant(basic(app.clientId, app.clientSecret)), fc.string({ maxLength: 60 }).map((s) => `Basic ${s}`), fc.string({ maxLength: 60 })), { nil: undefined });
  const contentType = fc.constantFrom('application/x-www-form-urlencoded', 'application/json', 'text/plain', 'application/x-www-form-urlencoded; charset=utf-8', 'image/png');
  await fc.assert(
    fc.asyncProperty(fc.array(fc.tuple(field, value), { maxLength: 8 }), authorization, contentType, fc.boolean(), async (pairs, auth, type, rawJunk) => {
      const body = rawJunk ? pairs.map(([k, v]) => `${k}${v}`).join('&%') : new URLSearchParams(pairs).toString();
      const headers: Record<string, string> = { 'content-type': type };
      if (auth !== undefined && /^[\x20-\x7e]*$/.test(auth)) headers.authorization = auth;
      const response = await fetch(tokenUrl, { method: 'POST', headers, body });
      assert.ok(response.status < 500, `status ${response.status}`);
      const json = (await response.json()) as Record<string, unknown>;
      if (response.status !== 200) {
        assert.equal(typeof json.error, 'string');
        assert.equal(typeof json.error_description, 'string');
      }
    }),
    { numRuns: 300 },
  );
});

test('the log never holds a client secret or an access token', async () => {
  const app = await server.createApp();
  const ok = await postForm(tokenUrl, { grant_type: 'client_credentials' }, { authorization: basic(app.clientId, app.clientSecret) });
  await postForm(tokenUrl, { grant_type: 'client_credentials', client_id: app.clientId, client_secret: app.clientSecret });
  await postForm(`${tokenUrl}?client_secret=${app.clientSecret}&access_token=${ok.body.access_token}`, { grant_type: 'client_credentials' }, { authorization: basic(app.clientId, 'x') });
  await postForm(tokenUrl, { grant_type: 'nope', client_secret: app.clientSecret });
  const logs = server.logs();
  assert.ok(logs.includes('request completed'), 'requests were logged');
  assert.ok(!logs.includes(app.clientSecret), 'client secret in the log');
  assert.ok(!logs.includes(ok.body.access_token), 'access token in the log');
  assert.ok(!logs.includes(ok.body.access_token.split('.')[2]), 'token signature in the log');
  assert.ok(!logs.includes(Buffer.from(`${app.clientId}:${app.clientSecret}`).toString('base64')), 'Basic credentials in the log');
});

test('§5.1: an error raised before the route\'s own hooks (unknown tenant on a token path) is still no-store', async () => {
  const response = await postForm(`${server.url}/t/no-such-tenant/oauth/token`, { grant_type: 'client_credentials' });
  assert.equal(response.status, 404);
  assert.equal(response.headers.get('cache-control'), 'no-store');
});
