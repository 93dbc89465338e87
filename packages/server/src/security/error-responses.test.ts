import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { SYSTEM } from '../audit/service.js';
import { basic, startTestServer, type TestServer } from '../testing/harness.js';
import { fetchToken, revoke } from '../testing/tokens.js';

/**
 * RFC 6749 §2.3.1 and §5.2 for every endpoint that authenticates a client (the token endpoint
 * under its IdentityServer path, introspection, revocation), and RFC 6750 §3 for the resource
 * API: each row asserts the status, the `error` code and the headers that go with it.
 * oauth/token-endpoint.test.ts covers /oauth/token itself; these rows extend it, not repeat it.
 */
let server: TestServer;
let client: { clientId: string; clientSecret: string };
before(async () => {
  server = await startTestServer();
  client = await server.createApp({ scopes: ['contacts_read'] });
});
after(() => server.close());

interface Answer {
  status: number;
  headers: Headers;
  body: any;
}

async function post(path: string, body: string, headers: Record<string, string> = {}): Promise<Answer> {
  const response = await fetch(`${server.issuer}${path}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : undefined };
}

/** §5.2 shape, and RFC 6749 §5.1 / RFC 7662 §2.2 / RFC 7009: nothing from these endpoints is cached. */
function assertOAuthError(answer: Answer, status: number, error: string, { basicChallenge = false } = {}): void {
  assert.equal(answer.status, status, JSON.stringify(answer.body));
  assert.deepEqual(Object.keys(answer.body).sort(), ['error', 'error_description']);
  assert.equal(answer.body.error, error);
  assert.equal(answer.headers.get('cache-control'), 'no-store');
  assert.equal(answer.headers.get('pragma'), 'no-cache');
  const challenge = answer.headers.get('www-authenticate');
  if (basicChallenge) assert.match(challenge ?? '', /^Basic realm="[^"]+"$/);
  else assert.equal(challenge, null, 'a Basic challenge only answers a request that used the Authorization header (§5.2)');
}

const b64 = (text: string) => Buffer.from(text).toString('base64');

/** The client authentication rows, with the endpoint's own required parameter added. */
function clientAuthRows(extra: string): { name: string; body: () => string; headers?: () => Record<string, string>; status: number; error: string; basicChallenge?: boolean }[] {
  const form = (fields: Record<string, string>) => [new URLSearchParams(fields).toString(), extra].filter(Boolean).join('&');
  return [
    { name: 'no client authentication at all → 400 invalid_request', body: () => form({}), status: 400, error: 'invalid_request' },
    { name: 'client_id without client_secret → 400 invalid_request', body: () => form({ client_id: client.clientId }), status: 400, error: 'invalid_request' },
    { name: 'unknown client (Basic) → 401 invalid_client + Basic challenge', body: () => form({}), headers: () => ({ authorization: basic('nosuchclient0000000000000', 'kms_x') }), status: 401, error: 'invalid_client', basicChallenge: true },
    { name: 'wrong secret (Basic) → 401 invalid_client + Basic challenge', body: () => form({}), headers: () => ({ authorization: basic(client.clientId, 'kms_wrong') }), status: 401, error: 'invalid_client', basicChallenge: true },
    { name: 'wrong secret (post) → 401 invalid_client, no challenge', body: () => form({ client_id: client.clientId, client_secret: 'kms_wrong' }), status: 401, error: 'invalid_client' },
    { name: 'unknown client (post) → 401 invalid_client, no challenge', body: () => form({ client_id: 'nosuchclient0000000000000', client_secret: 'kms_wrong' }), status: 401, error: 'invalid_client' },
    { name: '§2.3: Basic and client_secret in the body → 400 invalid_request', body: () => form({ client_secret: client.clientSecret }), headers: () => ({ authorization: basic(client.clientId, client.clientSecret) }), status: 400, error: 'invalid_request' },
    { name: 'Basic id ≠ body client_id → 400 invalid_request', body: () => form({ client_id: 'someoneelse00000000000000' }), headers: () => ({ authorization: basic(client.clientId, client.clientSecret) }), status: 400, error: 'invalid_request' },
    { name: 'malformed Basic: scheme only → 400 invalid_request', body: () => form({}), headers: () => ({ authorization: 'Basic' }), status: 400, error: 'invalid_request' },
    { name: 'malformed Basic: not base64 → 400 invalid_request', body: () => form({}), headers: () => ({ authorization: 'Basic !!!!' }), status: 400, error: 'invalid_request' },
    { name: 'malformed Basic: no colon → 400 invalid_request', body: () => form({}), headers: () => ({ authorization: `Basic ${b64(client.clientId)}` }), status: 400, error: 'invalid_request' },
    { name: 'malformed Basic: bad %-encoding → 400 invalid_request', body: () => form({}), headers: () => ({ authorization: `Basic ${b64(`${client.clientId}:%zz`)}` }), status: 400, error: 'invalid_request' },
    { name: 'empty secret in Basic → 400 invalid_request', body: () => form({}), headers: () => ({ authorization: `Basic ${b64(`${client.clientId}:`)}` }), status: 400, error: 'invalid_request' },
    { name: 'another scheme (Bearer) → 400 invalid_request', body: () => form({}), headers: () => ({ authorization: 'Bearer abc' }), status: 400, error: 'invalid_request' },
    { name: '§3.1: a parameter sent twice → 400 invalid_request', body: () => `${form({ client_id: client.clientId, client_secret: client.clientSecret })}&client_id=${client.clientId}`, status: 400, error: 'invalid_request' },
    { name: '§3.1: an optional parameter no handler reads (token_type_hint) sent twice → 400 invalid_request', body: () => `${form({ client_id: client.clientId, client_secret: client.clientSecret })}&token_type_hint=a&token_type_hint=b`, status: 400, error: 'invalid_request' },
    { name: '§3.2: a JSON body → 400 invalid_request', body: () => JSON.stringify({ client_id: client.clientId, client_secret: client.clientSecret }), headers: () => ({ 'content-type': 'application/json' }), status: 400, error: 'invalid_request' },
  ];
}

const ENDPOINTS = [
  { path: '/connect/token', extra: 'grant_type=client_credentials' },
  { path: '/oauth/introspect', extra: 'token=kma_unknown' },
  { path: '/oauth/revoke', extra: 'token=kma_unknown' },
];

for (const { path, extra } of ENDPOINTS) {
  describe(`RFC 6749 §2.3.1 / §5.2 client authentication at ${path}`, () => {
    for (const row of clientAuthRows(extra)) {
      test(row.name, async () => {
        assertOAuthError(await post(path, row.body(), row.headers?.() ?? {}), row.status, row.error, { basicChallenge: row.basicChallenge });
      });
    }
    test('the right credentials (Basic and post) → 200 with no-store', async () => {
      for (const headers of [{ authorization: basic(client.clientId, client.clientSecret) }, {}] as Record<string, string>[]) {
        const creds = 'authorization' in headers ? '' : `client_id=${client.clientId}&client_secret=${encodeURIComponent(client.clientSecret)}&`;
        const answer = await post(path, `${creds}${extra}`, headers);
        assert.equal(answer.status, 200, JSON.stringify(answer.body));
        assert.equal(answer.headers.get('cache-control'), 'no-store');
        assert.equal(answer.headers.get('pragma'), 'no-cache');
      }
    });
  });
}

describe('/connect/token grant rules (same endpoint as /oauth/token)', () => {
  const auth = () => ({ authorization: basic(client.clientId, client.clientSecret) });
  test('missing grant_type → 400 invalid_request; unknown → 400 unsupported_grant_type', async () => {
    assertOAuthError(await post('/connect/token', '', auth()), 400, 'invalid_request');
    assertOAuthError(await post('/connect/token', 'grant_type=password', auth()), 400, 'unsupported_grant_type');
  });
  test('a scope not enabled on the app → 400 invalid_scope; an audience not allowed → 400 invalid_target', async () => {
    assertOAuthError(await post('/connect/token', 'grant_type=client_credentials&scope=contacts_write', auth()), 400, 'invalid_scope');
    assertOAuthError(await post('/connect/token', 'grant_type=client_credentials&audience=https%3A%2F%2Fevil.example', auth()), 400, 'invalid_target');
  });
});

describe('RFC 7662 / RFC 7009 required token parameter', () => {
  for (const path of ['/oauth/introspect', '/oauth/revoke']) {
    test(`${path}: authenticated but no token → 400 invalid_request`, async () => {
      assertOAuthError(await post(path, '', { authorization: basic(client.clientId, client.clientSecret) }), 400, 'invalid_request');
    });
  }
});

describe('RFC 6750 §3 error responses of the resource API', () => {
  let readToken: string;
  let apiToken: string;
  before(async () => {
    readToken = await fetchToken(server.issuer, client.clientId, client.clientSecret);
    const { keymint } = server.server;
    const tenant = await keymint.tenants.get('default');
    apiToken = (await keymint.apiTokens.create(tenant.id, await keymint.tenants.scopes(tenant.id), { name: 'read only', scopes: ['contacts_read'] }, SYSTEM)).token;
  });

  async function get(path: string, headers: Record<string, string> = {}): Promise<Answer> {
    const response = await fetch(`${server.issuer}${path}`, { headers });
    const text = await response.text();
    return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : undefined };
  }
  const realm = () => `realm="${server.issuer}"`;
  /** RFC 9728 §5.1: every challenge of the Contacts API names its protected resource metadata. */
  const metadata = () => `resource_metadata="${new URL(server.issuer).origin}/.well-known/oauth-protected-resource/t/default/api"`;

  test('§3.1: no credentials → 401 with a challenge that has no error code', async () => {
    for (const headers of [{}, { authorization: '' }, { authorization: 'Basic abc' }] as Record<string, string>[]) {
      const answer = await get('/api/v1/contacts', headers);
      assert.equal(answer.status, 401, JSON.stringify(headers));
      // RFC 9449 §7.1: without credentials, both schemes the API takes are offered (one header line each).
      assert.equal(answer.headers.get('www-authenticate'), `Bearer ${realm()}, ${metadata()}, DPoP ${realm()}, algs="ES256 ES384 EdDSA Ed25519 RS256 PS256", ${metadata()}`);
    }
  });

  test('§3.1: an invalid token (JWT, kmk_ and kma_ shapes, bad checksum, revoked) → 401 error="invalid_token"', async () => {
    const revoked = await fetchToken(server.issuer, client.clientId, client.clientSecret);
    assert.equal((await revoke(server.issuer, client.clientId, client.clientSecret, revoked)).status, 200);
    const wrongChecksum = `${apiToken.slice(0, -1)}${apiToken.endsWith('0') ? '1' : '0'}`;
    for (const token of ['abc.def.ghi', 'kmk_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA000000', 'kma_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA000000', wrongChecksum, 'opaque-nonsense', revoked]) {
      const answer = await get('/api/v1/contacts', { authorization: `Bearer ${token}` });
      assert.equal(answer.status, 401, token);
      assert.equal(answer.body.error, 'invalid_token');
      assert.match(answer.headers.get('www-authenticate') ?? '', new RegExp(`^Bearer ${realm()}, error="invalid_token", error_description="[^"]+", ${metadata()}$`));
    }
  });

  test('§3.1: too little scope (JWT and kmk_) → 403 error="insufficient_scope" naming the scope', async () => {
    for (const token of [readToken, apiToken]) {
      const response = await fetch(`${server.issuer}/api/v1/contacts`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: '{"email":"a@example.com"}' });
      assert.equal(response.status, 403);
      assert.equal(((await response.json()) as any).error, 'insufficient_scope');
      assert.match(response.headers.get('www-authenticate') ?? '', /^Bearer realm="[^"]+", error="insufficient_scope", error_description="[^"]*", scope="contacts_write", resource_metadata="[^"]+"$/);
    }
  });

  test('§2: a token sent in two places (header and query, header and body) or in the query only → 400 invalid_request', async () => {
    const inQuery = await get(`/api/v1/contacts?access_token=${readToken}`, { authorization: `Bearer ${readToken}` });
    assert.equal(inQuery.status, 400);
    assert.equal(inQuery.body.error, 'invalid_request');
    assert.match(inQuery.headers.get('www-authenticate') ?? '', /error="invalid_request"/);
    const inBody = await fetch(`${server.issuer}/api/v1/contacts`, { method: 'POST', headers: { authorization: `Bearer ${readToken}`, 'content-type': 'application/x-www-form-urlencoded' }, body: `access_token=${readToken}` });
    assert.equal(inBody.status, 400);
    assert.equal(((await inBody.json()) as any).error, 'invalid_request');
    assert.equal((await get(`/api/v1/contacts?access_token=${readToken}`)).status, 400, '§2.3: URL tokens are refused');
  });

  test('X-Tenant-Id that is not the token\'s tenant → 403; the right one → 200', async () => {
    assert.equal((await get('/api/v1/contacts', { authorization: `Bearer ${readToken}`, 'x-tenant-id': 'other' })).status, 403);
    assert.equal((await get('/api/v1/contacts', { authorization: `Bearer ${readToken}`, 'x-tenant-id': 'default' })).status, 200);
  });
});
